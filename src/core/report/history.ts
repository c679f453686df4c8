/**
 * The report's History section: the folder's sets, where this one stands
 * among those of its prefix, and whether the retention policy keeps it,
 * worded for the front door that shows it.
 */
import type { ListedSet } from '../sets/listing';
import { DEFAULT_KEEP, DEFAULT_KEEP_SAFETY, planRetention } from '../retention/retention';
import { DEFAULT_POLICY, describePolicy, describeRule, policyKey, type RetentionPolicy } from '../retention/policy';
import { shellCommand } from '../shell';
import { SET_STATUS_TEXT, type ReportHistory, type RichText } from './types';

export function buildHistory(sets: ListedSet[], set: ListedSet, folder: string, policy: RetentionPolicy, frontDoor: 'cli' | 'vscode'): ReportHistory {
  const samePrefix = sets.filter((candidate) => candidate.prefix === set.prefix);
  // Safety sets have their own count (see retention.ts): the position is among sets of the same kind.
  const sameKind = samePrefix.filter((candidate) => (candidate.purpose === 'safety') === (set.purpose === 'safety'));
  const index = sameKind.findIndex((candidate) => candidate.id === set.id) + 1;
  const pinned = sets.filter((candidate) => candidate.pinned).map((candidate) => candidate.id);
  const plan = planRetention(sets, { prefix: set.prefix, policy });
  const safety = set.purpose === 'safety';
  const kind = safety ? 'safety set' : 'backup';
  const keptBy = plan.kept.find((candidate) => candidate.id === set.id)?.rules;
  const keptAsSafety = plan.keptSafety.some((candidate) => candidate.id === set.id);
  const policyText = describePolicy(policy);
  const rules: RichText[] =
    frontDoor === 'vscode'
      ? [
          [
            `Each backup, and Prune Old Backups, keep ${policyText} finished backups of a prefix (the Retention settings: `,
            { code: 'pulseBackup.retention.keepLast' },
            ' and the hourly, daily, weekly, monthly and yearly rules) and remove the others whole. More than 3 sets at once, or sets the policy never kept before, are removed only after you confirm the list.',
          ],
          [
            `Safety sets (taken before a restore) do not count: the newest ${DEFAULT_KEEP_SAFETY} of the prefix are kept and older ones removed, so restores never push a backup out.`,
          ],
          [
            'Retention never removes a pinned set (Pin in the Backups view), the set a backup has just written, the newest backup that verifies, a set still being written, or any file that is not part of a backup set.',
          ],
        ]
      : [
          [
            'Each backup, and ',
            { code: `pulse-backup prune --dir ${shellCommand([folder])}` },
            `, keep ${policyText} finished backups of a prefix (`,
            { code: '--keep N' },
            ' and ',
            { code: '--keep-hourly/-daily/-weekly/-monthly/-yearly N' },
            ' set the policy) and remove the others whole; ',
            { code: 'prune --dry-run' },
            ' shows what would go. After a backup, more than 3 sets at once, or sets the policy never kept before, are held back for prune.',
          ],
          [
            `Safety sets (taken before a restore) do not count: the newest ${DEFAULT_KEEP_SAFETY} of the prefix are kept (`,
            { code: '--keep-safety N' },
            ' says otherwise) and older ones removed, so restores never push a backup out.',
          ],
          [
            'Retention never removes a pinned set (',
            { code: 'pulse-backup pin <SET_ID>' },
            '), the set a backup has just written, the newest backup that verifies, a set still being written, or any file that is not part of a backup set.',
          ],
        ];
  const policyName = frontDoor === 'vscode' ? "this folder's policy" : cliPolicyName(policy);
  const standing = set.pinned
    ? '; it is pinned, so retention keeps it.'
    : set.status === 'running'
      ? '.'
      : safety
        ? keptAsSafety
          ? `; it is among the newest ${DEFAULT_KEEP_SAFETY} safety sets, which retention keeps.`
          : `; it is older than the newest ${DEFAULT_KEEP_SAFETY} safety sets, so the next retention run may remove it unless it is pinned.`
        : keptBy
          ? `; ${policyName} keeps it (${keptBy.map((rule) => describeRule(rule, set.timestamp, policy)).join('; ')}).`
          : `; ${policyName} does not keep it, so the next retention run may remove it unless it is pinned or the newest backup that verifies.`;
  return {
    sets: sets.map((candidate) => ({
      id: candidate.id,
      createdAt: candidate.createdAt,
      totalBytes: candidate.totalBytes,
      status: candidate.status,
      statusText: SET_STATUS_TEXT[candidate.status],
      purpose: candidate.purpose,
      pinned: candidate.pinned,
      isThisSet: candidate.id === set.id,
    })),
    retention: {
      defaultKeep: DEFAULT_KEEP,
      policy: policyText,
      rules,
      position: { index, of: sameKind.length, prefix: set.prefix },
      summary: `This set is number ${index} of ${sameKind.length} ${kind}${sameKind.length === 1 ? '' : 's'} with prefix ${set.prefix}, newest first${standing}`,
    },
    pinned,
  };
}

/** The CLI cannot know which flags the next run gets: it speaks of the default unless told. */
function cliPolicyName(policy: RetentionPolicy): string {
  return policyKey(policy) === policyKey(DEFAULT_POLICY) ? `the default policy (keep ${describePolicy(policy)})` : `the policy (keep ${describePolicy(policy)})`;
}
