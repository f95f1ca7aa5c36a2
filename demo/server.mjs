// The demo: one Node process serves the page, the script-tag bundle at /kibitz-room.js and
// the PeerJS broker on the same origin, so a room's signaling default (the page's origin)
// just works. `PORT` overrides the port (default 8080).
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../scripts/broker.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = {
  '/': 'demo/index.html',
  '/index.html': 'demo/index.html',
  '/demo.css': 'demo/demo.css',
  '/demo.js': 'demo/demo.js',
  '/kibitz-room.js': 'dist/kibitz-room.js',
  '/test-page.html': 'demo/test-page.html',
};
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Start the demo server; resolves with its URL and a close(). */
export async function startServer({ port = 8080, host = '127.0.0.1', quiet = false } = {}) {
  const broker = await startBroker({
    port,
    host,
    async onRequest(req, res) {
      const path = normalize(new URL(req.url, 'http://x').pathname);
      const file = files[path];
      if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      try {
        const body = await readFile(join(root, file));
        res.writeHead(200, {
          'content-type': types[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-store',
          // Cross-origin isolation gives the benchmarks fine-grained timers; nothing here is cross-origin.
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`missing ${file}: run npm run build`);
      }
    },
  });
  const url = `http://${host === '127.0.0.1' ? 'localhost' : host}:${broker.port}/`;
  if (!quiet) console.log(`Kibitz demo: ${url}`);
  return { url, port: broker.port, close: () => broker.close() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const server = await startServer({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' });
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
