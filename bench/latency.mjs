// Figure 4, message latency: one-way latency of small messages, stamped by the sender and
// read by the receiver on the clock all pages share. Between 2 peers: ping-pong, one
// message in flight; among 6: each peer in turn broadcasts and waits for every ack.
// Baseline: the same over bare ordered data channels (2 and 6 pages).
import { randomBytes } from 'node:crypto';
import { quantile, settle, summary, within } from './lib/browser.mjs';

/** What randomRoomName() in the SDK makes: 32 lowercase hex digits. */
const randomRoomName = () => randomBytes(16).toString('hex');

export const ROUNDS = 1000;
const WARMUP = 100;
export const BROADCASTS = 100;

async function meshUp(pages, { media = false } = {}, server) {
  // A room as createRoom() makes one: 128 random bits (a human-chosen name would add its stretch to the join).
  const room = randomRoomName();
  const ids = pages.map((_, i) => `${room}p${i}`);
  for (let k = 0; k < pages.length; k++) {
    await pages[k].run((b, a) => b.join(a), { room, media, signaling: server.url, id: ids[k], others: ids.slice(0, k) });
    await within(Promise.all(pages.slice(0, k + 1).map((p) => p.run((b, c) => b.connected(c), k))), 15_000, 'latency mesh');
  }
  return ids;
}

const reset = (pages) => Promise.all(pages.map((p) => p.run((b) => b.latency.reset())));
const oneWay = async (page) => page.run((b) => b.latency.oneWay);

/** p50/p99 of each run, and the clock-skew estimate of a pair (half the difference of the directions' medians). */
function describe(runs) {
  return {
    p50: summary(runs.map((r) => r.p50)).median,
    p99: summary(runs.map((r) => r.p99)).median,
    rttP50: runs[0].rttP50 === undefined ? undefined : summary(runs.map((r) => r.rttP50)).median,
    rttP99: runs[0].rttP99 === undefined ? undefined : summary(runs.map((r) => r.rttP99)).median,
    skew: runs[0].skew === undefined ? undefined : summary(runs.map((r) => r.skew)).median,
    samples: runs.reduce((n, r) => n + r.samples, 0),
    runs: runs.length,
  };
}

async function broadcastRuns(pages, runs, log, label) {
  const results = [];
  for (let run = 0; run < runs; run++) {
    await settle({ minMs: 100, maxMs: 1500 });
    await reset(pages);
    for (const sender of pages) await sender.run((b, n) => b.latency.broadcast(5, n), BROADCASTS);
    const all = (await Promise.all(pages.map(oneWay))).flat();
    const r = { p50: quantile(all, 0.5), p99: quantile(all, 0.99), samples: all.length };
    results.push(r);
    log(`latency ${label} run ${run + 1}: one-way p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms (${all.length} deliveries)`);
  }
  return describe(results);
}

async function pingPongRuns(a, b, ids, runs, log, label) {
  const results = [];
  for (let run = 0; run < runs; run++) {
    await settle({ minMs: 100, maxMs: 1500 });
    await a.run((bench, arg) => bench.latency.pingPong(arg.to, arg.n), { to: ids[1], n: WARMUP });
    await reset([a, b]);
    await a.run((bench, arg) => bench.latency.pingPong(arg.to, arg.n), { to: ids[1], n: ROUNDS });
    const there = await oneWay(b); // a → b
    const back = await oneWay(a); // b → a
    const rtt = await a.run((bench) => bench.latency.rtt);
    const all = [...there, ...back];
    const r = {
      p50: quantile(all, 0.5),
      p99: quantile(all, 0.99),
      rttP50: quantile(rtt, 0.5),
      rttP99: quantile(rtt, 0.99),
      skew: (quantile(there, 0.5) - quantile(back, 0.5)) / 2,
      samples: all.length,
    };
    results.push(r);
    log(
      `latency ${label} run ${run + 1}: one-way p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms; rtt p50 ${r.rttP50.toFixed(3)} ms; skew ${r.skew.toFixed(3)} ms`,
    );
  }
  return describe(results);
}

export async function latencyFigure(bench, { runs, log }) {
  const figures = {};
  // Two peers: the product, then the bare channel.
  {
    const pages = await bench.openMany('kibitz', 6);
    await settle({ maxMs: 3000 });
    const two = pages.slice(0, 2);
    await meshUp(two, {}, bench.server);
    const ids = await Promise.all(two.map((p) => p.run((b) => b.self())));
    figures.kibitz2 = await pingPongRuns(two[0], two[1], ids, runs, log, 'kibitz 2 peers');
    for (const p of two) await p.run((b) => b.leave());

    // Six peers: each broadcasts in turn and waits for every ack.
    await meshUp(pages, {}, bench.server);
    figures.kibitz6 = await broadcastRuns(pages, runs, log, 'kibitz 6 peers');
    for (const p of pages) await p.close();
  }
  {
    const pages = await bench.openMany('bare', 6);
    await settle({ maxMs: 3000 });
    const two = pages.slice(0, 2);
    const ids = await meshUp(two, {}, bench.server);
    figures.bare2 = await pingPongRuns(two[0], two[1], ids, runs, log, 'bare 2 pages');
    for (const p of two) await p.run((b) => b.leave());
    await meshUp(pages, {}, bench.server);
    figures.bare6 = await broadcastRuns(pages, runs, log, 'bare 6 pages');
    for (const p of pages) await p.close();
  }
  return { figures };
}
