// Figure 3, throughput: a 256 MiB Blob sent peer to peer with sendFile() (chunked, with
// backpressure) against a bare ordered data channel pushing the same bytes in 256 KiB
// messages with backpressure. Time runs from the send call until the receiver holds the
// whole payload as a Blob (spot-checked). The sender's JS heap (V8 heap plus ArrayBuffer
// backing stores) is sampled over CDP every 100 ms (the peak includes garbage not yet
// collected) and read once mid-transfer right after a forced collection (what is live). While the product transfers, a small chat message
// goes each way every 200 ms and the coordinator's presence pings are timed on the control
// channel, to show whether control traffic is starved.
import { clock, median, quantile, settle, sleep, summary, within } from './lib/browser.mjs';

export const TOTAL = 256 * 1024 * 1024;
const CHAT_MS = 200;
const LIVE_AT_MS = 3000;

/** Sample a page's heap every 100 ms until stop(); returns { stop(): Promise<{ peak, samples }> }. */
function heapSampler(page) {
  let running = true;
  const samples = [];
  const loop = (async () => {
    while (running) {
      try {
        samples.push(await page.heap());
      } catch {
        // a sample lost to a busy page is no loss
      }
      await sleep(100);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peak: Math.max(...samples.map((s) => s.total)), samples: samples.length };
    },
  };
}

async function pair(bench, kind, query) {
  const pages = await bench.openMany(kind, 2, query);
  await settle({ maxMs: 3000 });
  const room = `t${Date.now().toString(36)}`;
  const ids = [`${room}p0`, `${room}p1`];
  for (let k = 0; k < 2; k++) {
    await pages[k].run((b, a) => b.join(a), { room, media: false, signaling: bench.server.url, id: ids[k], others: ids.slice(0, k) });
    await within(Promise.all(pages.slice(0, k + 1).map((p) => p.run((b, c) => b.connected(c), k))), 15_000, 'throughput pair');
  }
  if (kind === 'kibitz') return { pages, ids: await Promise.all(pages.map((p) => p.run((b) => b.self()))) };
  return { pages, ids };
}

async function transfer(kind, [sender, receiver], ids) {
  await sender.run((b, total) => b.preparePayload(total), TOTAL);
  await sender.collectGarbage();
  await receiver.collectGarbage();
  await settle({ minMs: 300, maxMs: 2000 });
  const baseline = (await sender.heap()).total;
  const receiverBaseline = (await receiver.heap()).total;
  const senderHeap = heapSampler(sender);
  const receiverHeap = heapSampler(receiver);
  let arrived;
  let sending;
  if (kind === 'kibitz') {
    await sender.run((b) => (b.latency.reset(), b.clearLog()));
    await receiver.run((b) => (b.latency.reset(), b.clearLog()));
    await sender.run((b, a) => b.latency.startChat(a.to, a.every), { to: ids[1], every: CHAT_MS });
    await receiver.run((b, a) => b.latency.startChat(a.to, a.every), { to: ids[0], every: CHAT_MS });
    arrived = receiver.run((b, total) => b.expectFile(total), TOTAL);
    arrived.catch(() => undefined);
    sending = sender.run((b, a) => b.sendFile(a.to, a.total), { to: ids[1], total: TOTAL });
  } else {
    arrived = receiver.run((b, a) => b.expectBulk(a.from, a.total), { from: ids[0], total: TOTAL });
    arrived.catch(() => undefined);
    sending = sender.run((b, a) => b.sendBulk(a.to, a.total), { to: ids[1], total: TOTAL });
  }
  sending.catch(() => undefined);
  // What the sender really holds mid-transfer: its heap right after a forced collection.
  await sleep(LIVE_AT_MS);
  await sender.collectGarbage();
  const live = (await sender.heap()).total - baseline;
  const sent = await sending;
  const got = await within(arrived, 120_000, 'the payload to arrive');
  const { peak } = await senderHeap.stop();
  const { peak: receiverPeak } = await receiverHeap.stop();
  const seconds = (got.at - sent.start) / 1000;
  const result = {
    ok: got.ok && got.size === TOTAL,
    seconds,
    mbps: TOTAL / 1e6 / seconds,
    senderHeapPeak: peak,
    senderHeapGrowth: peak - baseline,
    senderHeapLive: live,
    receiverHeapGrowth: receiverPeak - receiverBaseline,
  };
  if (kind === 'kibitz') {
    await sender.run((b) => b.latency.stopChat());
    await receiver.run((b) => b.latency.stopChat());
    const during = (list) => list.filter((c) => c.at >= sent.start && c.at <= got.at).map((c) => c.ms);
    const forward = during(await receiver.run((b) => b.latency.chat));
    const backward = during(await sender.run((b) => b.latency.chat));
    const sentPings = (await sender.run((b) => b.probe())).sent;
    const gotPings = new Map((await receiver.run((b) => b.probe())).received.map((p) => [p.n, p.at]));
    const pings = sentPings.filter((p) => p.at >= sent.start && p.at <= got.at);
    const pingMs = pings.filter((p) => gotPings.has(p.n)).map((p) => gotPings.get(p.n) - p.at);
    const departures = [...(await sender.run((b) => b.log())), ...(await receiver.run((b) => b.log()))].filter(
      (e) => e.type === 'kibitz-leave' || e.type === 'kibitz-coordinator',
    );
    Object.assign(result, {
      chatForward: { p50: median(forward), max: Math.max(...forward), count: forward.length },
      chatBackward: { p50: median(backward), max: Math.max(...backward), count: backward.length },
      ping: { p50: median(pingMs), p99: quantile(pingMs, 0.99), max: Math.max(...pingMs), sent: pings.length, lost: pings.length - pingMs.length },
      departures: departures.length,
    });
  }
  return result;
}

