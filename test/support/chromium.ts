// Debian's headless chromium, driven by playwright-core.
//
// playwright-core never downloads a browser (and `playwright install` must
// not be run: these machines reach only the npm registry and Debian's
// packages), so it drives the `chromium` Debian package that
// scripts/install-vscode-test-deps.sh installs.

import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** The Debian package's launcher script. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags that keep chromium from reaching the network on its own and run it as root in a container. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const VSCODE_TEST_DEPS_SCRIPT = 'scripts/install-vscode-test-deps.sh';

export interface LaunchChromiumOptions {
  /** Default: CHROMIUM_PATH. */
  executablePath?: string;
  /**
   * A scratch folder: chromium's crash-report settings and caches go there
   * (through XDG_CONFIG_HOME / XDG_CACHE_HOME) instead of the user's home.
   */
  scratchDir?: string;
}

/** Fails with one line naming the install script when the browser is missing. */
export async function assertChromiumInstalled(executablePath: string = CHROMIUM_PATH): Promise<void> {
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(`${executablePath} is missing: install Debian's chromium with \`sudo bash ${VSCODE_TEST_DEPS_SCRIPT}\``);
  }
}

/**
 * Launches headless chromium. The caller closes the browser; playwright also
 * kills it when this process exits. Signal handling is left to the caller
 * (handleSIGINT and friends are off) so that it can clean up in its own order.
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  await assertChromiumInstalled(executablePath);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined) env[key] = value;
  }
  if (options.scratchDir !== undefined) {
    env.XDG_CONFIG_HOME = path.join(options.scratchDir, 'xdg-config');
    env.XDG_CACHE_HOME = path.join(options.scratchDir, 'xdg-cache');
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    env,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}
