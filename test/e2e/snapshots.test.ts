/**
 * The Snapshots tab in a real browser against browser mode, on the real emulator: the demo guest's `note`
 * command keeps a line of text in guest memory, so what `note` prints after a restore shows which moment the
 * machine went back to. Takes, restores (with the safety snapshot), renames, compares and deletes snapshots,
 * checking what the page shows against the app's own answers. Screenshots go to test-results/screenshots/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { SnapshotListing, SnapshotRequest, SnapshotResult } from '../../src-shared/api/snapshots';
import { SCREENSHOT_DIR } from './support/chromium';
import type { ServedApp } from './support/app';
import { useAppInBrowser } from './support/browser-session';

const VM = 'demo';
const SAFETY = 'Before restoring before';

let app: ServedApp;
let page: Page;
const { pageErrors } = useAppInBrowser({ width: 1280, height: 900 }, async (opened) => {
  ({ app, page } = opened);
  page.setDefaultTimeout(20_000);
  await app.store.create({
    name: 'Demo',
    boot: { kind: 'demo' },
    memoryMiB: 64,
    cpus: 1,
    disks: [{ kind: 'create', size: '64M' }],
  });
});

const shot = (name: string, fullPage = true) =>
  page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage });

const PROMPT = 'demo> ';

/** What the guest printed since stream position `from` (the VM host's scrollback, as main keeps it). */
function transcriptSince(from: number): string {
  const { start, end, bytes } = app.host.consoleSnapshot(VM);
  // A restarted VM's stream may begin again at 0.
  const offset = from <= end ? Math.max(0, from - start) : 0;
  return new TextDecoder().decode(bytes.subarray(offset));
}

/** The terminal's rows as text (xterm's DOM renderer), without trailing blanks. */
async function consoleRows(): Promise<string[]> {
  const rows = await page.locator('.xterm-rows > div').allTextContents();
  return rows.map((row) => row.replace(/\u00a0/g, ' ').trimEnd());
}

async function until(test: () => Promise<boolean> | boolean, what: () => Promise<string> | string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await test()) return;
    await page.waitForTimeout(100);
  }
  throw new Error(await what());
}

/**
 * Types a command into the console and waits for the guest's next prompt, and for `answer` (the line the
 * command prints) both in what the guest sent and on the terminal.
 */
async function typeCommand(command: string, answer?: string): Promise<void> {
  await page.getByRole('tab', { name: 'Console' }).click();
  const from = app.host.consoleSnapshot(VM).end;
  await page.locator('.xterm').click();
  await page.keyboard.type(command);
  await page.keyboard.press('Enter');
  const expected = `${command}\r\n${answer === undefined ? '' : `${answer}\r\n`}${PROMPT}`;
  await until(
    () => transcriptSince(from).includes(expected),
    () => `the guest never answered '${command}' with '${answer}'; it sent ${JSON.stringify(transcriptSince(from))}`,
  );
  if (answer !== undefined) {
    await until(
      async () => (await consoleRows()).includes(answer),
      async () => `the terminal never showed '${answer}'; rows:\n${(await consoleRows()).join('\n')}`,
    );
  }
}

/** The app's own answer to a snapshot request, straight from the VM host. */
async function hostSnapshot(request: SnapshotRequest): Promise<SnapshotResult> {
  return app.host.snapshot(VM, request);
}

async function hostListing(): Promise<SnapshotListing> {
  const result = await hostSnapshot({ op: 'list' });
  if (result.kind !== 'listing') throw new Error(`unexpected ${result.kind}`);
  return result.listing;
}

const takeForm = () => page.getByRole('form', { name: 'Take a snapshot' });
const tree = () => page.getByRole('list', { name: 'Snapshot tree' });
/** The names of the tree's entries in the order shown (a parent before its children). */
const treeNames = async () =>
  tree()
    .getByRole('listitem')
    .evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')));

