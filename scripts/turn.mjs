// A real coturn on loopback for relay tests, in REST secret mode (`use-auth-secret`): it
// takes only credentials minted from its secret, unexpired. Beside it, a small HTTP endpoint
// mints them (scripts/turn-credentials.mjs) for the element's `ice-servers-url`, cross-origin
// with CORS, and answers the broken ways an endpoint can fail. Started on demand, stopped by
// its own pid.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { iceServersAnswer } from './turn-credentials.mjs';

/** A TCP port free on loopback now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startTurn({ secret = randomBytes(24).toString('base64url') } = {}) {
  const port = await freePort();
  const minPort = 49152 + Math.floor(Math.random() * 8000);
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-turn-'));
  const conf = join(dir, 'turnserver.conf');
  writeFileSync(
    conf,
    [
      'listening-ip=127.0.0.1',
      'relay-ip=127.0.0.1',
      `listening-port=${port}`,
      `min-port=${minPort}`,
      `max-port=${minPort + 200}`,
      'use-auth-secret',
      `static-auth-secret=${secret}`,
      'realm=kibitz.test',
      'fingerprint',
      'no-tls',
      'no-dtls',
      'no-cli',
      'allow-loopback-peers',
      'no-multicast-peers',
      'log-file=stdout',
      'simple-log',
      'verbose',
    ].join('\n'),
  );
  const child = spawn('turnserver', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(), 3000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.stdout.on('data', (chunk) => {
      if (/listener opened|Total General servers/i.test(String(chunk))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // What coturn says, for tests that check it refused a credential (the last 256 KiB).
  let log = '';
  child.stdout.on('data', (chunk) => void (log = (log + chunk).slice(-262144)));
  const urls = [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`];
  const endpoint = await startCredentialEndpoint({ secret, urls });
  return {
    info: { urls, port, endpoint: endpoint.url },
    requests: endpoint.requests,
    log: () => log,
    stop: async () => {
      await endpoint.close();
      await new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/**
 * The credential endpoint on its own loopback port (so cross-origin for a test page). Paths:
 * `/ice-servers` fresh credentials (username `<expiry>:kibitz`); `/expired` credentials
 * that expired an hour ago (`…:expired`); `/wrong-secret` credentials under another secret
 * (`…:forged`); `/empty` no servers; `/no-cors` fresh
 * credentials without CORS headers; `/bad-json`, `/bad-shape`, `/no-list` broken answers;
 * `/slow` never answers; anything else 404. `requests` counts the requests per path.
 */
async function startCredentialEndpoint({ secret, urls }) {
  const requests = {};
  const held = new Set();
  const server = createHttpServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests[path] = (requests[path] ?? 0) + 1;
    const cors = { 'access-control-allow-origin': req.headers.origin ?? '*', vary: 'origin' };
    const json = (body, headers = cors) =>
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
    const settings = { secret, urls, ttl: 3600, label: 'kibitz' };
    switch (path) {
      case '/ice-servers':
        return json(iceServersAnswer(settings));
      case '/short':
        // Credentials that expire in `ttl` seconds (?ttl=8): a call must refresh them before a late link needs them.
        return json(
          iceServersAnswer({ ...settings, ttl: Number(new URL(req.url, 'http://x').searchParams.get('ttl')) || 10, label: 'short' }),
        );
      case '/expired':
        return json(iceServersAnswer({ ...settings, ttl: -3600, label: 'expired' }));
      case '/wrong-secret':
        return json(iceServersAnswer({ ...settings, secret: `${secret}-not`, label: 'forged' }));
      case '/empty':
        return json(iceServersAnswer(null));
      case '/no-cors':
        return json(iceServersAnswer(settings), {});
      case '/bad-json':
        return res.writeHead(200, { 'content-type': 'application/json', ...cors }).end('{"iceServers": [');
      case '/bad-shape':
        return json({ iceServers: [{ urls: ['https://turn.example/'], username: 'u', credential: 'c' }] });
      case '/no-list':
        return json({ servers: [] });
      case '/slow':
        held.add(res);
        res.once('close', () => held.delete(res));
        return undefined;
      default:
        return res.writeHead(404, { 'content-type': 'text/plain', ...cors }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
