/**
 * Ownership of disposables. Every registration, watcher, item and panel has
 * exactly one owner that disposes it, so reloading the window or disabling
 * the extension leaves no watcher or emitter behind.
 */
import type * as vscode from 'vscode';

export function toDisposable(dispose: () => void): vscode.Disposable {
  return { dispose };
}

/** Disposes newest first, the reverse of the order things were set up in. */
export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length > 0) {
    disposables.pop()?.dispose();
  }
}

export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership; something registered after disposal is disposed at once. */
  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this.disposed) value.dispose();
    else this.owned.push(value);
    return value;
  }
}