describe('snapshots of a running VM in the app (browser mode, real emulator)', () => {
  it('boots the demo guest and shows the empty Snapshots tab', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Demo', exact: true }).click();
    await page.getByRole('heading', { name: 'Demo', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Start Demo' }).click();
    await page.locator('.vm-header').getByRole('status').filter({ hasText: 'Running' }).waitFor();
    await page.locator('.xterm-rows').filter({ hasText: 'demo>' }).waitFor();
    await typeCommand('note', 'note: (empty)');
    await typeCommand('note before');

    await page.keyboard.press('Alt+4');
    await page.getByRole('heading', { name: 'No snapshots yet' }).waitFor();
    expect(await takeForm().getByLabel('Name').inputValue()).toBe('Snapshot 1');
  });

  it('takes a snapshot of the running machine, with progress, and marks the current state under it', async () => {
    await takeForm().getByLabel('Name').fill('before');
    await takeForm().getByLabel('Description').fill('The note says before');
    const saving = page.getByRole('status').filter({ hasText: /Saving the snapshot|Snapshot saved/ });
    const sawProgress = saving.first().waitFor();
    await takeForm().getByRole('button', { name: 'Take snapshot' }).click();
    await sawProgress;
    const before = tree().getByRole('listitem', { name: 'before', exact: true });
    await before.waitFor();

    const listing = await hostListing();
    expect(listing.snapshots.map((s) => [s.name, s.hasMachineState])).toEqual([['before', true]]);
    expect(listing.current.parent).toBe(listing.snapshots[0]!.id);
    await before.getByRole('listitem', { name: 'Current state' }).waitFor();
    expect(await before.textContent()).toContain('machine + disks');
    expect(await before.textContent()).toContain('The note says before');
    // The form offers the next default name once this one is taken.
    expect(await takeForm().getByLabel('Name').inputValue()).toBe('Snapshot 2');
  });

  it('restores the snapshot after saving the current state: the guest continues from before the change', async () => {
    await typeCommand('note after');
    await typeCommand('note', 'note: after');

    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await page.getByRole('button', { name: 'Restore before' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore before?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('continues from "before" at once');
    expect(await dialog.textContent()).toContain('Changes made since the last snapshot are lost');
    const safety = dialog.getByLabel('Take a snapshot of the current state first');
    expect(await safety.isChecked()).toBe(true);
    expect(await dialog.getByLabel('Name of that snapshot').inputValue()).toBe(SAFETY);
    await shot('snapshots-restore-dialog', false);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await typeCommand('note', 'note: before');
    expect(app.host.status(VM).state).toBe('running');
  });

  it('shows both snapshots and the current state continuing from "before"', async () => {
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await tree().getByRole('listitem', { name: SAFETY }).waitFor();
    expect(await treeNames()).toEqual(['before', SAFETY, 'Current state']);

    const listing = await hostListing();
    const byName = new Map(listing.snapshots.map((s) => [s.name, s]));
    const beforeId = byName.get('before')!.id;
    expect(byName.get(SAFETY)!.parent).toBe(beforeId);
    expect(listing.current.parent).toBe(beforeId);
    // Both entries hang under "before" in the page as in the app's tree.
    const before = tree().getByRole('listitem', { name: 'before', exact: true });
    await before.getByRole('listitem', { name: SAFETY }).waitFor();
    await before.getByRole('listitem', { name: 'Current state' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Snapshot restored' }).waitFor({ state: 'detached' });
    await shot('snapshots-tree');
  });

  it('renames the safety snapshot', async () => {
    await page.getByRole('button', { name: `Rename ${SAFETY}` }).click();
    const dialog = page.getByRole('dialog', { name: `Rename ${SAFETY}` });
    await dialog.getByLabel('Name').fill('after');
    await dialog.getByLabel('Description').fill('The note said after');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await tree().getByRole('listitem', { name: 'after', exact: true }).waitFor();
    expect(await treeNames()).toEqual(['before', 'after', 'Current state']);
    expect((await hostListing()).snapshots.map((s) => s.name).sort()).toEqual(['after', 'before']);
  });

  it('compares "before" with "after": RAM pages and device fields differ, as the app computes', async () => {
    const listing = await hostListing();
    const id = (name: string) => listing.snapshots.find((s) => s.name === name)!.id;
    await page.getByLabel('First snapshot').selectOption({ label: 'before' });
    await page.getByLabel('Second snapshot').selectOption({ label: 'after' });
    await page.getByRole('button', { name: 'Compare' }).click();
    const result = page.getByRole('region', { name: 'Differences between before and after' });
    await result.waitFor();

    const answer = await hostSnapshot({ op: 'diff', a: id('before'), b: id('after') });
    if (answer.kind !== 'diff') throw new Error(`unexpected ${answer.kind}`);
    const { diff } = answer;
    expect(diff.ram.reduce((sum, r) => sum + r.pages, 0)).toBeGreaterThan(0);
    expect(diff.devices.length).toBeGreaterThan(0);

    // Each RAM block's row: its name, then the count of pages that differ.
    const ram = result.getByRole('table', { name: 'RAM pages that differ' });
    expect(
      await ram
        .locator('tbody tr')
        .evaluateAll((rows) =>
          rows.map((row) => [
            row.querySelector('th')?.textContent?.trim(),
            row.querySelector('td')?.textContent?.trim(),
          ]),
        ),
    ).toEqual(diff.ram.map((block) => [block.block, String(block.pages)]));
    const devices = result.getByRole('table', { name: 'Device fields that differ' });
    expect(await devices.getByRole('row').count()).toBe(diff.devices.length + 1);
    const firstDevice = diff.devices[0]!;
    expect(await devices.getByRole('rowheader').first().textContent()).toContain(firstDevice.section);
    expect(await result.textContent()).toContain(firstDevice.fields[0]!);
    await result.scrollIntoViewIfNeeded();
    await shot('snapshots-diff');
  });

  it('deletes "before" after showing what the delete keeps and merges', async () => {
    const listing = await hostListing();
    const beforeId = listing.snapshots.find((s) => s.name === 'before')!.id;
    const plan = await hostSnapshot({ op: 'explain-delete', snapshot: beforeId });
    if (plan.kind !== 'delete-plan') throw new Error(`unexpected ${plan.kind}`);

    await page.getByRole('button', { name: 'Delete before' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete before?' });
    const explanation = dialog.locator('.delete-explanation');
    await explanation.waitFor();
    expect((await explanation.innerText()).trim()).toBe(plan.explanation.text.trim());
    await shot('snapshots-delete-dialog', false);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await tree().getByRole('listitem', { name: 'before', exact: true }).waitFor({ state: 'detached' });
    const [after] = (await hostListing()).snapshots;
    // Its memory was stored against "before" and is rewritten: the moment it holds stays the same.
    expect({ name: after!.name, guestTimeNs: after!.guestTimeNs }).toEqual({
      name: 'after',
      guestTimeNs: listing.snapshots.find((s) => s.name === 'after')!.guestTimeNs,
    });
    expect(await treeNames()).toEqual(['after', 'Current state']);
    // The machine runs on, still at the restored moment.
    await typeCommand('note', 'note: before');
  });
});

describe('snapshots of a stopped VM', () => {
  it("takes a disk-only snapshot of the stopped VM's disks", async () => {
    await page.getByRole('button', { name: 'Stop Demo', exact: true }).click();
    await page.locator('.vm-header').getByRole('status').filter({ hasText: 'Stopped' }).waitFor();
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    expect(await takeForm().textContent()).toContain('Demo is stopped: saves its disks only');
    await takeForm().getByLabel('Name').fill('stopped');
    await takeForm().getByRole('button', { name: 'Take snapshot' }).click();
    const stopped = tree().getByRole('listitem', { name: 'stopped', exact: true });
    await stopped.waitFor();
    expect(await stopped.textContent()).toContain('disks only');
    const taken = (await hostListing()).snapshots.find((s) => s.name === 'stopped')!;
    expect({ hasMachineState: taken.hasMachineState, guestTimeNs: taken.guestTimeNs }).toEqual({
      hasMachineState: false,
      guestTimeNs: null,
    });
  });

  it('restores a machine snapshot while stopped: the next start resumes it', async () => {
    await page.getByRole('button', { name: 'Restore after' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore after?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('its next start resumes the machine from that moment');
    await dialog.getByLabel('Take a snapshot of the current state first').uncheck();
    expect(await dialog.getByLabel('Name of that snapshot').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const listing = await hostListing();
    const after = listing.snapshots.find((s) => s.name === 'after')!;
    expect(listing.current).toMatchObject({ parent: after.id, resume: after.id });
    expect(listing.snapshots.map((s) => s.name).sort()).toEqual(['after', 'stopped']);
    const entry = tree().getByRole('listitem', { name: 'after', exact: true });
    await entry.getByText('next start resumes here').waitFor();
    expect(await entry.getByRole('listitem', { name: 'Current state' }).textContent()).toContain(
      'the next start resumes "after"',
    );
    // The VM shows its saved state where its power state is shown, as VirtualBox does.
    await page.locator('.vm-header').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await shot('snapshots-resume-pending');

    await page.getByRole('button', { name: 'Start Demo' }).click();
    await page.locator('.vm-header').getByRole('status').filter({ hasText: 'Running' }).waitFor();
    await typeCommand('note', 'note: after');
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await tree().getByText('next start resumes here').waitFor({ state: 'detached' });
    expect((await hostListing()).current.resume).toBeNull();
  });

  it('does not offer to restore a disk-only snapshot into the running machine', async () => {
    await page.getByRole('button', { name: 'Restore stopped' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore stopped?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('"stopped" holds disks only: stop Demo first to restore it.');
    expect(await dialog.getByRole('button', { name: 'Restore' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it("shows the app's error in the dialog when the snapshot went away meanwhile, and the tree catches up", async () => {
    await page.getByRole('button', { name: 'Delete stopped' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete stopped?' });
    await dialog.locator('.delete-explanation').waitFor();
    // Another window deletes it first.
    const stoppedId = (await hostListing()).snapshots.find((s) => s.name === 'stopped')!.id;
    await hostSnapshot({ op: 'delete', snapshot: stoppedId });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain(stoppedId);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await tree().getByRole('listitem', { name: 'stopped', exact: true }).waitFor({ state: 'detached' });
    expect(await treeNames()).toEqual(['after', 'Current state']);
    expect(pageErrors).toEqual([]);
  });
});
