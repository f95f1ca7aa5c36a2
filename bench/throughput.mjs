// Figure 3, throughput: a 256 MiB Blob sent peer to peer with sendFile() (chunked, with
// backpressure) against a bare ordered data channel pushing the same bytes in 256 KiB
// messages with backpressure. Time runs from the send call until the receiver holds the
// whole payload as a Blob (spot-checked). The sender's JS heap (V8 heap plus ArrayBuffer
// backing stores) is sampled over CDP every 100 ms (the peak includes garbage not yet
// collected) and read once mid-transfer right after a forced collection (what is live).
//
// Control traffic while the product transfers: the coordinator (the sender) pings the
// receiver on the control channel every 500 ms; an observer on the bench page timestamps
// each ping as it is handed to the channel and as it arrives. A small chat message also
// goes the transfer's way every 200 ms. A last, shorter probe sends chat both ways during
// a transfer, in the product and on the bare channel.
import { randomBytes } from 'node:crypto';
import { median, quantile, settle, sleep, summary, within } from './lib/browser.mjs';

/** What randomRoomName() in the SDK makes: 32 lowercase hex digits. */
const randomRoomName = () => randomBytes(16).toString('hex');

export const TOTAL = 256 * 1024 * 1024;
export const PROBE_TOTAL = 32 * 1024 * 1024;
const CHAT_MS = 200;
const LIVE_AT_MS = 3000;
/** 256 MiB at 5 MB/s; slower is reported as a failure. */
const ARRIVAL_TIMEOUT_MS = 55_000;
const PROBE_TIMEOUT_MS = 15_000;

