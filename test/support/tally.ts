// Counts the security tests print for docs/security.md.

/** Print a count for docs/security.md (grep the test output for `[security]`). */
export function tally(label: string, n: number): void {
  process.stdout.write(`[security] ${label}: ${n}\n`);
}
