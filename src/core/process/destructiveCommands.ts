/**
 * The commands that wipe or rewrite a local database, one list for the
 * extension's guard (which watches terminals and tasks for them) and the
 * recipes of docs/schedules.md (`pulse-backup guard -- …`; a unit test
 * keeps the two the same).
 */

export interface DestructiveCommand {
  /** As the recipes write it. */
  command: string;
  /** What it does to the database, for the warning. */
  effect: string;
  /** Matches the command in a line typed into a shell (after npx, pnpm, yarn or bunx; not inside a `pulse-backup guard`). */
  pattern: RegExp;
}

/** The command's last word ends there (not db:reset-docs). */
const END = String.raw`(?![\w:-])`;
const RUNNER = String.raw`(?:(?:npx|pnpm(?:\s+exec|\s+dlx)?|yarn|bunx)\s+)?`;

/** The words as a shell line holds them: at a command's start, perhaps after a package runner. */
function typed(words: string): RegExp {
  return new RegExp(String.raw`(?:^|[\s;&|(])${RUNNER}${words.split(' ').join(String.raw`\s+`)}${END}`);
}

export const DESTRUCTIVE_COMMANDS: readonly DestructiveCommand[] = [
  { command: 'supabase db reset', effect: 'wipes the local database and rebuilds it from the migrations', pattern: typed('supabase db reset') },
  { command: 'supabase migration up', effect: 'applies migrations to the database', pattern: typed('supabase migration up') },
  { command: 'supabase migration down', effect: 'reverts migrations and rebuilds the database', pattern: typed('supabase migration down') },
  { command: 'prisma migrate reset', effect: 'drops the database and applies every migration again', pattern: typed('prisma migrate reset') },
  {
    command: 'npm run db:reset',
    effect: "runs the project's database reset",
    pattern: /(?:^|[\s;&|(])(?:npm\s+run|pnpm(?:\s+run)?|yarn(?:\s+run)?|bun\s+run)\s+db:reset(?![\w:-])/,
  },
];

/** The destructive command a shell line runs, unless `pulse-backup guard` already guards it. */
export function destructiveCommandIn(commandLine: string): DestructiveCommand | undefined {
  if (/(?:^|[\s;&|(])(?:npx\s+)?pulse-backup\s+guard\b/.test(commandLine)) return undefined;
  return DESTRUCTIVE_COMMANDS.find((entry) => entry.pattern.test(commandLine));
}
