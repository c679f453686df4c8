/** Every command of `pulse-backup`, in the order `help` lists them. */
import type { Command } from '../command';
import { backupCommand } from './backup';
import { diffCommand } from './diff';
import { guardCommand } from './guard';
import { scheduleCommand } from './schedule';
import { listCommand, showCommand } from './list';
import { pullCommand, pushCommand } from './offsite';
import { restoreCommand } from './restore';
import { proveCommand } from './prove';
import { pinCommand, pruneCommand, unpinCommand } from './retention';
import { summaryCommand } from './summary';
import { verifyCommand } from './verify';

export const COMMANDS: readonly Command[] = [
  backupCommand,
  listCommand,
  showCommand,
  verifyCommand,
  proveCommand,
  diffCommand,
  restoreCommand,
  guardCommand,
  scheduleCommand,
  pushCommand,
  pullCommand,
  pruneCommand,
  pinCommand,
  unpinCommand,
  summaryCommand,
];
