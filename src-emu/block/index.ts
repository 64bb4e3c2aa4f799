/** The block layer's public surface: disk images as block backends, and image tools. */
export type { BlockBackend, BlockCapabilities, CacheMode, Extent, ExtentKind } from './types';
export { BlockError } from './types';
export { openImage, probeFormat, type ImageFormat, type OpenImageOptions } from './open-image';
export { RawBackend, createRaw } from './raw';
export { Qcow2Backend } from './qcow2/backend';
export { DEFAULT_CLUSTER_SIZE, type CreateQcow2Options } from './qcow2/create';
export {
  checkImage,
  createImage,
  createQcow2,
  imageInfo,
  qcow2Info,
  type CheckImageResult,
  type CreateImageOptions,
  type ImageInfo,
} from './image-tools';
