/**
 * The one typed service API between the UI and the app (DESIGN.md section 7). Both transports (Electron IPC
 * through the preload, WebSocket in browser mode) carry exactly these methods; every request and every answer
 * is validated against these schemas on the receiving side.
 */
import { z } from 'zod';
import { NewVmSchema, VmConfigSchema } from './vm-config';

export const VmStateSchema = z.enum(['stopped', 'running', 'paused', 'crashed', 'broken']);

export const VmSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  state: VmStateSchema,
  /** Present when the VM's folder could not be read: what is wrong with it. */
  problem: z.string().optional(),
  config: VmConfigSchema.optional(),
});
export type VmSummary = z.infer<typeof VmSummarySchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  transport: z.enum(['electron', 'browser']),
  storePath: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** Method name -> parameter tuple and result schemas. */
export const apiMethods = {
  'app.info': { params: z.tuple([]), result: AppInfoSchema },
  'vms.list': { params: z.tuple([]), result: z.array(VmSummarySchema) },
  'vms.create': { params: z.tuple([NewVmSchema]), result: VmSummarySchema },
  'vms.delete': { params: z.tuple([z.string()]), result: z.null() },
} as const;

export type ApiMethod = keyof typeof apiMethods;
export type ApiParams<M extends ApiMethod> = z.input<(typeof apiMethods)[M]['params']>;
export type ApiResult<M extends ApiMethod> = z.output<(typeof apiMethods)[M]['result']>;

/** The API as the UI sees it: one async function per method. */
export type OrreryApi = {
  [M in ApiMethod]: (...params: ApiParams<M>) => Promise<ApiResult<M>>;
};

/** The implementation side: handlers receive validated (parsed) parameters. */
export type ApiHandlers = {
  [M in ApiMethod]: (...params: z.output<(typeof apiMethods)[M]['params']>) => Promise<ApiResult<M>>;
};

/** Wire format shared by both transports. */
export const RequestSchema = z.object({
  id: z.number().int().nonnegative(),
  method: z.string(),
  params: z.array(z.unknown()),
});
export type ApiRequest = z.infer<typeof RequestSchema>;

export type ApiResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export function isApiMethod(name: string): name is ApiMethod {
  return Object.hasOwn(apiMethods, name);
}
