/**
 * The app's keyboard shortcuts: one table drives both the key handling (App.vue, VmView.vue) and the help
 * overlay, so what the overlay lists is what the keys do.
 */

export type ShortcutId =
  'new-vm' | 'library' | 'start' | 'pause' | 'console' | 'machine' | 'settings' | 'snapshots' | 'help';

export interface Shortcut {
  readonly id: ShortcutId;
  /** How the keys are shown, e.g. ['Ctrl', 'Shift', 'N']. */
  readonly keys: readonly string[];
  readonly description: string;
  /** Where the shortcut works. */
  readonly where: 'anywhere' | 'VM page';
  readonly matches: (event: KeyboardEvent) => boolean;
}

const ctrl = (event: KeyboardEvent): boolean => event.ctrlKey || event.metaKey;

export const SHORTCUTS: readonly Shortcut[] = [
  {
    id: 'new-vm',
    keys: ['Ctrl', 'Shift', 'N'],
    description: 'New VM',
    where: 'anywhere',
    matches: (e) => ctrl(e) && e.shiftKey && e.key.toLowerCase() === 'n',
  },
  {
    id: 'library',
    keys: ['Ctrl', 'Shift', 'L'],
    description: 'Back to the library',
    where: 'anywhere',
    matches: (e) => ctrl(e) && e.shiftKey && e.key.toLowerCase() === 'l',
  },
  {
    id: 'start',
    keys: ['Ctrl', 'Enter'],
    description: 'Start the VM (or resume it when paused)',
    where: 'VM page',
    matches: (e) => ctrl(e) && !e.shiftKey && e.key === 'Enter',
  },
  {
    id: 'pause',
    keys: ['Ctrl', 'Shift', 'P'],
    description: 'Pause or resume the VM',
    where: 'VM page',
    matches: (e) => ctrl(e) && e.shiftKey && e.key.toLowerCase() === 'p',
  },
  {
    id: 'console',
    keys: ['Alt', '1'],
    description: 'Show the console',
    where: 'VM page',
    matches: (e) => e.altKey && !ctrl(e) && e.key === '1',
  },
  {
    id: 'machine',
    keys: ['Alt', '2'],
    description: 'Show the machine inspector',
    where: 'VM page',
    matches: (e) => e.altKey && !ctrl(e) && e.key === '2',
  },
  {
    id: 'settings',
    keys: ['Alt', '3'],
    description: "Open the VM's settings",
    where: 'VM page',
    matches: (e) => e.altKey && !ctrl(e) && e.key === '3',
  },
  {
    id: 'snapshots',
    keys: ['Alt', '4'],
    description: "Show the VM's snapshots",
    where: 'VM page',
    matches: (e) => e.altKey && !ctrl(e) && e.key === '4',
  },
  {
    id: 'help',
    keys: ['F1'],
    description: 'Show these shortcuts (also ? outside text fields)',
    where: 'anywhere',
    matches: (e) => e.key === 'F1' || (e.key === '?' && !isTyping(e)),
  },
];

/** True when the key goes to a text field or the terminal (plain keys belong to them there). */
export function isTyping(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  if (!target) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function shortcutFor(event: KeyboardEvent): ShortcutId | null {
  return SHORTCUTS.find((s) => s.matches(event))?.id ?? null;
}

/** Listeners for shortcuts handled by a view (the VM page): set while it is mounted. */
type ShortcutHandler = (id: ShortcutId) => boolean;
const viewHandlers = new Set<ShortcutHandler>();

export function onViewShortcut(handler: ShortcutHandler): () => void {
  viewHandlers.add(handler);
  return () => viewHandlers.delete(handler);
}

/** Offers a shortcut to the mounted views; true when one handled it. */
export function dispatchToViews(id: ShortcutId): boolean {
  for (const handler of viewHandlers) if (handler(id)) return true;
  return false;
}
