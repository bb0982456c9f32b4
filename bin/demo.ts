/**
 * `sagemaker-iam-remediator demo` (`npm run demo`): diagnoses the sample failure events shipped in
 * examples/events and prints each proposal as the chosen format shows it. No AWS account needed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run as diagnose } from './cli.js';
import type { DemoFlags } from './command-flags.js';
import { DIAGNOSE_DEFAULTS } from './command-flags.js';
import { packageRoot } from './io.js';

export async function run({ format }: DemoFlags): Promise<number> {
  const eventsDir = join(packageRoot(), 'examples', 'events');
  let failures = 0;
  for (const file of readdirSync(eventsDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    process.stdout.write(`\n${'='.repeat(100)}\n${file}\n${'='.repeat(100)}\n`);
    if ((await diagnose({ ...DIAGNOSE_DEFAULTS, event: join(eventsDir, file), format })) !== 0) failures += 1;
  }
  return failures === 0 ? 0 : 1;
}
