// Figure 6, scale and idle cost (reported, no target). Data-only rooms of 12 and 16 peers:
// the join total (joined one after another, as in figure 1) and then message latency in that
// room (each peer in turn broadcasts and waits for every ack, as in figure 4). And an idle
// 6-peer call: for 10 s nobody sends anything, and each page's main-thread busy time (CDP
// `Performance.getMetrics` TaskDuration) and the bytes its WebRTC transports send and receive
// (`transport` stats: DTLS and SCTP, so the product's presence pings; not ICE consent checks)
// are read. The broker's WebSocket heartbeat is not counted (a small frame every few seconds).
// Beside each, the peerjs full mesh in the same run.
import { mesh } from './join.mjs';
import { quantile, settle, sleep, summary } from './lib/browser.mjs';

export const SIZES = [12, 16];
export const IMPLEMENTATIONS = ['kibitz', 'peerjs'];
const BROADCASTS = 30;
const IDLE_PEERS = 6;
const IDLE_MS = 10_000;

async function latencyIn(pages) {
  await settle({ minMs: 200, maxMs: 2000 });
  await Promise.all(pages.map((p) => p.run((b) => b.latency.reset())));
  for (const sender of pages)
    await sender.run((b, a) => b.latency.broadcast(a.receivers, a.n), { receivers: pages.length - 1, n: BROADCASTS });
  const all = (await Promise.all(pages.map((p) => p.run((b) => b.latency.oneWay)))).flat();
  return { p50: quantile(all, 0.5), p99: quantile(all, 0.99), samples: all.length };
}

async function taskSeconds(page) {
  const session = await page.cdp();
  await session.send('Performance.enable').catch(() => undefined);
  const { metrics } = await session.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
}

/** One idle call: per page, main-thread busy ms per second and transport bytes per second. */
async function idle(pages, impl, server) {
  const result = await mesh(pages, { media: false, peers: pages.length, keep: true }, server);
  if (result.error) return { error: result.error };
  try {
    // Let the joins' own work finish (the product's safety-code exchanges run just after).
    await sleep(2000);
    await settle({ minMs: 200, maxMs: 3000 });
    const before = await Promise.all(
      pages.map(async (p) => ({ task: await taskSeconds(p), bytes: await p.run((b) => b.bytes()), at: Date.now() })),
    );
    await sleep(IDLE_MS);
    const after = await Promise.all(
      pages.map(async (p) => ({ task: await taskSeconds(p), bytes: await p.run((b) => b.bytes()), at: Date.now() })),
    );
    const coordinator = impl === 'kibitz' ? await pages[0].run((b) => b.coordinator()) : null;
    const selves = impl === 'kibitz' ? await Promise.all(pages.map((p) => p.run((b) => b.self()))) : [];
    return {
      pages: pages.map((_, i) => {
        const s = (after[i].at - before[i].at) / 1000;
        return {
          coordinator: coordinator !== null && selves[i] === coordinator,
          cpuMsPerS: ((after[i].task - before[i].task) * 1000) / s,
          bytesPerS: (after[i].bytes.sent - before[i].bytes.sent + after[i].bytes.received - before[i].bytes.received) / s,
        };
      }),
    };
  } finally {
    for (const p of pages) await p.run((b) => b.leave()).catch(() => undefined);
    await sleep(200);
  }
}

export async function scaleFigure(bench, { runs, log }) {
  const raw = { join: {}, idle: {} };
  for (const impl of IMPLEMENTATIONS) {
    const pages = await bench.openMany(impl, Math.max(...SIZES));
    await settle({ maxMs: 5000 });
    // Warm-up (discarded), as in figure 1.
    await mesh(pages, { media: false, peers: 8 }, bench.server);
    for (let run = 0; run < runs; run++) {
      for (const peers of SIZES) {
        const used = pages.slice(0, peers);
        await settle({ minMs: 200, maxMs: 3000 });
        const joined = await mesh(used, { media: false, peers, keep: true }, bench.server);
        let r = joined;
        if (!joined.error) {
          try {
            r = { ...joined, ...(await latencyIn(used)) };
          } catch (err) {
            r = { error: err.message };
          }
          for (const p of used) await p.run((b) => b.leave()).catch(() => undefined);
          await sleep(300);
        }
        ((raw.join[peers] ??= {})[impl] ??= []).push(r);
        log(
          `scale ${peers} peers ${impl} run ${run + 1}: ${r.error ?? `join ${r.total.toFixed(0)} ms (last step ${r.steps.at(-1).toFixed(0)} ms), one-way p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`}`,
        );
      }
      const r = await idle(pages.slice(0, IDLE_PEERS), impl, bench.server);
      (raw.idle[impl] ??= []).push(r);
      log(
        `idle ${IDLE_PEERS} peers ${impl} run ${run + 1}: ${r.error ?? r.pages.map((p) => `${p.coordinator ? 'coordinator ' : ''}${p.cpuMsPerS.toFixed(1)} ms/s ${(p.bytesPerS / 1000).toFixed(2)} kB/s`).join('; ')}`,
      );
    }
    for (const p of pages) await p.close();
  }
  const figures = { join: {}, idle: {} };
  for (const [peers, byImpl] of Object.entries(raw.join)) {
    figures.join[peers] = {};
    for (const [impl, results] of Object.entries(byImpl)) {
      const ok = results.filter((r) => !r.error);
      figures.join[peers][impl] = {
        total: summary(ok.map((r) => r.total)),
        lastStep: summary(ok.map((r) => r.steps.at(-1))).median,
        p50: summary(ok.map((r) => r.p50)).median,
        p99: summary(ok.map((r) => r.p99)).median,
        failures: results.length - ok.length,
        errors: results.filter((r) => r.error).map((r) => r.error),
      };
    }
  }
  for (const [impl, results] of Object.entries(raw.idle)) {
    const ok = results.filter((r) => !r.error);
    const of = (pick) => ok.flatMap((r) => r.pages.filter(pick));
    const describe = (list) => ({ cpuMsPerS: summary(list.map((p) => p.cpuMsPerS)), bytesPerS: summary(list.map((p) => p.bytesPerS)) });
    figures.idle[impl] = {
      // The product's coordinator pings everyone; its participants answer only it.
      ...(impl === 'kibitz'
        ? { coordinator: describe(of((p) => p.coordinator)), participant: describe(of((p) => !p.coordinator)) }
        : { peer: describe(of(() => true)) }),
      failures: results.length - ok.length,
      errors: results.filter((r) => r.error).map((r) => r.error),
    };
  }
  return { figures, raw };
}
