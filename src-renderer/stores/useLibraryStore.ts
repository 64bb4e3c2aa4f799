import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AppInfo, DeleteResult, VmStatus, VmSummary } from '../../src-shared/api/contract';
import type { NewVm, VmSettings } from '../../src-shared/api/vm-config';
import { api, events } from '../api/client';
import { messageOf } from '../api/format';

export type PowerAction = 'start' | 'pause' | 'resume' | 'reset' | 'powerOff' | 'forceStop';

const POWER_METHODS = {
  start: 'vms.start',
  pause: 'vms.pause',
  resume: 'vms.resume',
  reset: 'vms.reset',
  powerOff: 'vms.powerOff',
  forceStop: 'vms.forceStop',
} as const;

/** The VM library as the app reports it, kept current by the app's state events. */
export const useLibraryStore = defineStore('library', () => {
  const vms = ref<VmSummary[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const info = ref<AppInfo | null>(null);
  /** VM id -> the power action in progress (buttons show it and stay disabled meanwhile). */
  const busy = ref<Record<string, PowerAction | 'delete'>>({});
  /** VM id -> the last failed action's message. */
  const actionErrors = ref<Record<string, string>>({});
  /** A message for the library page about the last finished action (e.g. what a delete kept). */
  const notice = ref<string | null>(null);

  const storePath = computed(() => info.value?.storePath ?? '');
  const isEmpty = computed(() => loaded.value && vms.value.length === 0 && error.value === null);

  function applyStatus(id: string, status: VmStatus): void {
    const vm = vms.value.find((v) => v.id === id);
    if (!vm || vm.state === 'broken') return;
    vm.state = status.state;
    if (status.reason) vm.reason = status.reason;
    else delete vm.reason;
    if (status.state !== 'stopped') delete vm.resumes; // a start consumes the saved state
  }

  /** Records the snapshot a stopped VM's next start resumes (from its snapshot tree), or none. */
  function setResumes(id: string, resumes: string | undefined): void {
    const vm = vms.value.find((v) => v.id === id);
    if (!vm || vm.state === 'broken') return;
    if (resumes !== undefined && vm.state === 'stopped') vm.resumes = resumes;
    else delete vm.resumes;
  }
  events.on('vm.state', ({ id, status }) => applyStatus(id, status));

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const [appInfo, list] = await Promise.all([api['app.info'](), api['vms.list']()]);
      info.value = appInfo;
      vms.value = list;
      error.value = null;
      loaded.value = true;
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      loading.value = false;
    }
  }

  function byId(id: string): VmSummary | undefined {
    return vms.value.find((vm) => vm.id === id);
  }

  async function create(input: NewVm): Promise<VmSummary> {
    const created = await api['vms.create'](input);
    await refresh();
    return created;
  }

  async function run(id: string, action: PowerAction | 'delete', call: () => Promise<void>): Promise<boolean> {
    busy.value = { ...busy.value, [id]: action };
    delete actionErrors.value[id];
    try {
      await call();
      return true;
    } catch (e) {
      actionErrors.value = { ...actionErrors.value, [id]: messageOf(e) };
      return false;
    } finally {
      const { [id]: _done, ...rest } = busy.value;
      busy.value = rest;
    }
  }

  function power(id: string, action: PowerAction): Promise<boolean> {
    return run(id, action, async () => applyStatus(id, await api[POWER_METHODS[action]](id)));
  }

  /** Deletes a stopped VM; with keepFiles its other files are kept, and `notice` says what and where. */
  function remove(id: string, keepFiles = false): Promise<boolean> {
    const name = byId(id)?.name ?? id;
    return run(id, 'delete', async () => {
      const result: DeleteResult = await api['vms.delete'](id, { keepFiles });
      vms.value = vms.value.filter((vm) => vm.id !== id);
      notice.value = describeDelete(name, result);
    });
  }

  /** Saves a stopped VM's settings; throws with the app's message when they cannot change. */
  async function update(id: string, settings: VmSettings): Promise<VmSummary> {
    const updated = await api['vms.update'](id, settings);
    vms.value = vms.value.map((vm) => (vm.id === id ? updated : vm));
    return updated;
  }

  return {
    vms,
    loading,
    loaded,
    error,
    info,
    storePath,
    isEmpty,
    busy,
    actionErrors,
    refresh,
    byId,
    setResumes,
    create,
    power,
    remove,
    update,
    notice,
  };
});

function describeDelete(name: string, result: DeleteResult): string {
  if (result.keptIn === null) return `Deleted ${name}.`;
  return `Deleted ${name}. Kept ${result.kept.join(', ')} in ${result.keptIn}.`;
}
