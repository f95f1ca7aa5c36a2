// The demo: one Node process serves the page, the script-tag bundle at /kibitz-room.js and
// the PeerJS broker on the same origin, so a room's signaling default (the page's origin)
// just works. `PORT` overrides the port (default 8080).
//
// It is also an email-code issuer for the `email` admission gate (demo/issuer.mjs), with this
// server's origin as issuer URL, or `KIBITZ_PUBLIC_URL`'s origin behind a proxy (the address
// pages reach it at, e.g. https://call.example.org). `KIBITZ_SMTP_URL` (e.g. smtp://127.0.0.1:2525) is where codes
// are mailed; unset, mails are printed to this console as a development mail sink.
// `KIBITZ_MAIL_FROM` is the sender; `KIBITZ_ISSUER_KEY` a private ES256 JWK (JSON) that keeps
// tokens and `sub` valid across restarts (unset: a new key every start).
//
// `GET /ice-servers` answers `{ iceServers }` for the element's `ice-servers-url`: fresh coturn
// REST credentials (scripts/turn-credentials.mjs) when `KIBITZ_TURN_SECRET` (coturn's
// `static-auth-secret`) and `KIBITZ_TURN_URL` (comma-separated turn: URLs) are set, valid for
// `KIBITZ_TURN_TTL` seconds (default 3600); without them, an empty list.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../scripts/broker.mjs';
import { createIssuer } from './issuer.mjs';
import { iceServersHandler, turnEnv } from '../scripts/turn-credentials.mjs';

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

/** The issuer's settings from the environment. */
export function issuerEnv(env = process.env) {
  return {
    smtpUrl: env.KIBITZ_SMTP_URL || undefined,
    mailFrom: env.KIBITZ_MAIL_FROM || undefined,
    key: env.KIBITZ_ISSUER_KEY || undefined,
    publicUrl: env.KIBITZ_PUBLIC_URL || undefined,
  };
}

/** The issuer's origin: the public URL's behind a proxy, else this server's own. */
export function issuerOrigin(publicUrl, own) {
  if (!publicUrl) return own;
  let url;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new Error(`KIBITZ_PUBLIC_URL must be a URL such as https://call.example.org, got "${publicUrl}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`KIBITZ_PUBLIC_URL must be http(s), got "${publicUrl}"`);
  return url.origin;
}

/**
 * Start the demo server; resolves with its URL and a close(). `issuer` options go to
 * createIssuer (origin excepted: always this server's), over those read from the environment.
 */
export async function startServer({ port = 8080, host = '127.0.0.1', quiet = false, issuer: issuerOptions = {} } = {}) {
  // Set once the port, hence the issuer URL, is known; until then issuer paths are 404s.
  let issuer;
  const iceServers = iceServersHandler(turnEnv());
  const broker = await startBroker({
    port,
    host,
    async onRequest(req, res) {
      if (issuer && (await issuer.handle(req, res))) return;
      if (iceServers(req, res)) return;
      const path = normalize(new URL(req.url, 'http://x').pathname);
      // The bundle's lazily loaded chunks (gate code) sit beside it in dist/.
      const file = files[path] ?? (/^\/kibitz-[\w-]+\.js$/.test(path) ? `dist${path}` : undefined);
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
  const { publicUrl, ...settings } = { ...issuerEnv(), ...issuerOptions };
  let origin;
  try {
    origin = issuerOrigin(publicUrl, url.slice(0, -1));
  } catch (err) {
    await broker.close();
    throw err;
  }
  try {
    issuer = await createIssuer({ ...settings, origin });
  } catch (err) {
    await broker.close();
    throw new Error(`${settings.key ? 'KIBITZ_ISSUER_KEY: ' : ''}${err.message}`, { cause: err });
  }
  if (!quiet) {
    console.log(`Kibitz demo: ${url}`);
    console.log(
      `Kibitz issuer: key ${issuer.kid}${settings.key ? '' : ' (new at every start: set KIBITZ_ISSUER_KEY to keep one)'}, ${settings.smtpUrl ? 'codes mailed over SMTP' : 'codes printed here (development mail sink: KIBITZ_SMTP_URL is not set)'}`,
    );
  }
  return {
    url,
    port: broker.port,
    close: async () => {
      await issuer.close();
      await broker.close();
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  let server;
  try {
    server = await startServer({ port: Number(process.env.PORT ?? 8080), host: process.env.HOST ?? '127.0.0.1' });
  } catch (err) {
    console.error(`Kibitz demo did not start: ${err.message}`);
    process.exit(1);
  }
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
