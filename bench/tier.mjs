// `npm run bench:tier`: what the broker tier holds and how fast it relays, on this machine,
// loopback only, with Node WebSocket clients (`ws`) speaking the PeerJS protocol as the
// element does (its own id under the room prefix, a heartbeat every 5 s).
//
// 1. Idle sockets one broker process holds (direct, no nginx), up to a bounded count, and the
//    broker's memory per socket (RSS and V8 heap from its own /stats, before and after).
// 2. Idle sockets the tier holds through nginx with three brokers (clients in two processes
//    from two loopback source addresses, so this machine's ephemeral ports do not cap it first).
// 3. Relay latency, offer to delivery, at JOINS concurrent joins spread over SPREAD_S seconds:
//    ROOMS coordinators hold their room's slot; each joiner opens its own socket and sends one
//    OFFER to its room's slot; the coordinator timestamps its arrival (same process, same
//    clock). Through nginx + broker (wss, TLS) and, beside it, straight to one broker (ws).
//
// Prints a summary and writes bench/tier-results.json. Environment: TIER_ONE (default 15000),
// TIER_THREE (30000), TIER_JOINS (1000), TIER_SPREAD_S (60), TIER_HOLD_S (20), TIER_PARTS
// (`relay,idle`: either or both).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { startCluster } from '../scripts/cluster.mjs';

const self = fileURLToPath(import.meta.url);
const PREFIX = 12;
const HEARTBEAT_MS = 5000;
const hex = (n) => randomBytes(n).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const socketUrl = (base, id) => `${base}peerjs?key=peerjs&id=${id}&token=${hex(8)}`;

/** Open one PeerJS socket; resolves on OPEN with the socket, rejects on anything else. */
function openSocket(base, id, { localAddress, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(base, id), { rejectUnauthorized: false, localAddress, perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no OPEN in time'));
    }, timeoutMs);
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.once('message', (data) => {
      clearTimeout(timer);
      const frame = JSON.parse(String(data));
      if (frame.type === 'OPEN') resolve(ws);
      else {
        ws.terminate();
        reject(new Error(frame.type));
      }
    });
  });
}

/**
 * Child mode: hold `count` idle sockets to `base` from `localAddress`, at most `parallel`
 * opening at once, heartbeating every 5 s; report { opened, failed, open, ms } and hold until told to stop.
 */
async function holdSockets({ base, count, localAddress, parallel = 200 }) {
  const sockets = [];
  let failed = 0;
  let next = 0;
  const started = Date.now();
  const errors = {};
  // Heartbeats from the first socket on: the broker drops a socket silent for 60 s, and a
  // large count takes longer than that to open.
  const beat = setInterval(() => {
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"HEARTBEAT"}');
  }, HEARTBEAT_MS);
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        try {
          const room = 'k' + hex(8);
          sockets.push(await openSocket(base, room.slice(0, PREFIX) + 'p' + hex(8), { localAddress }));
        } catch (err) {
          failed++;
          errors[err.code ?? err.message] = (errors[err.code ?? err.message] ?? 0) + 1;
        }
      }
    }),
  );
  const ms = Date.now() - started;
  const open = () => sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  process.send({ opened: sockets.length, failed, errors, ms });
  process.on('message', (msg) => {
    if (msg === 'count') process.send({ open: open() });
    if (msg === 'stop') {
      clearInterval(beat);
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  });
}

