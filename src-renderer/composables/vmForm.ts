/**
 * The VM form shared by the New VM wizard and the settings view: its fields, the NewVm/VmSettings value it
 * makes, and the messages for what is wrong, checked with the same schema the app validates with.
 */
import {
  MAX_VIRTIO_CONSOLES,
  NewDiskSchema,
  VmSettingsSchema,
  type DiskFormat,
  type NewDisk,
  type NewVm,
  type VmConfig,
  type VmSettings,
} from '../../src-shared/api/vm-config';

export interface VmForm {
  name: string;
  source: 'demo' | 'kernel' | 'catalog';
  kernel: string;
  initrd: string;
  append: string;
  memoryMiB: number;
  cpus: number;
  /** Virtio console ports (hvc0...) besides the serial console. */
  consoles: number;
  /** The wizard's storage step: a new qcow2 image, an existing image, or no disk. */
  storage: 'none' | 'create' | 'attach';
  diskSize: string;
  diskPath: string;
  diskFormat: DiskFormat;
  diskReadOnly: boolean;
}

export type VmFormField = 'name' | 'kernel' | 'initrd' | 'memoryMiB' | 'cpus' | 'consoles' | 'diskSize' | 'diskPath';

/**
 * How each checked field is shown: its id (after the view's prefix), label and input attributes. The bounds
 * are the schema's, so the browser's spinners stop where validation would.
 */
export const VM_FORM_INPUTS = {
  name: { id: 'name', label: 'Name', attrs: { type: 'text', maxlength: 80 } },
  kernel: { id: 'kernel', label: 'Kernel path', attrs: { type: 'text' } },
  initrd: { id: 'initrd', label: 'Initrd path (optional)', attrs: { type: 'text' } },
  memoryMiB: { id: 'memory', label: 'Memory (MiB)', attrs: { type: 'number', min: 16, max: 16384, step: 16 } },
  cpus: { id: 'cpus', label: 'CPUs', attrs: { type: 'number', min: 1, max: 8 } },
  consoles: {
    id: 'consoles',
    label: 'Virtio consoles',
    attrs: { type: 'number', min: 0, max: MAX_VIRTIO_CONSOLES },
  },
  diskSize: { id: 'disk-size', label: 'Disk size', attrs: { type: 'text', placeholder: '8G' } },
  diskPath: { id: 'disk-path', label: 'Image path', attrs: { type: 'text' } },
} as const satisfies Record<VmFormField, { id: string; label: string; attrs: Record<string, string | number> }>;

/** The storage step's fields as they start (also for the settings view, which does not change disks). */
const NO_DISK = { storage: 'none', diskSize: '8G', diskPath: '', diskFormat: 'qcow2', diskReadOnly: false } as const;

export function defaultVmForm(): VmForm {
  return {
    name: '',
    source: 'demo',
    kernel: '',
    initrd: '',
    append: 'console=ttyAMA0',
    memoryMiB: 128,
    cpus: 1,
    consoles: 0,
    ...NO_DISK,
  };
}

export function formFromConfig(config: VmConfig): VmForm {
  const boot = config.boot;
  return {
    name: config.name,
    source: boot.kind,
    kernel: boot.kind === 'kernel' ? boot.kernel : '',
    initrd: boot.kind === 'kernel' ? (boot.initrd ?? '') : '',
    append: boot.kind === 'kernel' ? boot.append : 'console=ttyAMA0',
    memoryMiB: config.memoryMiB,
    cpus: config.cpus,
    consoles: config.consoles ?? 0,
    ...NO_DISK,
  };
}

const isAbsolutePath = (path: string): boolean => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path);

/** What the form describes (a catalog source is turned into a kernel once the guest is prepared). */
export function settingsFromForm(form: VmForm): VmSettings {
  return {
    name: form.name.trim(),
    boot:
      form.source === 'demo'
        ? { kind: 'demo' }
        : {
            kind: 'kernel',
            kernel: form.kernel.trim(),
            ...(form.initrd.trim() ? { initrd: form.initrd.trim() } : {}),
            append: form.append.trim(),
          },
    memoryMiB: form.memoryMiB,
    cpus: form.cpus,
    consoles: form.consoles,
  };
}

/** The disk the storage step asks for, or null for none. */
export function diskFromForm(form: VmForm): NewDisk | null {
  if (form.storage === 'create') return { kind: 'create', size: form.diskSize.trim() };
  if (form.storage === 'attach') {
    return {
      kind: 'attach',
      path: form.diskPath.trim(),
      format: form.diskFormat,
      ...(form.diskReadOnly ? { readOnly: true } : {}),
    };
  }
  return null;
}

/** What the wizard creates: the settings and the disk of the storage step. */
export function newVmFromForm(form: VmForm): NewVm {
  const disk = diskFromForm(form);
  return { ...settingsFromForm(form), ...(disk ? { disks: [disk] } : {}) };
}

/** How a storage choice reads in the wizard's summary. */
export function describeDisk(disk: NewDisk | null): string {
  if (disk === null) return 'None';
  if (disk.kind === 'create') return `New qcow2 disk, ${disk.size}`;
  return `${disk.path} (${disk.format}${disk.readOnly ? ', read-only' : ''})`;
}

const MESSAGES: Partial<Record<VmFormField, string>> = {
  memoryMiB: 'Memory must be a whole number from 16 to 16384 MiB',
  cpus: 'The virt board takes 1 to 8 CPUs',
  consoles: `A VM may have 0 to ${MAX_VIRTIO_CONSOLES} virtio consoles`,
};

/** How the console choice reads in summaries. */
export function describeConsoles(consoles: number): string {
  if (consoles === 0) return 'Serial only';
  const ports = Array.from({ length: consoles }, (_, i) => `hvc${i}`).join(', ');
  return `Serial and ${consoles} virtio console${consoles > 1 ? 's' : ''} (${ports})`;
}

/** Field -> message for everything wrong with the form (empty when it is valid). */
export function vmFormIssues(form: VmForm): Partial<Record<VmFormField, string>> {
  const found: Partial<Record<VmFormField, string>> = {};
  if (form.source === 'kernel') {
    if (!form.kernel.trim()) found.kernel = 'Give the path of the kernel image (arm64 Image, ELF or raw)';
    else if (!isAbsolutePath(form.kernel.trim())) found.kernel = 'Give the full path, starting at the root';
    if (form.initrd.trim() && !isAbsolutePath(form.initrd.trim()))
      found.initrd = 'Give the full path, starting at the root';
  }
  Object.assign(found, diskIssues(form));
  const settings = settingsFromForm(form.source === 'catalog' ? { ...form, source: 'demo' } : form);
  const parsed = VmSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as VmFormField | 'boot';
      if (field === 'boot') found.kernel ??= issue.message;
      else found[field] ??= MESSAGES[field] ?? issue.message;
    }
  }
  return found;
}

function diskIssues(form: VmForm): Partial<Record<VmFormField, string>> {
  const disk = diskFromForm(form);
  if (disk === null) return {};
  if (disk.kind === 'create') {
    const parsed = NewDiskSchema.safeParse(disk);
    return parsed.success ? {} : { diskSize: 'Give a size like 8G or 512M (at most 16384G)' };
  }
  if (!disk.path) return { diskPath: 'Give the path of the disk image (raw or qcow2)' };
  if (!isAbsolutePath(disk.path)) return { diskPath: 'Give the full path, starting at the root' };
  return {};
}
