/**
 * `npm run bench`: measures the diagnosis core on the development corpus and writes
 * bench/results.json. Speed is measured here, never asserted in tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ESM_REQUIRE_BANNER, MAIN_FIELDS, UNUSED_CREDENTIAL_PROVIDERS } from '../lib/bundling.js';
import { analyse } from '../lambdas/core/index.js';
import { readCorpus } from '../test/helpers/fixtures.js';
import { hostileTextsOf } from '../test/helpers/hostile-texts.js';
import { lambdaPatterns } from '../test/helpers/reader-patterns.js';
import { ensureBuilt } from '../test/support/pack.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
import { startMoto, useEndpoint } from '../test/support/moto.js';
import {
  allDelivered,
  digestOf,
  percentile as stormPercentile,
  STORM_PLAN,
  StormRig,
  stormEvents,
} from '../test/support/storm.js';
import { World } from '../test/support/world.js';

const COLD_STARTS = 20;

const ROUNDS = 40;
const TRIALS = 5;
const WARMUP_ROUNDS = 200;

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/** Per-message times of one trial: every corpus message, ROUNDS times. */
function trial(reasons: readonly string[]): { samples: number[]; totalMs: number } {
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const reason of reasons) {
      const t0 = process.hrtime.bigint();
      analyse(reason);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return { samples: samples.sort((a, b) => a - b), totalMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * The slowest of the hostile texts of the linear-time test (test/helpers/hostile-texts.ts), each
 * analysed once after warm-up, best of TRIALS: what one message can cost at worst, beside the p99.
 */
async function worstHostile(): Promise<{ worstHostileMs: number; worstHostileText: string }> {
  const texts = hostileTextsOf((await lambdaPatterns()).values());
  const timeOf = (text: string): number => {
    const t0 = process.hrtime.bigint();
    analyse(text);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const times = texts.map(({ name, text }) => ({
    name,
    ms: Math.min(...Array.from({ length: TRIALS }, () => timeOf(text))),
  }));
  const worst = times.reduce((a, b) => (b.ms > a.ms ? b : a));
  return { worstHostileMs: Number(worst.ms.toFixed(4)), worstHostileText: worst.name };
}

/** The median over TRIALS of each figure, so one noisy trial on a shared machine does not decide. */
async function benchDiagnosis() {
  const reasons = readCorpus().map((item) => item.failureReason);
  for (let round = 0; round < WARMUP_ROUNDS; round += 1) reasons.forEach((reason) => analyse(reason));
  const trials = Array.from({ length: TRIALS }, () => trial(reasons));
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
  const p99s = trials.map((t) => percentile(t.samples, 99));
  return {
    messages: trials.reduce((sum, t) => sum + t.samples.length, 0),
    messagesPerSecond: Math.round(median(trials.map((t) => t.samples.length / (t.totalMs / 1000)))),
    p50Ms: Number(median(trials.map((t) => percentile(t.samples, 50))).toFixed(4)),
    p99Ms: Number(median(p99s).toFixed(4)),
    p99MsPerTrial: p99s.map((p) => Number(p.toFixed(4))),
    targetP99Ms: 0.2,
    ...(await worstHostile()),
    targetWorstHostileMs: 50,
  };
}

/** Bundles the handler exactly as the construct does (minified ESM, same externals). */
async function bundleHandler(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'index.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../lambdas/remediator/handler.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    external: UNUSED_CREDENTIAL_PROVIDERS,
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** Wall time of one fresh `node` process with these arguments. */
function startMs(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    env: { ...process.env, TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:bench', AWS_REGION: 'us-east-1' },
    stdio: 'ignore',
  });
  if (result.status !== 0) throw new Error(`cold start failed: node ${args.join(' ')}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const EMPTY_START = ['--input-type=module', '-e', ''];

/** Medians of fresh processes, empty and running `args` interleaved so machine drift hits both. */
function coldStarts(args: readonly string[]): { emptyMs: number; initMs: number } {
  const empty: number[] = [];
  const init: number[] = [];
  for (let run = 0; run < COLD_STARTS; run += 1) {
    empty.push(startMs(EMPTY_START));
    init.push(startMs(args));
  }
  const median = (times: number[]) =>
    percentile(
      [...times].sort((a, b) => a - b),
      50,
    );
  return { emptyMs: median(empty), initMs: median(init) };
}

/** One `diagnose` call of the compiled command, as an installed user runs it. */
function benchCli() {
  ensureBuilt(ROOT);
  const { emptyMs, initMs } = coldStarts([
    join(ROOT, 'dist/bin/sagemaker-iam-remediator.js'),
    'diagnose',
    '--reason',
    'ClientError: Data download failed:(AccessDenied: Access Denied)',
  ]);
  return {
    emptyNodeStartMs: Math.round(emptyMs),
    diagnoseStartMs: Math.round(initMs),
    diagnoseStartRatio: Number((initMs / emptyMs).toFixed(2)),
    targetDiagnoseStartRatio: 2.0,
  };
}

async function benchBundle() {
  const bundle = await bundleHandler();
  const { emptyMs, initMs } = coldStarts([
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(bundle)});`,
  ]);
  return {
    sizeKB: Math.round(statSync(bundle).size / 102.4) / 10,
    targetSizeKB: 450,
    emptyNodeStartMs: Math.round(emptyMs),
    coldInitMs: Math.round(initMs),
    coldInitRatio: Number((initMs / emptyMs).toFixed(2)),
    targetColdInitRatio: 2.0,
  };
}

/**
 * The storm of the integration test on a local moto server: events in, messages out, jobs no message
 * accounts for (must be 0), and the handler's time per event while 10 callers keep it busy. moto is
 * slower than DynamoDB and SNS: the latencies are an upper bound of the handler's own cost.
 */
async function benchStorm() {
  const moto = await startMoto();
  const restore = useEndpoint(moto.endpoint);
  try {
    const world = await new World().create();
    const rig = await new StormRig(world, STORM_PLAN.windowMinutes).create();
    const events = stormEvents(STORM_PLAN);
    const run = await rig.send(
      events.map(({ event }) => event),
      STORM_PLAN.concurrency,
    );
    rig.clock += (STORM_PLAN.windowMinutes + 1) * 60_000;
    await rig.flush();
    const delivered = await allDelivered(world);
    const accounted = delivered.flatMap(
      (message) => digestOf(message)?.jobs ?? [message.attributes.jobName ?? ''],
    );
    return {
      events: events.length,
      causes: 1 + STORM_PLAN.otherCauses.length,
      concurrency: STORM_PLAN.concurrency,
      messagesPublished: delivered.length,
      digests: delivered.filter((message) => digestOf(message)).length,
      jobsLost: events.filter(({ jobName }) => !accounted.includes(jobName)).length,
      jobsInTwoMessages: accounted.length - new Set(accounted).size,
      deadLettered: run.deadLettered + (await rig.deadLetterCount()),
      handlerP50Ms: Math.round(stormPercentile(run.latenciesMs, 50)),
      handlerP99Ms: Math.round(stormPercentile(run.latenciesMs, 99)),
      eventsPerSecond: Math.round(events.length / (run.wallMs / 1000)),
    };
  } finally {
    restore();
    await moto.stop();
  }
}

/** The machine's 1-, 5- and 15-minute load averages over its cores: a shared machine skews every figure. */
const machineLoad = () => ({
  loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
  cores: cpus().length,
});

const loadBefore = machineLoad();
const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  machineLoad: { before: loadBefore, after: loadBefore },
  diagnosis: await benchDiagnosis(),
  lambdaBundle: await benchBundle(),
  cli: benchCli(),
  storm: await benchStorm(),
};
results.machineLoad.after = machineLoad();
const target = fileURLToPath(new URL('results.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(results, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
