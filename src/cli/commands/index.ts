/** Every command of `pulse-backup`, in the order `help` lists them. */
import type { Command } from '../command';
import { backupCommand } from './backup';
import { listCommand, showCommand } from './list';

export const COMMANDS: readonly Command[] = [backupCommand, listCommand, showCommand];
