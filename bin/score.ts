/**
 * `sagemaker-iam-remediator score --corpus FILE`: how well the diagnosis does on a labelled corpus of
 * your own failure messages. Each line goes through exactly what `diagnose --jsonl` does with it.
 *
 * A corpus line (JSON Lines):
 *   {"id": "...", "failureReason": "...", "event"?: {...},
 *    "isPermission": true|false, "expectedActions": ["s3:GetObject"], "acceptableActions"?: [...],
 *    "fixLocation"?: "identity-policy"|"scp"|..., "ambiguous"?: true}
 * Ambiguous lines (the text alone cannot tell; `isPermission` may be null) are not classified; any action proposed for them must
 * be in `acceptableActions`.
 */
import { InvalidInputError } from '../lambdas/core/errors.js';
import { batchLine } from './cli.js';
import type { ScoreFlags } from './command-flags.js';
import { readBounded } from './io.js';

export interface CorpusItem {
  readonly id: string;
  readonly failureReason: string;
  readonly event?: unknown;
  /** Whether it is a permission problem; `null` on an ambiguous line. */
  readonly isPermission: boolean | null;
  readonly expectedActions?: readonly string[];
  readonly acceptableActions?: readonly string[];
  readonly fixLocation?: string;
  readonly ambiguous?: boolean;
}

/** What `diagnose --jsonl` answers for a line, as far as scoring reads it. */
export interface BatchResult {
  readonly isPermission: boolean;
  readonly actions: readonly string[];
  readonly fixLocation: string | null;
}

export interface Score {
  readonly items: number;
  readonly ambiguousItems: number;
  /** Percentages, one decimal. */
  readonly classificationAccuracy: number;
  readonly permissionRecall: number;
  readonly nonPermissionSpecificity: number;
  readonly actionRecall: number;
  readonly actionPrecision: number;
  readonly exactActionSets: number;
  readonly fixLocationAccuracy: number;
  /** Proposals of any action for a failure that is not a permission problem. */
  readonly falseProposals: number;
  readonly misses: readonly { readonly id: string; readonly why: string }[];
}

const percent = (part: number, whole: number): number =>
  whole === 0 ? 100 : Math.round((1000 * part) / whole) / 10;
const normal = (action: string): string => action.trim().toLowerCase();

/** Scores results against their corpus items (pure). */
export function scoreOf(items: readonly CorpusItem[], resultOf: (item: CorpusItem) => BatchResult): Score {
  const tally = { tp: 0, fp: 0, fn: 0, tn: 0, ambiguous: 0, falseProposals: 0 };
  const actions = { needed: 0, found: 0, proposed: 0, acceptable: 0, exact: 0, items: 0 };
  const location = { total: 0, right: 0 };
  const misses: { id: string; why: string }[] = [];
  for (const item of items) {
    const result = resultOf(item);
    const proposed = new Set(result.actions.map(normal));
    const expected = new Set((item.expectedActions ?? []).map(normal));
    const acceptable = new Set([...expected, ...(item.acceptableActions ?? []).map(normal)]);
    const unacceptable = [...proposed].filter((action) => !acceptable.has(action));
    if (item.ambiguous) {
      tally.ambiguous += 1;
      actions.proposed += proposed.size;
      actions.acceptable += proposed.size - unacceptable.length;
      if (unacceptable.length > 0)
        misses.push({
          id: item.id,
          why: `ambiguous message, unacceptable actions [${unacceptable.join(',')}]`,
        });
      continue;
    }
    if (item.isPermission) tally[result.isPermission ? 'tp' : 'fn'] += 1;
    else tally[result.isPermission ? 'fp' : 'tn'] += 1;
    if (!item.isPermission && proposed.size > 0) {
      tally.falseProposals += 1;
      misses.push({ id: item.id, why: `proposed ${[...proposed].join(',')} for a non-permission failure` });
    }
    if (item.isPermission && expected.size > 0) {
      const hits = [...expected].filter((action) => proposed.has(action));
      actions.items += 1;
      actions.needed += expected.size;
      actions.found += hits.length;
      actions.proposed += proposed.size;
      actions.acceptable += proposed.size - unacceptable.length;
      if (hits.length === expected.size && unacceptable.length === 0) actions.exact += 1;
      else
        misses.push({
          id: item.id,
          why: `missing [${[...expected].filter((a) => !proposed.has(a)).join(',')}] extra [${unacceptable.join(',')}]`,
        });
    } else if (item.isPermission !== result.isPermission) {
      misses.push({ id: item.id, why: `isPermission ${result.isPermission}, expected ${item.isPermission}` });
    }
    if (item.fixLocation && item.isPermission) {
      location.total += 1;
      if (result.fixLocation === item.fixLocation) location.right += 1;
      else
        misses.push({ id: item.id, why: `fixLocation ${result.fixLocation}, expected ${item.fixLocation}` });
    }
  }
  const { tp, fp, fn, tn } = tally;
  return {
    items: items.length,
    ambiguousItems: tally.ambiguous,
    classificationAccuracy: percent(tp + tn, items.length - tally.ambiguous),
    permissionRecall: percent(tp, tp + fn),
    nonPermissionSpecificity: percent(tn, tn + fp),
    actionRecall: percent(actions.found, actions.needed),
    actionPrecision: percent(actions.acceptable, actions.proposed),
    exactActionSets: percent(actions.exact, actions.items),
    fixLocationAccuracy: percent(location.right, location.total),
    falseProposals: tally.falseProposals,
    misses,
  };
}

/** A corpus file's items; a line that is not an item is an error naming the line. */
export function readCorpus(text: string): CorpusItem[] {
  return text.split('\n').flatMap((line, index) => {
    if (!line.trim()) return [];
    let item: unknown;
    try {
      item = JSON.parse(line);
    } catch {
      throw new InvalidInputError(`corpus line ${index + 1} is not valid JSON`);
    }
    const { id, failureReason, isPermission, ambiguous } = (item ?? {}) as Partial<CorpusItem>;
    if (typeof id !== 'string' || typeof failureReason !== 'string')
      throw new InvalidInputError(`corpus line ${index + 1} needs id and failureReason`);
    if (typeof isPermission !== 'boolean' && !ambiguous)
      throw new InvalidInputError(`corpus line ${index + 1} needs isPermission, or ambiguous: true`);
    return [item as CorpusItem];
  });
}

const MAX_CORPUS_BYTES = 256 << 20;

/** `score`, given its flags (parsed and checked by bin/flags.ts). */
export async function run(values: ScoreFlags): Promise<number> {
  const items = readCorpus(readBounded(values.corpus, MAX_CORPUS_BYTES));
  const score = scoreOf(items, (item) => {
    const line = JSON.stringify({ id: item.id, failureReason: item.failureReason, event: item.event });
    try {
      return batchLine(line) as unknown as BatchResult;
    } catch (error) {
      // A line `diagnose --jsonl` refuses scores as no diagnosis at all.
      if (!(error instanceof InvalidInputError)) throw error;
      return { isPermission: false, actions: [], fixLocation: null };
    }
  });
  if (values.format === 'json') {
    process.stdout.write(`${JSON.stringify(score, null, 2)}\n`);
    return 0;
  }
  const { misses, ...figures } = score;
  const lines = [
    ...(values['show-misses'] ? misses.map((miss) => `miss ${miss.id}: ${miss.why}`) : []),
    ...Object.entries(figures).map(([name, value]) => `${name}: ${value}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
