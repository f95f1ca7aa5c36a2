// `npm run bench`: every figure of BENCHMARKS.md in one run, baselines included, on this
// machine. Prints a table, writes bench/results.json and regenerates BENCHMARKS.md.
// `node bench/run.mjs join latency` runs only the named figures and writes nothing;
// `node bench/run.mjs --report` rewrites BENCHMARKS.md from the last bench/results.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBenchServer } from './lib/server.mjs';
import { Bench } from './lib/browser.mjs';
import { machine, markdown, rows, table } from './lib/report.mjs';
import { sizeFigure } from './size.mjs';
import { cryptoFigure } from './crypto.mjs';
import { BROADCASTS, ROUNDS, latencyFigure } from './latency.mjs';
import { joinFigure } from './join.mjs';
import { recoveryFigure } from './recovery.mjs';
import { PROBE_TOTAL, throughputFigure } from './throughput.mjs';
import { scaleFigure } from './scale.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Runs per figure: medians of these. Media meshes and 256 MiB transfers are the costly ones. */
const RUNS = {
  crypto: 3,
  latency: 3,
  join: 5,
  joinMedia: 3,
  joinMin: 3,
  recovery: Number(process.env.RECOVERY_RUNS ?? 3),
  recoveryCrashed: 10,
  throughput: 3,
  scale: 2,
};
/** Join runs past joinMin only while the bench (this script) stays under this budget. */
const BUDGET_MS = 11.5 * 60 * 1000;
const FIGURES = ['size', 'crypto', 'latency', 'recovery', 'throughput', 'scale', 'join'];

// `node bench/run.mjs --report` only regenerates BENCHMARKS.md from bench/results.json (after editing bench/notes.md).
if (process.argv[2] === '--report') {
  const doc = JSON.parse(readFileSync(`${root}bench/results.json`, 'utf8'));
  writeReport(doc);
  console.log(table(rows(doc.results)));
  process.exit(0);
}

function writeReport(doc) {
  // Hand-written notes on what the figures mean and where the misses come from.
  const notes = existsSync(`${root}bench/notes.md`) ? readFileSync(`${root}bench/notes.md`, 'utf8') : '';
  writeFileSync(`${root}BENCHMARKS.md`, markdown(doc) + (notes ? `\n${notes}` : ''));
}

const only = process.argv.slice(2);
const unknown = only.filter((name) => !FIGURES.includes(name));
if (unknown.length) {
  console.error(`unknown figure ${unknown.join(', ')}; choose from ${FIGURES.join(', ')}`);
  process.exit(2);
}
const wants = (name) => !only.length || only.includes(name);
const started = Date.now();
const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const server = await startBenchServer();
const bench = await Bench.launch(server);
const results = {};
let failed = null;
try {
  log(`Chromium ${bench.version}, bench server ${server.url}`);
  if (wants('size')) results.size = await sizeFigure(bench, { log });
  if (wants('crypto')) results.crypto = await cryptoFigure(bench, { runs: RUNS.crypto, log });
  if (wants('latency')) results.latency = await latencyFigure(bench, { runs: RUNS.latency, log });
  if (wants('recovery')) results.recovery = await recoveryFigure(bench, { runs: RUNS.recovery, crashedRuns: RUNS.recoveryCrashed, log });
  if (wants('throughput')) results.throughput = await throughputFigure(bench, { runs: RUNS.throughput, log });
  if (wants('scale')) results.scale = await scaleFigure(bench, { runs: RUNS.scale, log });
  if (wants('join')) {
    const deadline = started + BUDGET_MS;
    results.join = await joinFigure(bench, { runs: RUNS.join, mediaRuns: RUNS.joinMedia, minRuns: RUNS.joinMin, deadline, log });
  }
} catch (err) {
  failed = err;
} finally {
  await bench.close();
  await server.close();
}
if (failed) {
  console.error(failed);
  process.exit(1); // the broker keeps timers alive: always exit explicitly
}

const durationSeconds = (Date.now() - started) / 1000;
console.log(`\n${table(rows(results))}\n`);
log(`bench done in ${durationSeconds.toFixed(0)} s`);
if (!only.length) {
  const doc = {
    date: new Date().toISOString(),
    durationSeconds,
    machine: machine(bench.version),
    peerjsVersion: JSON.parse(readFileSync(`${root}node_modules/peerjs/package.json`, 'utf8')).version,
    runs: RUNS,
    latency: { rounds: ROUNDS, broadcasts: BROADCASTS },
    probeMiB: PROBE_TOTAL / 2 ** 20,
    results,
  };
  writeFileSync(`${root}bench/results.json`, `${JSON.stringify(doc, null, 2)}\n`);
  writeReport(doc);
  log('wrote bench/results.json and BENCHMARKS.md');
}
process.exit(0);
