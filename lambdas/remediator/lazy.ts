/**
 * What only some paths need is loaded on the first of them, not at cold start: an SDK client, an
 * adapter module, the idempotency layer. The bundle is split (see lib/bundling.ts) so that each
 * dynamic import is a chunk of its own.
 */

/** A value made on first use and kept for the container's life. */
export type Lazy<T> = () => Promise<T>;

/** `make` runs once, on the first call; every call gets its result (or its failure). */
export function lazy<T>(make: () => Promise<T>): Lazy<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}
