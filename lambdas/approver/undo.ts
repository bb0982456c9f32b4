/**
 * The Undo button behind an applied fix: the click carries only a record id. The record is read
 * back from the table and the role's policy from IAM in the record's own account; the one guard
 * ({@link undoRefusals}, then the removal's own write check) decides; only that record's statements
 * are removed; the record is claimed once (who, when), and the outcome is said on the topic.
 */
import { ApplyError } from '../core/errors.js';
import type { UndoTarget } from '../core/grants.js';
import { undoIdOf, undoTargetOf } from '../core/grants.js';
import { refusalText, undoRefusals } from '../core/guard.js';
import { approvalRequestOf } from '../core/approval.js';
import { undoNotificationOf } from '../core/notification.js';
import { claimUndo, readGrantRecord, releaseUndo, removeRecord } from '../remediator/aws/grants.js';
import { publish } from '../remediator/aws/sns.js';
import type { ApprovalDependencies } from './approve.js';

export interface UndoResult {
  /**
   * `undone`: the record's statements are off the role (`removed` says how many were still there);
   * `refused`: the guard or the account said no; `already-undone`: the record was used before;
   * `failed`: IAM refused the removal, nothing changed and the record may be undone again;
   * `unknown`: no such record, or no valid id.
   */
  readonly status: 'undone' | 'refused' | 'already-undone' | 'failed' | 'unknown';
  readonly recordId: string | null;
  readonly removed: number;
  readonly reason: string | null;
}

const NO_ONE = 'chat (no user named)';

export async function undo(event: unknown, deps: ApprovalDependencies): Promise<UndoResult> {
  const recordId = undoIdOf(event);
  const by = approvalRequestOf(event).approvedBy ?? NO_ONE;
  const now = deps.now?.() ?? new Date();
  const { config } = deps;
  const answer = (status: UndoResult['status'], reason: string | null, removed = 0): UndoResult => {
    const result = { status, recordId: recordId ?? null, removed, reason };
    deps.logger.info('undo handled', { ...result, by });
    return result;
  };
  const table = config.grantsTableName;
  if (!recordId || !table) return answer('unknown', 'no valid record id in the request, or no record table');
  const stored = await readGrantRecord(deps.dynamodb, table, recordId);
  if (!stored) return answer('unknown', 'no such record');
  const target = undoTargetOf(stored.record);
  const say = async (result: UndoResult, where?: UndoTarget): Promise<UndoResult> => {
    await publish(
      deps.sns,
      config.topicArn,
      undoNotificationOf(
        { recordId, by, target: where },
        {
          undone: result.status === 'undone',
          detail: result.reason ?? `${result.removed} statement(s) removed`,
        },
      ),
    );
    return result;
  };
  if (stored.undoneAt)
    return say(
      answer(
        'already-undone',
        `undone at ${stored.undoneAt} by ${stored.undoneBy ?? 'unknown'}: an undo is used once`,
      ),
    );
  if (!target) return say(answer('refused', 'the stored record is malformed'));
  const refusals = undoRefusals(target, recordId, config);
  if (refusals.length > 0) return say(answer('refused', refusalText(refusals)));
  // The record's own account and region: a same-named role elsewhere is never touched.
  const access = await deps.accountAccess(target);
  if ('unavailable' in access)
    return say(answer('refused', `cannot act in the record's account: ${access.unavailable}`), target);
  if (!(await claimUndo(deps.dynamodb, table, recordId, { at: now, by })))
    return say(answer('already-undone', 'another undo claimed this record first'), target);
  try {
    const removed = await removeRecord(access.iam, target);
    return await say(
      answer(
        'undone',
        removed > 0
          ? `${removed} statement(s) of the record removed`
          : 'none of its statements were on the role any more (removed or edited by hand)',
        removed,
      ),
      target,
    );
  } catch (error) {
    // Whatever stopped the removal (a refusal, or a call that timed out), the claim goes back: a
    // click that changed nothing must not use up the record's one undo.
    await releaseUndo(deps.dynamodb, table, recordId, { at: now, reason: (error as Error).message });
    if (!(error instanceof ApplyError)) throw error;
    return say(answer('failed', error.message), target);
  }
}
