/** Installs the app-wide shortcut handler (shortcuts.ts) for the lifetime of the calling component. */
import { onMounted, onUnmounted, ref } from 'vue';
import { useRouter } from 'vue-router';
import { dispatchToViews, shortcutFor } from './shortcuts';

export function useAppShortcuts() {
  const router = useRouter();
  const helpOpen = ref(false);

  function onKeydown(event: KeyboardEvent): void {
    const id = shortcutFor(event);
    if (id === null) return;
    let handled = true;
    if (id === 'help') helpOpen.value = true;
    else if (id === 'new-vm') void router.push('/new');
    else if (id === 'library') void router.push('/');
    else handled = dispatchToViews(id);
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }

  // Capture phase: the terminal must not take a shortcut to the guest first.
  onMounted(() => window.addEventListener('keydown', onKeydown, true));
  onUnmounted(() => window.removeEventListener('keydown', onKeydown, true));
  return { helpOpen };
}
