/**
 * What a person sees and does in VS Code's workbench, as playwright locators
 * over its DOM: the command palette and quick picks, input boxes,
 * notifications, the Backups tree and its context menu, the task terminal,
 * the modal dialog, the status bar and the report webview. Everything here
 * reads the screen; nothing asks the extension or VS Code's API.
 *
 * Checked against code-server 4.100.3 (VS Code 1.100.3). The terminal is read
 * from xterm's DOM renderer, so the user settings must turn the GPU renderer
 * off (terminal.integrated.gpuAcceleration: "off").
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** A row of a tree or list as the screen (and a screen reader) has it. */
export interface ListRow {
  label: string;
  level: number;
  expanded: boolean | undefined;
}

/** How long the UI gets to show something before a step fails. */
export const UI_TIMEOUT_MS = 30_000;
/** Engine work (backup, verify, restore with its safety backup) on the small sample. */
export const WORK_TIMEOUT_MS = 90_000;

/** The little of a DOM element that treeRows() reads (the project compiles without the DOM library). */
interface RowElement {
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  style: { top: string };
}

/** The little of a DOM element that measuring a cut text needs. */
interface MeasuredElement {
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
}

/** A quick pick item's label (its first line; the detail below it is a label-name too). */
const ITEM_LABEL = '.quick-input-list-row:first-child .label-name';

const STATUS_ITEM_ID = 'pulse-backup.pulse-backup.pulseBackup.status';

export function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

export class Workbench {
  constructor(
    readonly page: Page,
    private readonly screenshotsDir: string,
    /** Where the workarounds below say when they were needed. */
    private readonly note: (line: string) => void = () => undefined,
  ) {
    mkdirSync(screenshotsDir, { recursive: true });
  }

  /** The workbench is drawn, the folder is open and the extension's container is in the activity bar. */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await this.activityBarItem('Pulse Backup').waitFor({ timeout: timeoutMs });
    await this.page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Moves the pointer where it opens no hover and highlights nothing. */
  async movePointerAway(): Promise<void> {
    const box = await this.page.locator('.part.editor').boundingBox();
    await this.page.mouse.move(box ? box.x + box.width / 2 : 800, box ? box.y + box.height / 2 : 400);
  }

  // -------------------------------------------------------------------------
  // Layout

  activityBarItem(title: string): Locator {
    return this.page.locator(`.part.activitybar .action-item a.action-label[aria-label="${title}"]`);
  }

  /** Opens the activity bar's container unless the side bar shows it already. */
  async openActivityBarItem(title: string): Promise<void> {
    const header = this.sideBar()
      .locator('.composite.title')
      .filter({ hasText: new RegExp(title, 'i') });
    if (!(await header.isVisible())) await this.activityBarItem(title).click();
    await header.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
  }