/** Sample a page's heap every 100 ms until stop(). */
function heapSampler(page) {
  let running = true;
  const samples = [];
  const loop = (async () => {
    while (running) {
      try {
        samples.push((await page.heap()).total);
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
      return samples.length ? Math.max(...samples) : NaN;
    },
  };
}

/** Two pages of one kind in a fresh room; resolves with { pages, ids }. */
async function pair(bench, kind, query, pages) {
  pages ??= await bench.openMany(kind, 2, query);
  await settle({ maxMs: 3000 });
  // A room as createRoom() makes one: 128 random bits (a human-chosen name would add its stretch to the join).
  const room = randomRoomName();
  const ids = [`${room}p0`, `${room}p1`];
  for (let k = 0; k < 2; k++) {
    await pages[k].run((b, a) => b.join(a), { room, media: false, signaling: bench.server.url, id: ids[k], others: ids.slice(0, k) });
    await within(Promise.all(pages.slice(0, k + 1).map((p) => p.run((b, c) => b.connected(c), k))), 15_000, 'throughput pair');
  }
  if (kind === 'kibitz') return { pages, ids: await Promise.all(pages.map((p) => p.run((b) => b.self()))) };
  return { pages, ids };
}

/**
 * One transfer. `chat`: 'none', 'forward' (sender → receiver) or 'both'. Resolves with the
 * figures, or with { stalled: true, … } when the payload does not arrive in time.
 */
async function transfer(kind, [sender, receiver], ids, { total, chat, timeoutMs, heap }) {
  await sender.run((b, t) => b.preparePayload(t), total);
  await sender.collectGarbage();
  await receiver.collectGarbage();
  await settle({ minMs: 300, maxMs: 2000 });
  const baseline = (await sender.heap()).total;
  const receiverBaseline = (await receiver.heap()).total;
  const senderHeap = heap ? heapSampler(sender) : null;
  const receiverHeap = heap ? heapSampler(receiver) : null;
  for (const page of [sender, receiver]) await page.run((b) => (b.latency.reset(), b.clearLog()));
  if (chat !== 'none') await sender.run((b, a) => b.latency.startChat(a.to, a.every), { to: ids[1], every: CHAT_MS });
  if (chat === 'both') await receiver.run((b, a) => b.latency.startChat(a.to, a.every), { to: ids[0], every: CHAT_MS });
  const began = await sender.run((b) => b.now());
  const arrived =
    kind === 'kibitz'
      ? receiver.run((b, t) => b.expectFile(t), total)
      : receiver.run((b, a) => b.expectBulk(a.from, a.total), { from: ids[0], total });
  const sending =
    kind === 'kibitz'
      ? sender.run((b, a) => b.sendFile(a.to, a.total), { to: ids[1], total })
      : sender.run((b, a) => b.sendBulk(a.to, a.total), { to: ids[1], total });
  arrived.catch(() => undefined);
  sending.catch(() => undefined);
  let live = NaN;
  if (heap) {
    // What the sender really holds mid-transfer: its heap right after a forced collection.
    await sleep(LIVE_AT_MS);
    await sender.collectGarbage();
    live = (await sender.heap()).total - baseline;
  }
  let got = null;
  try {
    got = await within(arrived, timeoutMs, 'the payload to arrive');
  } catch {
    // reported below as a stall
  }
  const senderPeak = await senderHeap?.stop();
  const receiverPeak = await receiverHeap?.stop();
  for (const page of [sender, receiver]) await page.run((b) => b.latency.stopChat());
  const forward = (await receiver.run((b) => b.latency.chat)).filter((c) => !got || c.at <= got.at);
  const backward = (await sender.run((b) => b.latency.chat)).filter((c) => !got || c.at <= got.at);
  const departures = [...(await sender.run((b) => b.log())), ...(await receiver.run((b) => b.log()))]
    .filter((e) => e.type === 'kibitz-leave' || e.type === 'kibitz-coordinator')
    .map((e) => `${e.type} at +${((e.at - began) / 1000).toFixed(1)} s`);
  const chats = {
    forward: { p50: median(forward.map((c) => c.ms)), max: Math.max(...forward.map((c) => c.ms)), delivered: forward.length },
    backward: { p50: median(backward.map((c) => c.ms)), delivered: backward.length },
  };
  if (!got) {
    const received = (await receiver.run((b) => b.progress())).in;
    return { stalled: true, received, total, seconds: timeoutMs / 1000, chats, departures };
  }
  const sent = await sending;
  const seconds = (got.at - sent.start) / 1000;
  const result = {
    ok: got.ok && got.size === total,
    seconds,
    mbps: total / 1e6 / seconds,
    senderHeapPeak: senderPeak - baseline,
    senderHeapLive: live,
    receiverHeapPeak: receiverPeak - receiverBaseline,
    chats,
    departures,
  };
  if (kind === 'kibitz') {
    const sentPings = (await sender.run((b) => b.probe()))?.sent ?? [];
    const gotPings = new Map(((await receiver.run((b) => b.probe()))?.received ?? []).map((p) => [p.n, p.at]));
    const pings = sentPings.filter((p) => p.at >= sent.start && p.at <= got.at);
    const pingMs = pings.filter((p) => gotPings.has(p.n)).map((p) => gotPings.get(p.n) - p.at);
    result.ping = {
      p50: median(pingMs),
      p99: quantile(pingMs, 0.99),
      max: Math.max(...pingMs),
      sent: pings.length,
      lost: pings.length - pingMs.length,
    };
  }
  return result;
}

const describe = (r) =>
  r.stalled
    ? `stalled: ${(r.received / 2 ** 20).toFixed(1)} of ${r.total / 2 ** 20} MiB arrived in ${r.seconds} s; chat delivered → ${r.chats.forward.delivered}, ← ${r.chats.backward.delivered}${r.departures.length ? `; ${r.departures.join(', ')}` : ''}`
    : `${r.mbps.toFixed(1)} MB/s (${r.seconds.toFixed(1)} s, ok ${r.ok})` +
      (Number.isFinite(r.senderHeapLive)
        ? `, sender heap +${(r.senderHeapPeak / 2 ** 20).toFixed(1)} MiB peak, +${(r.senderHeapLive / 2 ** 20).toFixed(1)} MiB live, receiver +${(r.receiverHeapPeak / 2 ** 20).toFixed(0)} MiB`
        : '') +
      (r.chats.forward.delivered ? `; chat → p50 ${r.chats.forward.p50.toFixed(0)} ms max ${r.chats.forward.max.toFixed(0)} ms` : '') +
      (r.chats.backward.delivered ? `, ← p50 ${r.chats.backward.p50.toFixed(1)} ms` : '') +
      (r.ping ? `; pings p50 ${r.ping.p50.toFixed(1)} ms max ${r.ping.max.toFixed(1)} ms (${r.ping.sent} sent, ${r.ping.lost} lost)` : '') +
      (r.departures.length ? `; ${r.departures.join(', ')}` : '');

export async function throughputFigure(bench, { runs, log }) {
  const setups = { kibitz: await pair(bench, 'kibitz', { probe: 1 }), bare: await pair(bench, 'bare') };
  const raw = { kibitz: [], bare: [], twoWay: {} };
  const once = async (kind, options) => {
    let result;
    try {
      result = await transfer(kind, setups[kind].pages, setups[kind].ids, options);
    } catch (err) {
      result = { error: err.message };
    }
    if (result.error || result.stalled || result.departures?.length) {
      // Start the next run from a fresh room.
      for (const p of setups[kind].pages) await p.run((b) => b.leave()).catch(() => undefined);
      setups[kind] = await pair(bench, kind, undefined, setups[kind].pages);
    }
    return result;
  };
  for (let run = 0; run < runs; run++) {
    for (const kind of run % 2 ? ['bare', 'kibitz'] : ['kibitz', 'bare']) {
      const options = { total: TOTAL, chat: kind === 'kibitz' ? 'forward' : 'none', timeoutMs: ARRIVAL_TIMEOUT_MS, heap: true };
      const result = await once(kind, options);
      raw[kind].push(result);
      log(`throughput ${kind} run ${run + 1}: ${result.error ?? describe(result)}`);
    }
  }
  for (const kind of ['kibitz', 'bare']) {
    const result = await once(kind, { total: PROBE_TOTAL, chat: 'both', timeoutMs: PROBE_TIMEOUT_MS, heap: false });
    raw.twoWay[kind] = result;
    log(`throughput ${kind}, chat both ways, ${PROBE_TOTAL / 2 ** 20} MiB: ${result.error ?? describe(result)}`);
  }
  for (const { pages } of Object.values(setups)) for (const p of pages) await p.close();

  const good = (kind) => raw[kind].filter((r) => r.ok && !r.stalled && !r.error);
  const pick = (kind, f) => summary(good(kind).map(f));
  const failures = (kind) => raw[kind].length - good(kind).length;
  const figures = {
    kibitz: {
      mbps: pick('kibitz', (r) => r.mbps),
      senderHeapLive: pick('kibitz', (r) => r.senderHeapLive),
      senderHeapPeak: pick('kibitz', (r) => r.senderHeapPeak),
      receiverHeapPeak: pick('kibitz', (r) => r.receiverHeapPeak),
      chatForwardP50: pick('kibitz', (r) => r.chats.forward.p50),
      chatForwardMax: pick('kibitz', (r) => r.chats.forward.max),
      pingP50: pick('kibitz', (r) => r.ping.p50),
      pingMax: pick('kibitz', (r) => r.ping.max),
      pingsLost: good('kibitz').reduce((n, r) => n + r.ping.lost, 0),
      departures: raw.kibitz.reduce((n, r) => n + (r.departures?.length ?? 0), 0),
      failures: failures('kibitz'),
      errors: raw.kibitz.filter((r) => r.error || r.stalled).map((r) => r.error ?? describe(r)),
    },
    bare: {
      mbps: pick('bare', (r) => r.mbps),
      senderHeapLive: pick('bare', (r) => r.senderHeapLive),
      senderHeapPeak: pick('bare', (r) => r.senderHeapPeak),
      receiverHeapPeak: pick('bare', (r) => r.receiverHeapPeak),
      failures: failures('bare'),
      errors: raw.bare.filter((r) => r.error || r.stalled).map((r) => r.error ?? describe(r)),
    },
    twoWay: Object.fromEntries(
      Object.entries(raw.twoWay).map(([kind, r]) => [
        kind,
        { summary: r.error ?? describe(r), stalled: Boolean(r.stalled), error: r.error ?? null },
      ]),
    ),
  };
  return { figures, raw };
}
