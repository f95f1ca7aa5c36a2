// The reference PeerJS broker (`peer` package), started in-process for the demo, the tests
// and the benchmarks. It only relays sealed handshakes between opaque ids.
import { createServer } from 'node:http';
import express from 'express';
import { ExpressPeerServer } from 'peer';

/**
 * Start a PeerJS-protocol broker on `port` (0 = any free port), taking at most `concurrentLimit` clients.
 * @returns {Promise<{ port: number, url: string, server: import('node:http').Server, close(): Promise<void> }>}
 */
export async function startBroker({ port = 0, host = '127.0.0.1', onRequest, aliveTimeout = 60_000, concurrentLimit = 5000 } = {}) {
  const server = createServer();
  const broker = ExpressPeerServer(server, {
    path: '/',
    key: 'peerjs',
    alive_timeout: aliveTimeout,
    expire_timeout: 5000,
    allow_discovery: false,
    // Clients past this many get an ERROR frame and no id (the `peer` package's own default is 5000).
    concurrent_limit: concurrentLimit,
  });
  // ExpressPeerServer wires its WebSocket endpoint only once mounted in a parent app.
  const app = express();
  app.use(broker);
  server.on('request', (req, res) => {
    if (req.url.startsWith('/peerjs')) return app(req, res);
    if (onRequest) return onRequest(req, res);
    res.writeHead(404).end();
  });
  // Upgraded WebSocket sockets leave the HTTP server's bookkeeping: track them, so close()
  // really ends every client connection (a broker outage in tests) instead of waiting on them.
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actual = server.address().port;
  return {
    port: actual,
    url: `ws://${host}:${actual}/`,
    server,
    async close() {
      server.closeAllConnections?.();
      const closed = new Promise((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
