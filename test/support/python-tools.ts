/** The Python tools of the test suite, found or installed by scripts/python-tools.sh (once per process). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PythonTools {
  readonly motoServer: readonly string[];
  readonly cfnLint: readonly string[];
}

const SCRIPT = fileURLToPath(new URL('../../scripts/python-tools.sh', import.meta.url));
let found: PythonTools | undefined;

export function pythonTools(): PythonTools {
  if (found) return found;
  const lines = execFileSync(SCRIPT, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n');
  const value = (key: string): string[] =>
    (lines.find((line) => line.startsWith(`${key}=`)) ?? '').slice(key.length + 1).split(' ');
  found = { motoServer: value('MOTO_SERVER'), cfnLint: value('CFN_LINT') };
  return found;
}
