/**
 * Runs `task` now and then every `intervalMs` while `active` is true, the component is mounted and the
 * page is visible (a hidden tab or window polls nothing). Calls never overlap: a slow answer delays the next.
 */
import { onMounted, onUnmounted, ref, watch, type Ref } from 'vue';

export interface Polling {
  /** Runs the task now (e.g. after a user action), unless a run is under way. */
  refresh(): Promise<void>;
  /** True while a run is under way. */
  readonly running: Ref<boolean>;
}

export function usePolling(task: () => Promise<void>, intervalMs: Ref<number> | number, active: Ref<boolean>): Polling {
  const running = ref(false);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let mounted = false;
  const interval = (): number => (typeof intervalMs === 'number' ? intervalMs : intervalMs.value);

  const shouldRun = (): boolean => mounted && active.value && document.visibilityState === 'visible';

  function schedule(): void {
    if (timer !== null) clearTimeout(timer);
    timer = shouldRun() ? setTimeout(() => void tick(), interval()) : null;
  }

  async function refresh(): Promise<void> {
    if (running.value) return;
    running.value = true;
    try {
      await task();
    } finally {
      running.value = false;
    }
  }

  async function tick(): Promise<void> {
    timer = null;
    if (!shouldRun()) return;
    await refresh();
    schedule();
  }

  const onVisibility = (): void => {
    if (shouldRun() && timer === null && !running.value) void tick();
    else if (!shouldRun()) schedule();
  };

  onMounted(() => {
    mounted = true;
    document.addEventListener('visibilitychange', onVisibility);
    if (shouldRun()) void tick();
  });
  onUnmounted(() => {
    mounted = false;
    document.removeEventListener('visibilitychange', onVisibility);
    if (timer !== null) clearTimeout(timer);
    timer = null;
  });
  watch(active, () => onVisibility());
  if (typeof intervalMs !== 'number') watch(intervalMs, () => schedule());

  return { refresh, running };
}
