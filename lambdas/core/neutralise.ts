/**
 * Makes untrusted text (failure text, job configuration, anything derived from them) inert in each
 * channel a rendering reaches: a terminal or email reader (plain text) and Slack through AWS Chatbot
 * (`client-markdown`). Pure string functions; the renderers call them on every string they did not
 * write themselves.
 *
 * Slack mrkdwn has no escape character, so markup is neutralised by substitution with look-alikes
 * rather than by backslashes: `<` and `>` (mentions, links, entities' targets), backticks (code spans
 * and fences), `*`, `_`, `~` (emphasis). The substitutes read the same to a human and mean nothing to
 * the client.
 */

/**
 * Terminal escape sequences: CSI (`ESC [ ... final`, or the one-byte C1 CSI), OSC (`ESC ] ... BEL|ST`,
 * which can set titles and hyperlinks; an unterminated one loses only its ESC) and the two-character
 * ESC sequences. Each part is linear.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is this module's job
const ANSI_SEQUENCE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Line breaks in any spelling a client may honour, including Unicode's line and paragraph separators. */
const LINE_BREAK = /\r\n|[\r\n\u0085\u2028\u2029]/g;

/**
 * Every character a reader cannot see or that changes how the rest reads (line breaks are handled
 * first): controls (Cc), format characters (Cf: bidirectional overrides and isolates, "Trojan Source",
 * the Arabic letter mark U+061C, zero-width characters, BOM, the Unicode tag characters U+E0001 and
 * U+E0020-E007F), lone surrogates (Cs), and the default-ignorable code points, which clients draw as
 * nothing (the rest of the tag block U+E0000-E0FFF, variation selectors, Hangul fillers, the
 * combining grapheme joiner). Named by Unicode property, so the class is closed, not a list of
 * instances; each property is one character class, so the pattern is linear.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu;

/** What a line break inside quoted text becomes: visible, and unable to start a line of its own. */
export const LINE_BREAK_MARK = ' ⏎ ';

/** Removes escape sequences and invisible characters; tabs become spaces; keeps line breaks as `\n`. */
function stripInvisible(text: string): string {
  return text
    .replace(ANSI_SEQUENCE, '')
    .replace(LINE_BREAK, '\n')
    .replace(INVISIBLE, (c) => (c === '\n' ? c : c === '\t' ? ' ' : ''));
}

/** Plain text on one line: what a terminal or an email may show of an untrusted string. */
export const plainLine = (text: string): string => stripInvisible(text).replace(/\n/g, LINE_BREAK_MARK);

/** Plain text keeping its line breaks: for multi-line blocks the service itself composed. */
export const plainBlock = (text: string): string => stripInvisible(text);

/** Slack look-alikes for the characters that carry mrkdwn meaning. */
const SLACK_CODE_SUBSTITUTES: Readonly<Record<string, string>> = {
  '<': '‹',
  '>': '›',
  '`': 'ˋ',
};
const SLACK_TEXT_SUBSTITUTES: Readonly<Record<string, string>> = {
  ...SLACK_CODE_SUBSTITUTES,
  '*': '∗',
  _: 'ˍ',
  '~': '∼',
};

/** `@channel`, `@here` and `@everyone` notify a whole channel where a client links names. */
const BROADCAST = /@(?=(?:channel|here|everyone)\b)/gi;

const substitute = (text: string, table: Readonly<Record<string, string>>): string =>
  text.replace(/[<>`*_~]/g, (c) => table[c] ?? c).replace(BROADCAST, '＠');

/** One line of Slack prose: no mention, link, code span or emphasis can start inside it. */
export const slackText = (text: string): string => substitute(plainLine(text), SLACK_TEXT_SUBSTITUTES);

/** An inline code span whose content cannot end the span or mention anyone. */
export const slackCode = (text: string): string => {
  const content = substitute(plainLine(text), SLACK_CODE_SUBSTITUTES).trim();
  return `\`${content || ' '}\``;
};

/** A fenced code block whose content cannot close the fence; line breaks are kept. */
export const slackCodeBlock = (text: string): string =>
  `\`\`\`\n${substitute(plainBlock(text), SLACK_CODE_SUBSTITUTES)}\n\`\`\``;

/** A value in notification metadata (thread ids, resources, context): one inert line. */
export const slackValue = (text: string): string => substitute(plainLine(text), SLACK_CODE_SUBSTITUTES);
