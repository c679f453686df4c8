/**
 * Compare with Database's result as a read-only Markdown document (scheme
 * pulse-backup-diff): a person reads it like any file, searches it, copies
 * from it, and nothing of it is written to disk. Each comparison is a
 * document of its own, opened as a preview (the next one takes its tab).
 */
import * as vscode from 'vscode';
import type { DiffResult } from '../core/prove/diffResult';
import { Disposable } from './lifecycle';
import { diffDocument } from './proofText';

export const DIFF_SCHEME = 'pulse-backup-diff';

export class DiffDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

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
    // A document per comparison: an open one would show its old text until VS Code asks again.
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${result.setId} compared with ${result.target.database}.md`, query: `at=${result.comparedAt}` });
    this.texts.set(uri.toString(), diffDocument(result));
    const document = await vscode.workspace.openTextDocument(uri);
    const markdown = document.languageId === 'markdown' ? document : await vscode.languages.setTextDocumentLanguage(document, 'markdown');
    return vscode.window.showTextDocument(markdown, { preview: true });
  }
}
