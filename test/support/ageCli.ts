/**
 * The real `age` command (Debian's package), for the tests that hold our age
 * files to it both ways. age reads a passphrase from the terminal only, so
 * those runs go through `script`, which gives it a pseudo-terminal whose
 * input is what the test types.
 */
import { execFileSync, spawn } from 'node:child_process';
import { shellCommand } from '../../src/core/shell';

function missing(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Why the age command cannot be used here (install it with apt-get install age), or undefined when it runs. */
export function ageMissing(): string | undefined {
  if (missing('age', ['--version'])) return 'the age command is not installed (apt-get install age)';
  return undefined;
}

/** Why age cannot be given a passphrase here (it needs a terminal: `script` makes one), or undefined. */
export function agePassphraseMissing(): string | undefined {
  return ageMissing() ?? (missing('script', ['--version']) ? 'the script command (util-linux) is not installed' : undefined);
}

/** Runs age with arguments; stdin from `input` (a file's bytes), stdout returned. */
export function runAge(args: string[], input?: Buffer): Buffer {
  return execFileSync('age', args, { input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 1024 * 1024 * 1024 });
}

/** Runs age in a pseudo-terminal, typing `typed` (the passphrase, with its newlines); resolves when age exits 0. */
export function runAgeOnTerminal(args: string[], typed: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', shellCommand(['age', ...args]), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`age ${args.join(' ')} exited with ${code}: ${output.replace(/\s+/g, ' ').trim()}`))));
    child.stdin.end(typed);
  });
}
