// The bench server: the reference PeerJS broker (everything under /peerjs) plus the bench
// pages, the built script-tag bundle, the peerjs client (baseline pages only) and a small
// crypto bundle, all on one origin and cross-origin isolated, so pages get 5 µs timers.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startBroker } from '../../scripts/broker.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };

const files = {
  '/pages/kibitz.html': 'bench/pages/kibitz.html',
  '/pages/peerjs.html': 'bench/pages/peerjs.html',
  '/pages/bare.html': 'bench/pages/bare.html',
  '/pages/crypto.html': 'bench/pages/crypto.html',
  '/pages/common.js': 'bench/pages/common.js',
  // BENCH_BUNDLE: serve another build of the bundle instead (to compare two builds in one session).
  '/kibitz-room.js': process.env.BENCH_BUNDLE ?? 'dist/kibitz-room.js',
  '/vendor/peerjs.min.js': 'node_modules/peerjs/dist/peerjs.min.js',
};

/** The host-command crypto is not part of the public bundle: bundle its modules for the crypto page. */
async function cryptoBundle() {
  const result = await build({
    stdin: {
      contents: [
        "export { createHostCommand, signHostCommand, verifyHostCommand, encodeHostCommand, ReplayGuard } from './src/crypto/command.ts';",
        "export { generateHostKey } from './src/crypto/host-key.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    target: 'es2022',
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

/** Start the bench server on a free port; resolves with { url, port, close() }. */
export async function startBenchServer() {
  const generated = { '/crypto-bundle.js': await cryptoBundle() };
  const broker = await startBroker({
    port: 0,
    host: '127.0.0.1',
    async onRequest(req, res) {
      const path = new URL(req.url, 'http://x').pathname;
      let body = generated[path];
      // The chunks the script-tag bundle loads on demand sit beside it.
      const file = files[path] ?? (/^\/kibitz-[\w-]+\.js$/.test(path) && !process.env.BENCH_BUNDLE ? `dist${path}` : undefined);
      try {
        if (!body && file) body = await readFile(join(root, file));
      } catch {
        body = undefined;
      }
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
        return;
      }
      res.writeHead(200, {
        'content-type': types[extname(path)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
      });
      res.end(body);
    },
  });
  const url = `http://localhost:${broker.port}/`;
  return { url, port: broker.port, close: () => broker.close() };
}
