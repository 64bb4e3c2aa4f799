/**
 * An xterm.js terminal with the addons the console uses (fit, search, web links) and the actions its
 * toolbar offers: copy the selection, save the transcript, search.
 */
import { onBeforeUnmount, useTemplateRef } from 'vue';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';

/** The template ref name of the element the terminal lives in. */
export const TERMINAL_REF = 'terminal-host';

export function useTerminal(label: string) {
  const container = useTemplateRef<HTMLElement>(TERMINAL_REF);
  const terminal = new Terminal({
    cursorBlink: true,
    fontFamily: "'DejaVu Sans Mono', 'Cascadia Mono', Menlo, Consolas, monospace",
    fontSize: 14,
    scrollback: 10_000,
    allowProposedApi: true,
    theme: { background: '#10131a', foreground: '#d8dee9', cursor: '#8fbcbb', selectionBackground: '#3b4252' },
  });
  const fit = new FitAddon();
  const search = new SearchAddon();
  terminal.loadAddon(fit);
  terminal.loadAddon(search);
  terminal.loadAddon(
    new WebLinksAddon((_event, uri) => {
      if (/^https?:\/\//.test(uri)) window.open(uri, '_blank', 'noopener,noreferrer');
    }),
  );
  let resizeObserver: ResizeObserver | null = null;

  /** Puts the terminal into its container; call once the container is in the page. */
  function mount(): void {
    const element = container.value;
    if (!element) throw new Error('the terminal container is not in the page');
    terminal.open(element);
    terminal.textarea?.setAttribute('aria-label', label);
    fit.fit();
    resizeObserver = new ResizeObserver(() => {
      if (element.offsetParent !== null) fit.fit(); // not while the tab is hidden
    });
    resizeObserver.observe(element);
  }

  onBeforeUnmount(() => {
    resizeObserver?.disconnect();
    terminal.dispose();
  });

  /** Copies the selection; false when nothing is selected or the clipboard refuses. */
  async function copySelection(): Promise<boolean> {
    const text = terminal.getSelection();
    if (!text) return false;
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      return false;
    }
  }

  /** The whole transcript the terminal holds (scrollback and screen), as plain text. */
  function transcript(): string {
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n') + '\n';
  }

  function saveTranscript(fileName: string): void {
    const blob = new Blob([transcript()], { type: 'text/plain;charset=utf-8' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  function find(term: string, backwards: boolean): boolean {
    if (!term) return false;
    return backwards ? search.findPrevious(term) : search.findNext(term);
  }

  return { terminal, mount, copySelection, transcript, saveTranscript, find };
}
