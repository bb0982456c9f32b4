/**
 * What every command shares with its terminal: bounded reads of files or standard input, a quiet end
 * when a reader such as `head` closes the pipe, and the package's own files.
 */
import { existsSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInputError } from '../lambdas/core/errors.js';

/** The path that names standard input, as in most Unix tools. */
export const STDIN = '-';

/** Reads standard input up to `limit` bytes; one more byte is refused without reading the rest. */
function readStdin(limit: number): string {
  const chunks: Buffer[] = [];
  const chunk = Buffer.alloc(64 * 1024);
  let total = 0;
  for (;;) {
    let read: number;
    try {
      read = readSync(0, chunk, 0, chunk.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') break;
      throw new InvalidInputError(`cannot read standard input: ${code ?? String(error)}`);
    }
    if (read === 0) break;
    total += read;
    if (total > limit)
      throw new InvalidInputError(`standard input is over ${limit} bytes; the limit is ${limit}`);
    chunks.push(Buffer.from(chunk.subarray(0, read)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of a file (or of standard input for `-`), refused past `limit` bytes or when not a file. */
export function readBounded(path: string, limit: number): string {
  if (path === STDIN) return readStdin(limit);
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory())
      throw new InvalidInputError(`${path} is a directory; pass a file, or - for standard input`);
    size = stat.size;
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  if (size > limit) throw new InvalidInputError(`${path} is ${size} bytes; the limit is ${limit}`);
  return readFileSync(path, 'utf8');
}

/**
 * Ends the process quietly when the reader of standard output goes away (`| head -1`): the output
 * was wanted only up to there, so this is not an error worth a stack trace.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

/**
 * The directory holding this package's package.json: the repository when run from source, the
 * installed package when run from dist/.
 */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The package's version: written once, in package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
