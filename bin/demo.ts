/**
 * `sagemaker-iam-remediator demo` (`npm run demo`): diagnoses the sample failure events shipped in
 * examples/events and prints each proposal as the email would show it. No AWS account needed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run as diagnose } from './cli.js';
import { packageRoot } from './io.js';

export async function run(): Promise<number> {
  const eventsDir = join(packageRoot(), 'examples', 'events');
  let failures = 0;
  for (const file of readdirSync(eventsDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    process.stdout.write(`\n${'='.repeat(100)}\n${file}\n${'='.repeat(100)}\n`);
    if ((await diagnose(['--event', join(eventsDir, file), '--format', 'text'])) !== 0) failures += 1;
  }
  return failures === 0 ? 0 : 1;
}
