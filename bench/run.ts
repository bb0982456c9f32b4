/**
 * `npm run bench`: measures the diagnosis core on the development corpus and writes
 * bench/results.json. Speed is measured here, never asserted in tests.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyse } from '../lambdas/core/index.js';
import { readCorpus } from '../test/helpers/fixtures.js';

const ROUNDS = 200;
const WARMUP_ROUNDS = 20;

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

function benchDiagnosis() {
  const reasons = readCorpus().map((item) => item.failureReason);
  for (let round = 0; round < WARMUP_ROUNDS; round += 1) reasons.forEach((reason) => analyse(reason));
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const reason of reasons) {
      const t0 = process.hrtime.bigint();
      analyse(reason);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  samples.sort((a, b) => a - b);
  return {
    messages: samples.length,
    messagesPerSecond: Math.round(samples.length / (totalMs / 1000)),
    p50Ms: Number(percentile(samples, 50).toFixed(4)),
    p99Ms: Number(percentile(samples, 99).toFixed(4)),
    targetP99Ms: 0.2,
  };
}

const results = { measuredAt: new Date().toISOString(), node: process.version, diagnosis: benchDiagnosis() };
const target = fileURLToPath(new URL('results.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