function holder(options) {
  const child = fork(self, ['--hold', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reply = () => new Promise((resolve) => child.once('message', resolve));
  return {
    ready: reply(),
    async count() {
      const answer = reply();
      child.send('count');
      return (await answer).open;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send('stop');
      }),
  };
}

const mib = (bytes) => bytes / 1048576;

/** RSS of a process and its children (nginx: the master and its workers), in KiB. */
function treeRssKiB(pid) {
  const rss = (p) => Number(readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return rss(pid) + children.reduce((n, c) => n + rss(c), 0);
}

async function idleFigure({ bases, brokers, count, holdS, log, proxyPid }) {
  const proxyBefore = proxyPid ? treeRssKiB(proxyPid) : 0;
  const before = await Promise.all(brokers.map((b) => b.stats()));
  const per = Math.ceil(count / bases.length);
  const holders = bases.map(([base, localAddress]) => holder({ base, count: per, localAddress }));
  const ready = await Promise.all(holders.map((h) => h.ready));
  const opened = ready.reduce((n, r) => n + r.opened, 0);
  const failed = ready.reduce((n, r) => n + r.failed, 0);
  const openMs = Math.max(...ready.map((r) => r.ms));
  log(
    `  ${opened} sockets open in ${(openMs / 1000).toFixed(1)} s (${failed} failed${failed ? `: ${JSON.stringify(ready.map((r) => r.errors))}` : ''}); holding ${holdS} s with heartbeats`,
  );
  await sleep(holdS * 1000);
  const still = (await Promise.all(holders.map((h) => h.count()))).reduce((a, b) => a + b, 0);
  const proxyHeld = proxyPid ? treeRssKiB(proxyPid) : 0;
  const after = await Promise.all(brokers.map((b) => b.stats()));
  await Promise.all(holders.map((h) => h.stop()));
  const held = after.reduce((n, s) => n + s.sockets, 0);
  const rss = after.reduce((n, s, i) => n + s.memory.rss - before[i].memory.rss, 0);
  const heap = after.reduce((n, s, i) => n + s.memory.heapUsed - before[i].memory.heapUsed, 0);
  return {
    requested: count,
    opened,
    failed,
    openSeconds: openMs / 1000,
    stillOpenAfterHold: still,
    heldByBrokers: held,
    perBroker: after.map((s) => s.sockets),
    brokerRssMiB: after.map((s) => +mib(s.memory.rss).toFixed(1)),
    rssPerSocketKiB: +(rss / held / 1024).toFixed(2),
    heapPerSocketKiB: +(heap / held / 1024).toFixed(2),
    ...(proxyPid
      ? { nginxRssMiB: +(proxyHeld / 1024).toFixed(1), nginxRssPerSocketKiB: +((proxyHeld - proxyBefore) / held).toFixed(2) }
      : {}),
  };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function relayFigure({ base, joins, rooms, spreadS, log }) {
  const arrivals = new Map();
  const coordinators = [];
  const roomIds = Array.from({ length: rooms }, () => 'k' + hex(16));
  for (const room of roomIds) {
    const ws = await openSocket(base, `${room}s0`);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'OFFER') arrivals.set(frame.payload.n, performance.now());
    });
    coordinators.push(ws);
  }
  const joiners = [];
  const beat = setInterval(() => {
    for (const ws of [...coordinators, ...joiners]) if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"HEARTBEAT"}');
  }, HEARTBEAT_MS);
  const sent = new Map();
  const openMs = [];
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: joins }, async (_, n) => {
      await sleep((n / joins) * spreadS * 1000);
      const room = roomIds[n % rooms];
      const t0 = performance.now();
      try {
        const ws = await openSocket(base, room.slice(0, PREFIX) + 'p' + hex(8));
        joiners.push(ws);
        openMs.push(performance.now() - t0);
        sent.set(n, performance.now());
        ws.send(JSON.stringify({ type: 'OFFER', dst: `${room}s0`, payload: { n, sdp: 'x'.repeat(1200) } }));
      } catch {
        failed++;
      }
    }),
  );
  await sleep(2000);
  clearInterval(beat);
  const latencies = [...sent]
    .filter(([n]) => arrivals.has(n))
    .map(([n, t]) => arrivals.get(n) - t)
    .sort((a, b) => a - b);
  openMs.sort((a, b) => a - b);
  for (const ws of [...coordinators, ...joiners]) ws.terminate();
  const result = {
    joins,
    rooms,
    spreadSeconds: spreadS,
    wallSeconds: +((performance.now() - started) / 1000).toFixed(1),
    failed,
    delivered: latencies.length,
    relayP50ms: +quantile(latencies, 0.5).toFixed(2),
    relayP99ms: +quantile(latencies, 0.99).toFixed(2),
    relayMaxMs: +latencies[latencies.length - 1].toFixed(2),
    openP50ms: +quantile(openMs, 0.5).toFixed(2),
    openP99ms: +quantile(openMs, 0.99).toFixed(2),
  };
  log(
    `  ${result.delivered}/${joins} offers delivered; relay p50 ${result.relayP50ms} ms, p99 ${result.relayP99ms} ms; socket open p50 ${result.openP50ms} ms, p99 ${result.openP99ms} ms`,
  );
  return result;
}

async function main() {
  const env = process.env;
  const ONE = Number(env.TIER_ONE ?? 15000);
  const THREE = Number(env.TIER_THREE ?? 30000);
  const JOINS = Number(env.TIER_JOINS ?? 1000);
  const SPREAD_S = Number(env.TIER_SPREAD_S ?? 60);
  const HOLD_S = Number(env.TIER_HOLD_S ?? 20);
  const parts = (env.TIER_PARTS ?? 'relay,idle').split(',');
  const started = Date.now();
  const log = (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  // nginx holds two descriptors per proxied socket: four workers, so that a per-process
  // descriptor limit (20,000 on the benchmark machine) is not what the tier figure measures.
  const cluster = await startCluster({ workers: 4, connections: 65536 });
  const results = {};
  try {
    const [b0] = cluster.brokers;
    const direct = `ws://127.0.0.1:${b0.port}/`;
    log(
      `tier up: ${cluster.url}, brokers on ${cluster.brokers.map((b) => b.port).join(', ')}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );

    if (parts.includes('relay')) {
      log(`relay, direct to one broker: ${JOINS} joins over ${SPREAD_S} s`);
      results.relayDirect = await relayFigure({ base: direct, joins: JOINS, rooms: 100, spreadS: SPREAD_S, log });
      log(`relay, through nginx (TLS) to three brokers: ${JOINS} joins over ${SPREAD_S} s`);
      results.relayTier = await relayFigure({ base: cluster.url, joins: JOINS, rooms: 100, spreadS: SPREAD_S, log });
    }
    if (parts.includes('idle')) {
      log(`idle sockets, one broker direct: up to ${ONE}`);
      results.idleOne = await idleFigure({ bases: [[direct, '127.0.0.1']], brokers: [b0], count: ONE, holdS: HOLD_S, log });
      // Let the broker let go of them before the tier figure reads its memory.
      await sleep(3000);
      log(`idle sockets, the tier through nginx: up to ${THREE}`);
      results.idleTier = await idleFigure({
        bases: [
          [cluster.url, '127.0.0.2'],
          [cluster.url, '127.0.0.3'],
        ],
        brokers: cluster.brokers,
        proxyPid: cluster.nginx.pid,
        count: THREE,
        holdS: HOLD_S,
        log,
      });
    }
  } finally {
    await cluster.stop();
  }
  const doc = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      loadAverage: loadavg(),
    },
    results,
  };
  writeFileSync(new URL('tier-results.json', import.meta.url), JSON.stringify(doc, null, 2) + '\n');
  console.log(JSON.stringify(results, null, 2));
  log('wrote bench/tier-results.json');
  process.exit(0);
}

if (process.argv[2] === '--hold') {
  await holdSockets(JSON.parse(process.argv[3]));
} else {
  await main();
}
