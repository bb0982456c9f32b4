/**
 * Runs once before any suite: finds moto and cfn-lint or installs them into ./.venv (about a minute
 * on a fresh machine), so no test waits for pip inside its own timeout. Tests then call
 * scripts/python-tools.sh again, which finds the tools in well under a second.
 */
import { pythonTools } from './python-tools.js';

export default function setup(): void {
  // One line of output: what it waits for, then how long it took.
  process.stderr.write(
    'python-tools: finding moto and cfn-lint (a fresh machine installs them into .venv, about a minute)... ',
  );
  const started = Date.now();
  pythonTools();
  process.stderr.write(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
