/**
 * No child outlives this process. Every tool it starts (pg_dump, psql, a
 * `--version` probe, `supabase db reset`) is registered here while it runs:
 * a cancel that cannot finish cleaning up in time kills them all at once,
 * and if this process itself is killed outright (kill -9, an out-of-memory
 * kill), a watchdog kills them.
 *
 * Why a watchdog, and this one: Node cannot ask Linux for a parent-death
 * signal (prctl), and `setpriv --pdeathsig` exists only on Linux with
 * util-linux and would sit in front of every child's command line. Instead,
 * one small `/bin/sh` per run, started with the first child, reads "+ PID"
 * and "- PID" lines on a pipe from this process. It never polls: when this
 * process dies, the kernel closes the pipe, the shell's `read` sees the end
 * of its input at once, and it kills every PID still registered. A run that
 * ends normally has unregistered every child first, so the watchdog then
 * kills nothing and ends too. It ignores the terminal's signals, so Ctrl-C
 * or a closed terminal cannot take it away before its work. (Windows has no
 * /bin/sh; there, only the in-process clean-up applies.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

const WATCHDOG_SCRIPT = `trap '' INT TERM HUP QUIT
live=' '
while read -r op pid; do
  case "$op" in
    +) live="$live$pid " ;;
    -) case "$live" in *" $pid "*) live="\${live%% $pid *} \${live#* $pid }" ;; esac ;;
  esac
done
for pid in $live; do kill -9 "$pid" 2>/dev/null; done
`;

interface Adopted {
  child: ChildProcess;
  /** What to kill: the pid, or minus it for a child that leads its own process group (it and what it started). */
  target: number;
}

const adopted = new Set<Adopted>();
let watchdog: ChildProcess | undefined;
let watchdogFailed = false;

/**
 * Registers a started child until it exits. `group`: the child leads its own
 * process group (spawned detached), and everything in that group goes with it.
 */
export function adoptChild(child: ChildProcess, options: { group?: boolean } = {}): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const entry: Adopted = { child, target: options.group ? -pid : pid };
  // Started (or restarted) first: a new watchdog is told of the children already registered.
  startWatchdog();
  adopted.add(entry);
  tellWatchdog(`+ ${entry.target}`);
  child.once('exit', () => {
    adopted.delete(entry);
    tellWatchdog(`- ${entry.target}`);
  });
}

/** Kills every registered child (and its group) now: for an exit that cannot wait for them. */
export function killAdoptedChildren(): void {
  for (const { child, target } of adopted) {
    try {
      if (target < 0) process.kill(target, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
  adopted.clear();
}

/** How many registered children still run (for tests). */
export function adoptedChildren(): number {
  return adopted.size;
}

function tellWatchdog(line: string): void {
  const stdin = watchdog?.stdin;
  if (!stdin || stdin.destroyed) return;
  stdin.write(`${line}\n`);
}

function startWatchdog(): ChildProcess | undefined {
  if (watchdog || watchdogFailed || process.platform === 'win32') return watchdog;
  try {
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  } catch {
    watchdogFailed = true;
    return undefined;
  }
  const started = watchdog;
  watchdog.on('error', () => {
    watchdogFailed = true;
    if (watchdog === started) watchdog = undefined;
  });
  // Should it ever end early, the next child starts a new one, told of every child still running.
  watchdog.once('exit', () => {
    if (watchdog === started) watchdog = undefined;
  });
  watchdog.stdin?.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps this process alive: its end is the watchdog's signal.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  for (const { target } of adopted) watchdog.stdin?.write(`+ ${target}\n`);
  return watchdog;
}
