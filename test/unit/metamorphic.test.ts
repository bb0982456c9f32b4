/**
 * Metamorphic test over the whole development corpus: a message re-wrapped, re-cased, redacted or
 * padded the way real reasons arrive means the same thing, so it must get the same diagnosis (kind,
 * actions, fix location) as the original. No labels needed: the original is the oracle.
 */
import { describe, expect, it } from 'vitest';
import { actionsOf, diagnose, fixLocationOf } from '../../lambdas/core/diagnose.js';
import { readCorpus } from '../helpers/fixtures.js';

/** What a diagnosis means, for comparison. */
const meaningOf = (text: string) => {
  const diagnosis = diagnose(text);
  return { kind: diagnosis.kind, actions: actionsOf(diagnosis), fixLocation: fixLocationOf(diagnosis) };
};

/** Forms in which real messages mask an account id. */
const ACCOUNT_MASKS = ['****', '<account>', '[account id]', 'xxxxxxxxxxxx', '123456789', 'XXXXXXXXXXXX'];

/** Denial wordings, and the other casings they are met in. */
const DENIAL_WORDING =
  /\b(?:not authorized to perform|access denied|is not allowed to|does not have|explicit deny|because no|permissions?)\b/gi;

const TRANSFORMS: readonly { readonly name: string; readonly apply: (text: string) => string }[] = [
  {
    name: 'a line break every six words',
    apply: (text) =>
      text
        .split(' ')
        .map((word, index) => word + (index % 6 === 5 ? '\n' : ' '))
        .join('')
        .trimEnd(),
  },
  {
    name: 'tabs, doubled spaces and CRLF',
    apply: (text) => text.replace(/ /g, (_, index: number) => [' ', '  ', '\t', '\r\n '][index % 4] ?? ' '),
  },
  {
    name: 'denial wording in capitals',
    apply: (text) => text.replace(DENIAL_WORDING, (w) => w.toUpperCase()),
  },
  {
    name: 'denial wording in lower case',
    apply: (text) => text.replace(DENIAL_WORDING, (w) => w.toLowerCase()),
  },
  {
    name: 'denial wording capitalised',
    apply: (text) =>
      text.replace(DENIAL_WORDING, (w) => w.replace(/\b[a-z]/g, (letter) => letter.toUpperCase())),
  },
  ...ACCOUNT_MASKS.map((mask) => ({
    name: `accounts in ARNs masked as ${mask}`,
    apply: (text: string) => text.replace(/(?<=\barn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:)\d{12}(?=:)/g, mask),
  })),
  {
    name: 'curly quotes',
    apply: (text) => text.replace(/"([^"]*)"/g, '\u201c$1\u201d').replace(/'/g, '\u2019'),
  },
  {
    name: 'a trailing Java SDK request id and Proxy: null',
    apply: (text) =>
      `${text} (Service: AmazonSageMaker; Request ID: 0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b; Proxy: null)`,
  },
  {
    name: 'a trailing Go SDK status line',
    apply: (text) => `${text}\n\tstatus code: 400, request id: 7198988e-765b-4ffa-aca1-183dc957d581`,
  },
  {
    name: 'a trailing RequestId',
    apply: (text) => `${text} RequestId: 4a5b6c7d-0000-1111-2222-333344445555`,
  },
];

describe('the same message as it really arrives gets the same diagnosis', () => {
  const corpus = readCorpus();
  it.each(TRANSFORMS.map((t) => t.name))('%s: on every corpus line', (name) => {
    // Prepare
    const { apply } = TRANSFORMS.find((t) => t.name === name) ?? { apply: (t: string) => t };
    const differing = corpus.flatMap((item) => {
      // Act
      const original = meaningOf(item.failureReason);
      const varied = meaningOf(apply(item.failureReason));
      return JSON.stringify(varied) === JSON.stringify(original) ? [] : [{ id: item.id, original, varied }];
    });
    // Assess
    expect(differing).toEqual([]);
  });

  it('every transform changes some corpus line (none is a no-op by mistake)', () => {
    for (const transform of TRANSFORMS) {
      expect(
        corpus.some((item) => transform.apply(item.failureReason) !== item.failureReason),
        transform.name,
      ).toBe(true);
    }
  });
});