export async function throughputFigure(bench, { runs, log }) {
  const product = await pair(bench, 'kibitz', { probe: 1 });
  const bare = await pair(bench, 'bare');
  const raw = { kibitz: [], bare: [] };
  for (let run = 0; run < runs; run++) {
    for (const [kind, setup] of run % 2 ? [['bare', bare], ['kibitz', product]] : [['kibitz', product], ['bare', bare]]) {
      const started = clock();
      let result;
      try {
        result = await transfer(kind, setup.pages, setup.ids);
      } catch (err) {
        result = { error: err.message };
      }
      raw[kind].push(result);
      const extra = result.ping
        ? `; chat → p50 ${result.chatForward.p50?.toFixed(0)} ms max ${result.chatForward.max.toFixed(0)} ms, ← p50 ${result.chatBackward.p50?.toFixed(0)} ms; ping p50 ${result.ping.p50?.toFixed(1)} ms max ${result.ping.max.toFixed(1)} ms (${result.ping.sent} pings, ${result.ping.lost} lost); departures ${result.departures}`
        : '';
      log(
        `throughput ${kind} run ${run + 1}: ${result.error ?? `${result.mbps.toFixed(1)} MB/s (${result.seconds.toFixed(1)} s, ok ${result.ok}), sender heap +${(result.senderHeapGrowth / 2 ** 20).toFixed(1)} MiB peak, +${(result.senderHeapLive / 2 ** 20).toFixed(1)} MiB live, receiver heap +${(result.receiverHeapGrowth / 2 ** 20).toFixed(0)} MiB${extra}`} [${((clock() - started) / 1000).toFixed(0)} s]`,
      );
    }
  }
  for (const p of [...product.pages, ...bare.pages]) await p.close();
  const pick = (kind, f) => summary(raw[kind].filter((r) => !r.error && r.ok).map(f));
  const figures = {
    kibitz: {
      mbps: pick('kibitz', (r) => r.mbps),
      senderHeapGrowth: pick('kibitz', (r) => r.senderHeapGrowth),
      senderHeapLive: pick('kibitz', (r) => r.senderHeapLive),
      senderHeapPeak: pick('kibitz', (r) => r.senderHeapPeak),
      receiverHeapGrowth: pick('kibitz', (r) => r.receiverHeapGrowth),
      chatForwardP50: pick('kibitz', (r) => r.chatForward.p50),
      chatForwardMax: pick('kibitz', (r) => r.chatForward.max),
      chatBackwardP50: pick('kibitz', (r) => r.chatBackward.p50),
      pingP50: pick('kibitz', (r) => r.ping.p50),
      pingMax: pick('kibitz', (r) => r.ping.max),
      pingsLost: raw.kibitz.reduce((n, r) => n + (r.ping?.lost ?? 0), 0),
      departures: raw.kibitz.reduce((n, r) => n + (r.departures ?? 0), 0),
      failures: raw.kibitz.filter((r) => r.error || !r.ok).length,
    },
    bare: {
      mbps: pick('bare', (r) => r.mbps),
      senderHeapGrowth: pick('bare', (r) => r.senderHeapGrowth),
      senderHeapLive: pick('bare', (r) => r.senderHeapLive),
      senderHeapPeak: pick('bare', (r) => r.senderHeapPeak),
      receiverHeapGrowth: pick('bare', (r) => r.receiverHeapGrowth),
      failures: raw.bare.filter((r) => r.error || !r.ok).length,
    },
  };
  return { figures, raw };
}
