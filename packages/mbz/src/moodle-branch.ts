/** A Moodle branch such as "3.10" (or a release such as "4.5.6+ (Build: ...)"), as comparable numbers. */
export type MoodleBranch = readonly [major: number, minor: number];

export function parseMoodleBranch(text: string): MoodleBranch | undefined {
  const match = /^(\d+)\.(\d+)/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

export function compareMoodleBranches(a: MoodleBranch, b: MoodleBranch): number {
  return a[0] - b[0] || a[1] - b[1];
}
