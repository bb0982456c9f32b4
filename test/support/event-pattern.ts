/**
 * EventBridge pattern matching for the pattern forms the stack writes: a list of exact values (the
 * event's value, or one element of an array value, must equal one of them) and nested objects.
 * Enough to check that a rule of the synthesized template catches an event, offline.
 */
type Pattern = { readonly [key: string]: readonly unknown[] | Pattern };

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const record = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = record[key];
    if (!Array.isArray(expected)) return matchesPattern(expected as Pattern, actual);
    const values: unknown[] = Array.isArray(actual) ? actual : [actual];
    return values.some((value) => expected.includes(value));
  });
}

/** The event patterns of every `AWS::Events::Rule` in a template, by logical id. */
export function rulePatterns(resources: Record<string, unknown>): Record<string, Pattern> {
  // Scheduled rules (the incident flush) have no pattern: no event can match them.
  return Object.fromEntries(
    Object.entries(resources).flatMap(([id, rule]) => {
      const pattern = (rule as { Properties: { EventPattern?: Pattern } }).Properties.EventPattern;
      return pattern ? [[id, pattern]] : [];
    }),
  );
}
