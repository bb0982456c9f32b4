#!/usr/bin/env node
/**
 * `npm run demo`: diagnoses the sample failure events bundled in examples/events and prints each
 * proposal as the email would show it. No AWS account needed.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from './cli.js';

const eventsDir = fileURLToPath(new URL('../examples/events/', import.meta.url));
let failures = 0;
for (const file of readdirSync(eventsDir)
  .filter((name) => name.endsWith('.json'))
  .sort()) {
  process.stdout.write(`\n${'='.repeat(100)}\n${file}\n${'='.repeat(100)}\n`);
  if ((await run(['--event', `${eventsDir}${file}`, '--format', 'text'])) !== 0) failures += 1;
}
process.exitCode = failures === 0 ? 0 : 1;
