/** Skips a test and says why in its title, which the reporter prints among the skipped ones. */
export function skipBecause(context: Mocha.Context, reason: string): never {
  if (context.test) context.test.title += ` (skipped: ${reason})`;
  context.skip();
}
