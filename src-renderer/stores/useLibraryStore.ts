import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { VmSummary } from '../../src-shared/api/contract';
import type { NewVm } from '../../src-shared/api/vm-config';
import { api } from '../api/client';

/** The VM library as the app reports it. */
export const useLibraryStore = defineStore('library', () => {
  const vms = ref<VmSummary[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const storePath = ref('');

  const isEmpty = computed(() => !loading.value && vms.value.length === 0 && error.value === null);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const [info, list] = await Promise.all([api['app.info'](), api['vms.list']()]);
      storePath.value = info.storePath;
      vms.value = list;
      error.value = null;
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e);
    } finally {
      loading.value = false;
    }
  }

  async function create(input: NewVm): Promise<void> {
    await api['vms.create'](input);
    await refresh();
  }

  return { vms, loading, error, storePath, isEmpty, refresh, create };
});
