/**
 * Compare with Database's result as a read-only Markdown document (scheme
 * pulse-backup-diff): a person reads it like any file, searches it, copies
 * from it, and nothing of it is written to disk. One document per set;
 * comparing again replaces its text.
 */
import * as vscode from 'vscode';
import type { DiffResult } from '../core/diff';
import { Disposable } from './lifecycle';
import { diffDocument } from './proofText';

export const DIFF_SCHEME = 'pulse-backup-diff';

export class DiffDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, this));
    // A closed document's text is not kept.
    this._register(vscode.workspace.onDidCloseTextDocument((document) => void this.texts.delete(document.uri.toString())));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This comparison is no longer kept: run Compare with Database again.\n';
  }

  /** Shows the result beside the editor that is open, as a Markdown document. */
  async show(result: DiffResult): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${result.setId} compared with ${result.target.database}.md` });
    this.texts.set(uri.toString(), diffDocument(result));
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    const markdown = document.languageId === 'markdown' ? document : await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    return vscode.window.showTextDocument(markdown, { preview: true });
  }
}
