// Figure 1, join: peers join one after another (each starts once the previous one is fully
// connected); a step lasts from the joiner's join() until every pair among the peers so far
// is connected and, with media, every peer has decoded a first video frame from every
// other. The figure is the sum of the steps (driver round trips between steps excluded).
// The product, a peerjs full mesh and bare RTCPeerConnections run in the same run, on the
// same broker, in turn.
import { randomBytes } from 'node:crypto';
import { settle, sleep, summary, within } from './lib/browser.mjs';

/** What randomRoomName() in the SDK makes: 32 lowercase hex digits. */
const randomRoomName = () => randomBytes(16).toString('hex');

export const IMPLEMENTATIONS = ['kibitz', 'peerjs', 'bare'];
export const scenarioKey = ({ media, peers }) => `${media ? 'media' : 'data'}-${peers}`;
/** JOIN_SCENARIOS=data-2,data-4 runs only those cases (a quick look; a full bench runs them all). */
export const SCENARIOS = [
  { media: false, peers: 2 },
  { media: false, peers: 4 },
  { media: false, peers: 8 },
  { media: true, peers: 2 },
  { media: true, peers: 4 },
  { media: true, peers: 6 },
].filter((s) => !process.env.JOIN_SCENARIOS || process.env.JOIN_SCENARIOS.split(',').includes(scenarioKey(s)));

/**
 * One mesh of `peers` pages of one implementation; resolves with { total, steps } or { error }.
 * `keep`: the pages stay in the call afterwards (the caller leaves), for figures measured in it.
 */
export async function mesh(pages, { media, peers, keep = false }, server) {
  // A room as createRoom() makes one: 128 random bits (a human-chosen name would add its stretch to the join).
  const room = randomRoomName();
  const ids = pages.map((_, i) => `${room}p${i}`);
  const steps = [];
  const joinResolved = [];
  let error = null;
  await settle({ minMs: 100, maxMs: media ? 1500 : 800 });
  try {
    for (let k = 0; k < peers; k++) {
      const joiner = pages[k];
      const start = await joiner.run((b, a) => b.join(a), { room, media, signaling: server.url, id: ids[k], others: ids.slice(0, k) });
      const reached = pages.slice(0, k + 1).map((p) => p.run((b, count) => b.connected(count), k));
      const times = await within(Promise.all(reached), media ? 25_000 : 15_000 + 500 * k, `peer ${k + 1} of ${peers} connected`);
      steps.push(Math.max(...times) - start);
      if (joiner.kind === 'kibitz') joinResolved.push((await joiner.run((b) => b.joinedAt())) - start);
      // Let the CPU settle before the next joiner (media never quite does).
      await settle(media ? { minMs: 200, maxMs: 300 } : { minMs: 0, windowMs: 100, maxMs: 400 });
    }
  } catch (err) {
    const errors = await Promise.all(pages.slice(0, peers).map((p) => p.run((b) => b.errors()).catch(() => [])));
    error = `${err.message}; page errors: ${JSON.stringify(errors.flat().slice(0, 5))}`;
  }
  if (!keep || error) {
    for (const page of pages.slice(0, peers)) await page.run((b) => b.leave()).catch(() => undefined);
    await sleep(200);
  }
  if (error) return { error };
  return { total: steps.reduce((a, b) => a + b, 0), steps, joinResolved };
}

export async function joinFigure(bench, { runs, mediaRuns = runs, minRuns = 3, deadline = Infinity, log }) {
  const pools = {};
  for (const impl of IMPLEMENTATIONS) {
    pools[impl] = await bench.openMany(impl, 8);
    for (const p of pools[impl]) p.kind = impl;
  }
  await settle({ maxMs: 5000 });
  // Warm-up (discarded): every page joins once, so certificates, caches and JIT are warm alike.
  for (const impl of IMPLEMENTATIONS) await mesh(pools[impl], { media: false, peers: 8 }, bench.server);

  const raw = {};
  let dataRunMs = 0;
  for (let run = 0; run < runs; run++) {
    // Runs beyond the minimum only while the bench stays within its time budget.
    if (run >= minRuns && Date.now() + dataRunMs > deadline) {
      log(`join: stopping after ${run} runs to stay within the time budget`);
      break;
    }
    const dataStarted = Date.now();
    for (const scenario of SCENARIOS) {
      if (scenario.media && run >= mediaRuns) continue; // media meshes are costly: fewer runs
      if (scenario.media && !dataRunMs) dataRunMs = Date.now() - dataStarted;
      // Rotate the order so no implementation always goes first.
      const order = IMPLEMENTATIONS.map((_, i) => IMPLEMENTATIONS[(i + run) % IMPLEMENTATIONS.length]);
      for (const impl of order) {
        const result = await mesh(pools[impl], scenario, bench.server);
        const key = scenarioKey(scenario);
        ((raw[key] ??= {})[impl] ??= []).push(result);
        log(
          `join ${key} ${impl} run ${run + 1}: ${result.error ?? `${result.total.toFixed(1)} ms (steps ${result.steps.map((s) => s.toFixed(0)).join('+')})`}`,
        );
      }
    }
  }
  for (const impl of IMPLEMENTATIONS) for (const p of pools[impl]) await p.close();

  const figures = {};
  for (const [key, byImpl] of Object.entries(raw)) {
    figures[key] = {};
    for (const [impl, results] of Object.entries(byImpl)) {
      figures[key][impl] = {
        ...summary(results.map((r) => r.total ?? NaN)),
        lastStep: summary(results.map((r) => r.steps?.at(-1) ?? NaN)).median,
        // The median of each step on its own (the target compares step by step).
        steps: Array.from({ length: Number(key.split('-')[1]) }, (_, i) => summary(results.map((r) => r.steps?.[i] ?? NaN)).median),
        errors: results.filter((r) => r.error).map((r) => r.error),
        ...(impl === 'kibitz' && { joinResolved: summary(results.flatMap((r) => r.joinResolved ?? [])).median }),
      };
    }
  }
  return { figures, raw };
}