  /** Drags the sash between the side bar and the editor so that tree descriptions fit. */
  async setSideBarWidth(width: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box || Math.abs(box.width - width) < 4) return;
    const edge = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(edge, y);
    await this.page.mouse.down();
    await this.page.mouse.move(edge + (width - box.width) / 2, y, { steps: 4 });
    await this.page.mouse.move(box.x + width, y, { steps: 4 });
    await this.page.mouse.up();
    await this.movePointerAway();
  }

  /** Shows the panel (terminal) over the editor area, or brings it back to its normal size. */
  async setPanelMaximized(maximized: boolean): Promise<void> {
    const panel = this.page.locator('.part.panel');
    const visible = await panel.isVisible();
    const isMaximized = visible && (await this.isPanelMaximized());
    if (visible && isMaximized === maximized) return;
    if (!visible && !maximized) return;
    await this.runCommand('View: Toggle Maximized Panel');
    await panel.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const deadline = Date.now() + UI_TIMEOUT_MS;
    while ((await this.isPanelMaximized()) !== maximized) {
      if (Date.now() > deadline) throw new Error(`the panel did not ${maximized ? 'maximize' : 'return to its size'}`);
      await this.page.waitForTimeout(100);
    }
  }

  private async isPanelMaximized(): Promise<boolean> {
    const editor = await this.page.locator('.part.editor').boundingBox();
    return editor === null || editor.height < 5;
  }

  async hidePanel(): Promise<void> {
    if (!(await this.page.locator('.part.panel').isVisible())) return;
    await this.runCommand('View: Hide Panel');
    await this.page.locator('.part.panel').waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  }

  // -------------------------------------------------------------------------
  // Command palette, quick picks, input boxes

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private quickInputBox(): Locator {
    return this.quickInput().locator('.quick-input-box input');
  }

  /** F1, the command's title, and a click on exactly that entry. */
  async runCommand(title: string): Promise<void> {
    await this.typeInPalette(title);
    await this.quickPickRow(title).click({ timeout: UI_TIMEOUT_MS });
  }

  /** F1 and what a person types; returns the labels the palette then offers, best first. */
  async typeInPalette(text: string): Promise<string[]> {
    await this.page.keyboard.press('F1');
    const input = this.quickInputBox();
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await input.fill(`>${text}`);
    await this.quickInput().locator('.monaco-list-row').first().waitFor({ timeout: UI_TIMEOUT_MS });
    // The list settles a moment after the typing (results from tf-idf come last).
    await this.page.waitForTimeout(300);
    return (await this.quickInput().locator(`.monaco-list-row ${ITEM_LABEL}`).allTextContents()).map((label) => label.trim());
  }

  quickPickRow(label: string): Locator {
    return this.quickInput()
      .locator('.monaco-list-row')
      .filter({ has: this.page.locator(ITEM_LABEL, { hasText: exactly(label) }) });
  }

  /** The quick pick titled so: its item labels, in order. */
  async quickPickLabels(title: string): Promise<string[]> {
    await this.quickInput()
      .locator('.quick-input-title', { hasText: exactly(title) })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await this.quickInput().locator('.monaco-list-row').first().waitFor({ timeout: UI_TIMEOUT_MS });
    const labels = await this.quickInput().locator(`.monaco-list-row ${ITEM_LABEL}`).allTextContents();
    return labels.map((label) => label.trim());
  }

  /** Types into the open quick pick's filter and clicks the item labelled exactly so. */
  async filterQuickPick(label: string): Promise<void> {
    const input = this.quickInputBox();
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await input.fill(label);
    await this.quickPickRow(label).first().click({ timeout: UI_TIMEOUT_MS });
    await this.quickInput().waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  }

  async pickQuickPickItem(label: string): Promise<void> {
    await this.quickPickRow(label).click({ timeout: UI_TIMEOUT_MS });
  }

  /** Waits for an input box whose title or prompt contains `prompt`; returns its title, its prompt and its value. */
  async inputBox(prompt: string | RegExp): Promise<{ text: string; value: string; isPassword: boolean }> {
    const widget = this.quickInput().filter({ hasText: prompt });
    await widget.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const input = this.quickInputBox();
    return {
      text: (await widget.innerText()).trim(),
      value: await input.inputValue(),
      isPassword: (await input.getAttribute('type')) === 'password',
    };
  }

  /** Types into the open input box (replacing what it held) and confirms with Enter. */
  async answerInputBox(value: string | undefined): Promise<void> {
    const input = this.quickInputBox();
    if (value !== undefined) await input.fill(value);
    await input.press('Enter');
  }

  // -------------------------------------------------------------------------
  // Notifications

  /** A notification toast that contains the text. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.notification-list-item-message', { hasText: text }) });
  }

  errorNotifications(): Locator {
    return this.page.locator('.notifications-toasts .notification-toast').filter({ has: this.page.locator('.codicon-error') });
  }

  /** Waits for a toast with the text; returns its message (without source and buttons). */
  async waitForNotification(text: string | RegExp, timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    const toast = this.notification(text).last();
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await toast.locator('.notification-list-item-message').innerText()).trim();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
  }

  // -------------------------------------------------------------------------
  // The side bar's view: welcome content and tree

  sideBar(): Locator {
    return this.page.locator('.part.sidebar');
  }

  welcomeContent(): Locator {
    return this.sideBar().locator('.welcome-view-content');
  }

  /** The tree's visible rows, top to bottom, by their accessible label. */
  async treeRows(): Promise<ListRow[]> {
    // Rows are positioned absolutely and may sit in the DOM out of order: sort by their offset.
    return this.sideBar()
      .locator('.monaco-list-row')
      .evaluateAll((rows: RowElement[]) =>
        rows
          .map((row) => ({
            label: row.getAttribute('aria-label') ?? '',
            level: Number(row.getAttribute('aria-level') ?? '0'),
            expanded: row.hasAttribute('aria-expanded') ? row.getAttribute('aria-expanded') === 'true' : undefined,
            top: Number.parseFloat(row.style.top || '0'),
          }))
          .sort((first, second) => first.top - second.top)
          .map(({ label, level, expanded }) => ({ label, level, expanded })),
      );
  }

  /** The tree row whose accessible label starts with the text. */
  treeRow(labelStart: string): Locator {
    return this.sideBar().locator(`.monaco-list-row[aria-label^="${labelStart.replace(/["\\]/g, '\\$&')}"]`);
  }

  /** The rows under a top-level row, as far as they are shown. */
  static childrenOf(rows: readonly ListRow[], parentLabelStart: string): ListRow[] {
    const index = rows.findIndex((row) => row.label.startsWith(parentLabelStart));
    if (index < 0) return [];
    const parent = rows[index];
    const children: ListRow[] = [];
    for (const row of rows.slice(index + 1)) {
      if (row.level <= parent.level) break;
      children.push(row);
    }
    return children;
  }

  /** Right-click on a tree row, then the context menu's entry. */
  async contextMenu(row: Locator, entry: string): Promise<string[]> {
    await row.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    const entries = (await menu.locator('.action-item .action-label').allTextContents()).map((text) => text.trim()).filter((text) => text !== '');
    // The menu can swallow a click that comes right after it opened: point at the entry
    // first, and if the menu is still open after the click, Enter runs the focused entry.
    const item = menu.locator('.action-item').filter({ has: this.page.locator('.action-label', { hasText: exactly(entry) }) });
    await item.hover({ timeout: UI_TIMEOUT_MS });
    await item.click({ timeout: UI_TIMEOUT_MS });
    try {
      await menu.waitFor({ state: 'hidden', timeout: 1500 });
    } catch {
      this.note(`context menu: the click on "${entry}" left the menu open; pressing Enter`);
      await this.page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    }
    return entries;
  }

  /** Hovers a row and clicks one of its inline actions. */
  async inlineAction(row: Locator, title: string): Promise<void> {
    await row.hover();
    await row.locator(`.actions .action-label[aria-label="${title}"]`).click({ timeout: UI_TIMEOUT_MS });
  }

  /**
   * Whether a tree row's description is shown whole: no ellipsis cut it
   * (its text fits the width it has).
   */
  async descriptionFits(row: Locator): Promise<{ text: string; fits: boolean }> {
    const description = row.locator('.label-description').first();
    return description.evaluate((element: MeasuredElement) => ({ text: element.textContent ?? '', fits: element.scrollWidth <= element.clientWidth + 1 }));
  }

  /** Hovers a row and returns the text of the hover it opens. */
  async hoverText(row: Locator, contains: string | RegExp): Promise<string> {
    // A hover opens when the pointer enters: not while it rests where it just clicked.
    await this.movePointerAway();
    await row.hover();
    const hover = this.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: contains }).first();
    await hover.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    return (await hover.innerText()).trim();
  }

  // -------------------------------------------------------------------------
  // Status bar, terminal, dialog, webview

  statusBarItem(): Locator {
    return this.page.locator(`.part.statusbar [id="${STATUS_ITEM_ID}"]`);
  }

  /** The visible rows of the active terminal in the panel, as text. */
  async terminalText(): Promise<string> {
    const rows = await this.page.locator('.part.panel .terminal-wrapper.active .xterm-rows > div').allTextContents();
    return rows.map((row) => row.replace(/\u00a0/g, ' ').trimEnd()).join('\n');
  }

  /** Polls the active terminal until its text matches; returns the text. */
  async waitForTerminalText(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.terminalText();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline) throw new Error(`the terminal did not show ${String(pattern)} within ${timeoutMs} ms; it shows:\n${text}`);
      await this.page.waitForTimeout(200);
    }
  }

  dialog(): Locator {
    return this.page.locator('.monaco-dialog-box');
  }

  /**
   * Reads the webview, and reads it again when VS Code replaced the
   * webview's frame meanwhile (setting a webview's html does that) or, with
   * `until`, while the result does not satisfy it yet: a read that lands on a
   * frame still loading finds nothing.
   */
  async readWebview<T>(read: (frame: FrameLocator) => Promise<T>, until: (result: T) => boolean = () => true, timeoutMs = UI_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const result = await read(this.webview());
        if (until(result) || Date.now() > deadline) return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const replaced = /detached|Target closed|Execution context was destroyed/i.test(message);
        if (!replaced || Date.now() > deadline) throw error;
        this.note(`webview: read again after ${message.split('\n')[0]}`);
      }
      await this.page.waitForTimeout(100);
    }
  }

  /** The report's page: inside the webview's iframe, inside its active-frame iframe. */
  webview(): FrameLocator {
    // Webviews float above the editor part in the DOM, outside it.
    return this.page.locator('iframe.webview').first().contentFrame().locator('iframe#active-frame').contentFrame();
  }
}
