// `npm run bench`: every figure of BENCHMARKS.md in one run, baselines included, on this
// machine. Prints a table, writes bench/results.json and regenerates BENCHMARKS.md.
// `node bench/run.mjs join latency` runs only the named figures and writes nothing.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBenchServer } from './lib/server.mjs';
import { Bench } from './lib/browser.mjs';
import { machine, markdown, rows, table } from './lib/report.mjs';
import { sizeFigure } from './size.mjs';
import { cryptoFigure } from './crypto.mjs';
import { BROADCASTS, ROUNDS, latencyFigure } from './latency.mjs';
import { joinFigure } from './join.mjs';
import { recoveryFigure } from './recovery.mjs';
import { throughputFigure } from './throughput.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Runs per figure: medians of these. Media meshes and 256 MiB transfers are the costly ones. */
const RUNS = { crypto: 3, latency: 3, join: 5, joinMedia: 3, joinMin: 3, recovery: 3, throughput: 3 };
/** Join runs past joinMin only while the bench (this script) stays under this budget. */
const BUDGET_MS = 8.5 * 60 * 1000;
const FIGURES = ['size', 'crypto', 'latency', 'recovery', 'throughput', 'join'];

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
  if (wants('recovery')) results.recovery = await recoveryFigure(bench, { runs: RUNS.recovery, log });
  if (wants('throughput')) results.throughput = await throughputFigure(bench, { runs: RUNS.throughput, log });
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
    results,
  };
  writeFileSync(`${root}bench/results.json`, `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(`${root}BENCHMARKS.md`, markdown(doc));
  log('wrote bench/results.json and BENCHMARKS.md');
}
process.exit(0);
