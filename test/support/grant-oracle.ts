/**
 * Reads the lifecycle marks off a policy as the server holds it, written independently of the code
 * under test: every statement must end its Sid with `R` and a 16-digit lower-case hex record id and
 * carry exactly one `DateLessThan` on `aws:CurrentTime`.
 */
const HEX = '0123456789abcdef';

interface Statement {
  Sid?: string;
  Condition?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export interface Lifecycle {
  /** The policy with the Sid suffixes and the expiry conditions taken off. */
  readonly untimed: unknown;
  readonly expiries: readonly string[];
  readonly recordIds: readonly string[];
}

export function lifecycleOf(policy: unknown): Lifecycle {
  const document = policy as { Version: string; Statement: Statement[] };
  const expiries: string[] = [];
  const recordIds: string[] = [];
  const statements = document.Statement.map((statement) => {
    const sid = statement.Sid ?? '';
    const suffix = sid.slice(-17);
    if (suffix[0] !== 'R' || [...suffix.slice(1)].some((c) => !HEX.includes(c)) || suffix.length !== 17)
      throw new Error(`statement ${sid} carries no record id`);
    recordIds.push(suffix.slice(1));
    const { DateLessThan: dateLessThan, ...otherConditions } = statement.Condition ?? {};
    const expiry = (dateLessThan?.['aws:CurrentTime'] as string[] | undefined)?.[0];
    if (!expiry || Object.keys(dateLessThan ?? {}).length !== 1)
      throw new Error(`statement ${sid} does not expire`);
    expiries.push(expiry);
    const { Condition: _condition, ...rest } = statement;
    return {
      ...rest,
      Sid: sid.slice(0, -17),
      ...(Object.keys(otherConditions).length > 0 ? { Condition: otherConditions } : {}),
    };
  });
  return { untimed: { Version: document.Version, Statement: statements }, expiries, recordIds };
}
