/** A short status message that clears itself after a moment (e.g. "Copied"). */
import { onBeforeUnmount, ref } from 'vue';

export function useFlashMessage(durationMs = 2500) {
  const message = ref('');
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flash(text: string): void {
    message.value = text;
    clearTimeout(timer);
    timer = setTimeout(() => (message.value = ''), durationMs);
  }

  onBeforeUnmount(() => clearTimeout(timer));
  return { message, flash };
}
