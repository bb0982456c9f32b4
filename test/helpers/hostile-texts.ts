/**
 * Hostile texts for the linear-time checks (test/unit/linear-time.test.ts) and the bench: long
 * repetitions of what backtracking patterns choke on, at 8 KiB and 64 KiB.
 */

/** The sizes a reader must read within the ceiling: the cut failure text, and far beyond it. */
export const HOSTILE_SIZES = [8 * 1024, 64 * 1024] as const;

/**
 * Mixed-case base64 with no `+` or `/`, so one long word, as S3 writes many of its extended request
 * ids (deterministic). A 76-character one took the old reader seconds: each capital doubled the time.
 */
export function base64Word(length: number, seed = 17): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let state = seed;
  let word = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    word += alphabet[(state >>> 16) % alphabet.length] ?? 'A';
  }
  return word;
}

const fill = (unit: string, size: number): string =>
  unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/** Units whose long repetition is what backtracking patterns choke on. */
const HOSTILE_UNITS: Readonly<Record<string, string>> = {
  'capitalised words': 'AaBb',
  'spaced capitals': 'Aa B',
  ...Object.fromEntries(
    [' ', '-', '/', ':', '.', ',', ';', '_', '=', '@', '\n', '\t', '. ', ': ', '//', '-a', 'a-', 'a:'].map(
      (separator) => [`repeated ${JSON.stringify(separator)}`, separator],
    ),
  ),
  ...Object.fromEntries(
    ["'", '"', '`', '\u2019', '\u201c', "'a", '"a '].map((quote) => [`quotes ${quote}`, quote]),
  ),
  ...Object.fromEntries(
    ['(', ')', '[', ']', '<', '>', '{', '()', '[a]', '<a>', '(a'].map((bracket) => [
      `brackets ${bracket}`,
      bracket,
    ]),
  ),
  ...Object.fromEntries(
    [
      'arn:aws:',
      'arn:aws:iam::',
      'arn:aws:iam::111122223333:role/',
      'arn:aws:iam::111122223333:role/a/',
      'arn:aws:sts::111122223333:assumed-role/R/',
      'arn:aws:s3:::b/',
      'arn:aws:kms:us-east-1:',
      'arn:aws:iam::[account id]:',
      'arn:aws:iam:: xxxx',
      's3://',
      's3://my-bucket/',
      '111122223333.dkr.ecr.us-east-1.amazonaws.com/',
      's3:GetObject ',
      'sagemaker-runtime:',
    ].map((fragment) => [`ARN fragment ${fragment}`, fragment]),
  ),
};

/**
 * The literal words of a pattern's source, as phrases that start and feed it: a text of them
 * repeated makes the pattern try every start and fail late.
 */
const phrasesOf = (pattern: RegExp): string[] =>
  [...pattern.source.replaceAll(/\\./g, ' ').matchAll(/[A-Za-z][A-Za-z ]{3,}/g)].map(([phrase]) => phrase);

/** The hostile texts one pattern reads: the shared units and its own phrases, at each size. */
export function hostileTextsFor(pattern: RegExp): { name: string; text: string }[] {
  const units: [string, string][] = [
    ...Object.entries(HOSTILE_UNITS),
    ...phrasesOf(pattern).map((phrase): [string, string] => [`its phrase "${phrase}"`, `${phrase} `]),
  ];
  return HOSTILE_SIZES.flatMap((size) => [
    { name: `a run of ${size} capitals`, text: `Aa${'B'.repeat(size)}` },
    { name: `a ${size}-character base64 word`, text: `Ab${base64Word(size)}` },
    { name: `base64 words in ${size} characters`, text: fill(`HostId: ${base64Word(76)}; `, size) },
    ...units.map(([name, unit]) => ({ name: `${name} in ${size} characters`, text: fill(unit, size) })),
  ]);
}

/** The distinct hostile texts of all these patterns, each with its name. */
export const hostileTextsOf = (patterns: Iterable<RegExp>): { name: string; text: string }[] => [
  ...new Map([...patterns].flatMap(hostileTextsFor).map((hostile) => [hostile.text, hostile])).values(),
];
