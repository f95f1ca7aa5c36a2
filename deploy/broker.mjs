// One PeerJS broker (the stock `peer` package) for the tier behind nginx: listens on
// 127.0.0.1:<port> and relays sealed handshakes between opaque ids, nothing else. Beside the
// broker socket it answers `GET /stats` with its own connection counts as JSON, for the
// operator and the tests; nginx never routes that path, so only the machine itself reads it.
//
//   node deploy/broker.mjs <port>          (or KIBITZ_BROKER_PORT; KIBITZ_BROKER_HOST, default 127.0.0.1)
//
// KIBITZ_BROKER_LIMIT caps its clients (default 60,000, under the unit's LimitNOFILE of 65,536;
// the `peer` package alone stops at 5,000 and answers the rest with an ERROR frame).
//
// `/stats`: { sockets, opened, rooms: { <room prefix>: { live, opened } } }. The room prefix is
// the first ROOM_PREFIX_LENGTH characters of a broker id, the same the proxy hashes on: the
// broker sees those ids anyway, and the endpoint is not reachable from outside.
import { fileURLToPath } from 'node:url';
import { normalize } from 'node:path';
import { startBroker } from '../scripts/broker.mjs';

/** Characters of a broker id that name its room (src/engine/entry.ts ROOM_PREFIX_LENGTH; nginx.conf's map). */
export const ROOM_PREFIX_LENGTH = 12;
/** Clients one broker takes unless KIBITZ_BROKER_LIMIT says otherwise. */
export const DEFAULT_LIMIT = 60_000;
/** Rooms remembered in the cumulative counts; the oldest are forgotten past this. */
const MAX_ROOMS = 50_000;

export async function startTierBroker({ port = 0, host = '127.0.0.1', aliveTimeout = 60_000, limit = DEFAULT_LIMIT } = {}) {
  const counts = { sockets: 0, opened: 0, rooms: new Map() };
  const broker = await startBroker({
    port,
    host,
    aliveTimeout,
    concurrentLimit: limit,
    onRequest(req, res) {
      if (req.method === 'GET' && req.url === '/stats') {
        const rooms = Object.fromEntries(counts.rooms);
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ sockets: counts.sockets, opened: counts.opened, rooms, memory: process.memoryUsage() }));
        return;
      }
      res.writeHead(404).end();
    },
  });
  broker.server.on('upgrade', (req, socket) => {
    const url = new URL(req.url, 'http://x');
    if (!url.pathname.endsWith('/peerjs')) return;
    const prefix = (url.searchParams.get('id') ?? '').slice(0, ROOM_PREFIX_LENGTH);
    let room = counts.rooms.get(prefix);
    if (!room) {
      if (counts.rooms.size >= MAX_ROOMS) counts.rooms.delete(counts.rooms.keys().next().value);
      counts.rooms.set(prefix, (room = { live: 0, opened: 0 }));
    }
    counts.sockets++;
    counts.opened++;
    room.live++;
    room.opened++;
    socket.once('close', () => {
      counts.sockets--;
      room.live--;
    });
  });
  return broker;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const port = Number(process.argv[2] ?? process.env.KIBITZ_BROKER_PORT ?? 9000);
  const limit = Number(process.env.KIBITZ_BROKER_LIMIT ?? DEFAULT_LIMIT);
  const broker = await startTierBroker({ port, host: process.env.KIBITZ_BROKER_HOST ?? '127.0.0.1', limit });
  console.log(`Kibitz broker: ws://127.0.0.1:${broker.port}/peerjs, stats at http://127.0.0.1:${broker.port}/stats`);
  // The PeerJS server keeps timers alive after close(): exit explicitly.
  const stop = () => broker.close().finally(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
