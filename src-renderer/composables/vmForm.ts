/**
 * The VM form shared by the New VM wizard and the settings view: its fields, the NewVm/VmSettings value it
 * makes, and the messages for what is wrong, checked with the same schema the app validates with.
 */
import { VmSettingsSchema, type VmConfig, type VmSettings } from '../../src-shared/api/vm-config';

export interface VmForm {
  name: string;
  source: 'demo' | 'kernel' | 'catalog';
  kernel: string;
  initrd: string;
  append: string;
  memoryMiB: number;
  cpus: number;
}

export type VmFormField = 'name' | 'kernel' | 'initrd' | 'memoryMiB' | 'cpus';

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
} as const satisfies Record<VmFormField, { id: string; label: string; attrs: Record<string, string | number> }>;

export function defaultVmForm(): VmForm {
  return { name: '', source: 'demo', kernel: '', initrd: '', append: 'console=ttyAMA0', memoryMiB: 128, cpus: 1 };
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
  };
}

const MESSAGES: Partial<Record<VmFormField, string>> = {
  memoryMiB: 'Memory must be a whole number from 16 to 16384 MiB',
  cpus: 'The virt board takes 1 to 8 CPUs',
};

/** Field -> message for everything wrong with the form (empty when it is valid). */
export function vmFormIssues(form: VmForm): Partial<Record<VmFormField, string>> {
  const found: Partial<Record<VmFormField, string>> = {};
  if (form.source === 'kernel') {
    if (!form.kernel.trim()) found.kernel = 'Give the path of the kernel image (arm64 Image, ELF or raw)';
    else if (!isAbsolutePath(form.kernel.trim())) found.kernel = 'Give the full path, starting at the root';
    if (form.initrd.trim() && !isAbsolutePath(form.initrd.trim()))
      found.initrd = 'Give the full path, starting at the root';
  }
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
