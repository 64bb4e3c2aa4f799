/** Arrow-key movement between tabs of a tablist (WAI-ARIA tabs pattern): returns the tab to select, or null. */
export function nextTab<T extends string>(
  event: KeyboardEvent,
  ids: readonly T[],
  current: T,
  tabElementId: (id: T) => string,
): T | null {
  const forward = event.key === 'ArrowDown' || event.key === 'ArrowRight';
  const backward = event.key === 'ArrowUp' || event.key === 'ArrowLeft';
  if (!forward && !backward) return null;
  event.preventDefault();
  const index = ids.indexOf(current);
  const next = ids[(index + (forward ? 1 : -1) + ids.length) % ids.length]!;
  document.getElementById(tabElementId(next))?.focus();
  return next;
}
