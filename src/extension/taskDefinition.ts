/**
 * What a `pulse-backup` task is, as package.json's taskDefinitions declares
 * it: the actions, the checks a definition from tasks.json must pass (each
 * message names the property to fix), and the name its terminal shows.
 */
import type * as vscode from 'vscode';
import { PulseError } from '../core/errors';
import type { RestoreMode } from '../core/restore/types';

export const TASK_TYPE = 'pulse-backup';

export type TaskAction = 'backup' | 'restore' | 'verify' | 'prove' | 'diff' | 'push' | 'pull';
const ACTIONS: readonly TaskAction[] = ['backup', 'restore', 'verify', 'prove', 'diff', 'push', 'pull'];
const MODES: readonly RestoreMode[] = ['complete', 'schema', 'data'];

/** As declared in package.json's taskDefinitions. */
export interface PulseTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: TaskAction;
  /** verify, restore, prove, diff, push: the set; without it, the newest real backup. pull: the remote set (needed). */
  setId?: string;
  /** restore: complete (default), schema or data. */
  mode?: RestoreMode;
  /** restore: drop (complete, schema) or empty (data) the backup's objects in the target first. */
  clean?: boolean;
  /** Multi-root: the workspace folder's name, when the task is not defined inside that folder. */
  folder?: string;
  /** restore --mode data in a Supabase project: run supabase db reset --local first, after the safety backup. */
  reset?: boolean;
  /** backup: a safety set taken before this command (Back Up and Reset Database): no proof, no retention, as `pulse-backup guard`. */
  before?: string;
  /** backup: started by pulseBackup.schedule: its terminal is not revealed and it asks nothing. */
  scheduled?: boolean;
  /**
   * Set by the extension's own commands: each run its own task, never taken
   * for another that is still running or for the one the provider offers.
   * Declared in package.json, as VS Code keeps only declared properties in a
   * task's identity.
   */
  run?: number;
}

export function isPulseTaskDefinition(definition: vscode.TaskDefinition): definition is PulseTaskDefinition {
  return definition.type === TASK_TYPE;
}

/** Checks a definition from tasks.json; the message names the property to fix. */
export function checkTaskDefinition(definition: vscode.TaskDefinition): PulseTaskDefinition {
  const action = definition.action as unknown;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    throw new PulseError('usage', `a ${TASK_TYPE} task needs "action": "backup", "restore", "verify", "prove", "diff", "push" or "pull"`, { hint: 'fix the task in tasks.json' });
  }
  if (action === 'pull' && typeof definition.setId !== 'string') {
    throw new PulseError('usage', `a ${TASK_TYPE} task with "action": "pull" needs "setId": the remote set to copy here`, { hint: 'fix the task in tasks.json' });
  }
  const mode = definition.mode as unknown;
  if (mode !== undefined && (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode))) {
    throw new PulseError('usage', `"mode" of a ${TASK_TYPE} task must be "complete", "schema" or "data"`, { hint: 'fix the task in tasks.json' });
  }
  for (const name of ['setId', 'folder', 'before'] as const) {
    const value = definition[name] as unknown;
    if (value !== undefined && typeof value !== 'string') {
      throw new PulseError('usage', `"${name}" of a ${TASK_TYPE} task must be a string`, { hint: 'fix the task in tasks.json' });
    }
  }
  for (const name of ['clean', 'reset', 'scheduled'] as const) {
    if (definition[name] !== undefined && typeof definition[name] !== 'boolean') {
      throw new PulseError('usage', `"${name}" of a ${TASK_TYPE} task must be true or false`, { hint: 'fix the task in tasks.json' });
    }
  }
  return definition as PulseTaskDefinition;
}

export function taskName(definition: PulseTaskDefinition): string {
  switch (definition.action) {
    case 'backup':
      if (definition.before) return `safety backup before ${definition.before}`;
      return definition.scheduled ? 'scheduled backup' : 'backup';
    case 'verify':
      return definition.setId ? `verify ${definition.setId}` : 'verify latest';
    case 'restore':
      return `restore ${definition.setId ?? 'latest'} (${definition.reset ? 'reset, then ' : ''}${definition.mode ?? 'complete'}${definition.clean ? ', clean' : ''})`;
    case 'prove':
      return definition.setId ? `prove ${definition.setId}` : 'prove latest';
    case 'diff':
      return `compare ${definition.setId ?? 'latest'} with the database`;
    case 'push':
      return `push ${definition.setId ?? 'latest'} offsite`;
    case 'pull':
      return `pull ${definition.setId ?? ''}`;
  }
}
