/**
 * One normal form of a failure text, made once before any rule reads it.
 *
 * Real reasons arrive re-wrapped and redacted: a sentence split across lines, tabs and doubled
 * spaces, curly quotes from a chat client, `…` where a log viewer cut the text, and account ids
 * masked as `****`, `<account>`, `[account id]`, `xxxxxxxxxxxx` or cut to 9 digits. Rules read the
 * normal form; quotes shown to a reader come from the original, mapped back by position.
 */

/** A run of the text the normal form rewrote, with where it came from. */
interface Rewrite {
  readonly normalStart: number;
  readonly normalEnd: number;
  readonly originalStart: number;
  readonly originalEnd: number;
}

export interface NormalText {
  /** What rules read: single spaces, straight quotes, `...`, masked accounts emptied. */
  readonly text: string;
  readonly original: string;
  /** The original text behind `text.slice(start, end)`, for quoting. */
  readonly quote: (start: number, end: number) => string;
}

/**
 * An ARN's head and account field (`arn:aws:sts::<here>:`). A field that is not a 12-digit id is a
 * mask, standing for an unknown account, which an ARN writes as an empty field (`arn:aws:iam:::role/x`).
 */
const ARN_ACCOUNT = String.raw`(?<arnHead>\barn:aws[a-z-]*:[a-z0-9-]{1,40}:[a-z0-9-]{0,30}:)(?<account>\[[^\]:/]{1,24}\]|<[^>:/]{1,24}>|\([^):/]{1,24}\)| ?[^\s:/"'()<>[\]]{1,24})(?=:)`;

/**
 * The characters the normal form replaces one by one: invisible ones go, curly quotes become
 * straight, an ellipsis becomes three dots.
 */
const CHARACTER_REWRITES: Readonly<Record<string, string>> = Object.fromEntries([
  ...[...'\u200b\u200c\u200d\u2060'].map((c) => [c, '']),
  ...[...'\u2018\u2019\u201a\u201b\u2032'].map((c) => [c, "'"]),
  ...[...'\u201c\u201d\u201e\u201f\u2033'].map((c) => [c, '"']),
  ['\u2026', '...'],
]);

/**
 * What the normal form rewrites, each alternative a named group. The single characters share one
 * group: a text of nothing else makes one match per character, and each group costs every match.
 */
export const REWRITTEN = new RegExp(
  [
    // First: a mask may follow the ARN's colon after a space (`eu-west-1: xxxxxxxxxx:`).
    ARN_ACCOUNT,
    String.raw`(?<space>\s+)`,
    String.raw`(?<character>[\u200b-\u200d\u2060\u2018\u2019\u201a\u201b\u2032\u201c-\u201f\u2033\u2026])`,
  ].join('|'),
  'g',
);

/** 12 digits, or `aws` for AWS-managed policies: a real account field, kept. */
const REAL_ACCOUNT = /^(?:\d{12}|aws)$/;

function replacementOf(groups: Record<string, string | undefined>, matched: string): string {
  if (groups.space !== undefined) return ' ';
  if (groups.character !== undefined) return CHARACTER_REWRITES[groups.character] ?? groups.character;
  const account = groups.account ?? '';
  return REAL_ACCOUNT.test(account) ? matched : (groups.arnHead ?? '');
}

/** The normal form of a text, and the way back to the original for quoting. */
export function normalise(original: string): NormalText {
  const parts: string[] = [];
  const rewrites: Rewrite[] = [];
  let originalAt = 0;
  let normalLength = 0;
  for (const match of original.matchAll(REWRITTEN)) {
    const replacement = replacementOf(match.groups ?? {}, match[0]);
    if (replacement === match[0]) continue;
    const kept = original.slice(originalAt, match.index);
    parts.push(kept, replacement);
    normalLength += kept.length;
    rewrites.push({
      normalStart: normalLength,
      normalEnd: normalLength + replacement.length,
      originalStart: match.index,
      originalEnd: match.index + match[0].length,
    });
    normalLength += replacement.length;
    originalAt = match.index + match[0].length;
  }
  parts.push(original.slice(originalAt));
  const untrimmed = parts.join('');
  const leading = untrimmed.length - untrimmed.trimStart().length;
  return {
    text: untrimmed.trim(),
    original,
    quote: (start, end) => quoteOf(original, rewrites, start + leading, end + leading),
  };
}

/** Maps a normal-form position back: inside a rewrite, to the rewrite's start (or end, for an end). */
function originalPosition(rewrites: readonly Rewrite[], at: number, isEnd: boolean): number {
  let shift = 0;
  for (const rewrite of rewrites) {
    if (isEnd ? at <= rewrite.normalStart : at < rewrite.normalStart) break;
    if (isEnd ? at <= rewrite.normalEnd : at < rewrite.normalEnd) {
      return isEnd ? rewrite.originalEnd : rewrite.originalStart;
    }
    shift = rewrite.originalEnd - rewrite.normalEnd;
  }
  return at + shift;
}

function quoteOf(original: string, rewrites: readonly Rewrite[], start: number, end: number): string {
  return original
    .slice(originalPosition(rewrites, start, false), originalPosition(rewrites, end, true))
    .trim();
}
