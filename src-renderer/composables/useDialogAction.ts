/**
 * The working/error state of a dialog that carries out one API operation: `run` refuses a second start while
 * one is under way, shows the API's message on failure, and closes the dialog on success.
 */
import { ref } from 'vue';
import { messageOf } from '../api/format';

export function useDialogAction(close: () => void) {
  const working = ref(false);
  const error = ref<string | null>(null);

  async function run(operation: () => Promise<unknown>): Promise<void> {
    if (working.value) return;
    error.value = null;
    working.value = true;
    try {
      await operation();
      close();
    } catch (e) {
      error.value = messageOf(e);
    } finally {
      working.value = false;
    }
  }

  return { working, error, run };
}
