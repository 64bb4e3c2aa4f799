/**
 * Remembers the values shown at the previous refresh and tells which keys changed since, so a live view can
 * highlight them. The first refresh highlights nothing (nothing to compare with).
 */
import { ref } from 'vue';

export function useChangeHighlight() {
  let previous: Map<string, string> | null = null;
  const changed = ref<ReadonlySet<string>>(new Set());

  /** Takes this refresh's values (key -> shown text) and updates `changed`. */
  function update(values: ReadonlyMap<string, string>): void {
    const next = new Set<string>();
    if (previous !== null) {
      for (const [key, value] of values) {
        const before = previous.get(key);
        if (before !== undefined && before !== value) next.add(key);
      }
    }
    previous = new Map(values);
    changed.value = next;
  }

  /** Forget the history (another device or address was chosen). */
  function reset(): void {
    previous = null;
    changed.value = new Set();
  }

  return { changed, update, reset };
}
