// `npm run cluster`: the whole broker tier on this machine, as docs/deploy.md runs it in
// production: nginx (deploy/nginx/kibitz.conf) on a high port with a self-signed certificate
// made at start, three PeerJS brokers (deploy/broker.mjs), coturn in REST-secret mode
// (deploy/coturn/turnserver.conf) and the site (demo/server.mjs: page, issuer, /ice-servers).
// It prints the URL; Ctrl-C stops everything it started. The tier test and bench/tier.mjs
// start it through startCluster().
//
//   npm run cluster                 (KIBITZ_CLUSTER_PORT, default 8788; KIBITZ_CLUSTER_BROKERS, default 3)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { freePort } from './turn.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
export const NGINX = process.env.NGINX_PATH || '/usr/sbin/nginx';

/** Replace `pattern` in `text`, insisting it was there: the deploy file and this script must not drift apart. */
function swap(text, pattern, replacement) {
  if (!pattern.test(text)) throw new Error(`deploy file lacks ${pattern}`);
  return text.replace(pattern, replacement);
}

/** deploy/nginx/kibitz.conf with local ports, certificate and paths, wrapped in a whole nginx.conf. */
export function localNginxConf({ dir, port, brokerPorts, sitePort, workers = 1, connections = 4096 }) {
  let site = readFileSync(join(root, 'deploy/nginx/kibitz.conf'), 'utf8');
  site = swap(
    site,
    /(\n\s*server 127\.0\.0\.1:\d+ max_fails[^\n]*)+/,
    brokerPorts.map((p) => `\n    server 127.0.0.1:${p} ${site.match(/server 127\.0\.0\.1:\d+ (max_fails[^;\n]*);/)[1]};`).join(''),
  );
  site = swap(site, /server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${sitePort};`);
  // The plain-HTTP redirect server is not needed locally.
  site = swap(site, /server \{\n\s+listen 80;[\s\S]*?\n\}\n/, '');
  site = swap(site, /listen 443 ssl;\n\s+listen \[::\]:443 ssl;/, `listen 127.0.0.1:${port} ssl;`);
  site = swap(site, /server_name kibitz\.example\.org;/, 'server_name localhost;');
  site = swap(site, /ssl_certificate \S+;/, `ssl_certificate ${dir}/cert.pem;`);
  site = swap(site, /ssl_certificate_key \S+;/, `ssl_certificate_key ${dir}/key.pem;`);
  site = swap(site, /access_log \S+ kibitz;/, `access_log ${dir}/access.log kibitz;`);
  site = swap(site, /error_log \S+ warn;/, `error_log ${dir}/error.log warn;`);
  return [
    `worker_processes ${workers};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log warn;`,
    'worker_rlimit_nofile 65536;',
    `events { worker_connections ${connections}; }`,
    'http {',
    `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;`,
    `  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
    site,
    '}',
    '',
  ].join('\n');
}

/** deploy/coturn/turnserver.conf for loopback: local ports, no TLS, loopback peers allowed (everything runs on 127.0.0.1 here). */
export function localTurnConf({ port, minPort, secret }) {
  const dropped =
    /^(listening-port|tls-listening-port|min-port|max-port|static-auth-secret|realm|cert|pkey|no-loopback-peers|denied-peer-ip|log-file|external-ip)\b/;
  const lines = readFileSync(join(root, 'deploy/coturn/turnserver.conf'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#') && !dropped.test(line));
  if (!lines.includes('use-auth-secret')) throw new Error('deploy/coturn/turnserver.conf lacks use-auth-secret');
  return [
    ...lines,
    'listening-ip=127.0.0.1',
    'relay-ip=127.0.0.1',
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 200}`,
    `static-auth-secret=${secret}`,
    'realm=kibitz.local',
    'no-tls',
    'no-dtls',
    'allow-loopback-peers',
    'log-file=stdout',
    '',
  ].join('\n');
}

/** Spawn a child and resolve once `ready` matches its output (stdout or stderr). */
function startChild(cmd, args, { ready, env = {}, what, timeoutMs = 10_000 }) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${timeoutMs} ms: ${out.slice(-2000)}`)), timeoutMs);
    const fail = (err) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}: ${out.slice(-2000)}`)));
    const take = (chunk) => {
      out = (out + chunk).slice(-65536);
      if (ready.test(out)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout.removeAllListeners('data');
        child.stderr.removeAllListeners('data');
        // Keep draining, or a chatty child blocks on a full pipe.
        child.stdout.resume();
        child.stderr.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
  });
}

function stopChild(child, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * Start the tier. Resolves with `{ url, brokers, turn, stop() }`; each broker has `port`,
 * `pid`, `stats()` (its /stats JSON), `kill()` (SIGKILL: a crash) and `start()` (again, same port).
 */
export async function startCluster({ port, brokers: brokerCount = 3, workers = 1, connections = 4096, quiet = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-cluster-'));
  const started = [];
  const brokers = [];
  let nginx;
  let turn;
  let site;
  const stop = async () => {
    await stopChild(nginx, 'SIGQUIT');
    await Promise.all([stopChild(site), stopChild(turn), ...brokers.map((b) => stopChild(b.child))]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    port ??= await freePort();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
      ].concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    );

    for (let i = 0; i < brokerCount; i++) {
      const broker = {
        port: await freePort(),
        child: null,
        get pid() {
          return this.child?.pid;
        },
        async start() {
          this.child = await startChild('node', ['deploy/broker.mjs', String(this.port)], { ready: /Kibitz broker:/, what: `broker ${i}` });
          started.push(this.child);
        },
        kill() {
          return stopChild(this.child, 'SIGKILL');
        },
        stop() {
          return stopChild(this.child);
        },
        async stats() {
          const res = await fetch(`http://127.0.0.1:${this.port}/stats`);
          return res.json();
        },
      };
      brokers.push(broker);
    }
    await Promise.all(brokers.map((b) => b.start()));

    const secret = randomBytes(24).toString('base64url');
    const turnPort = await freePort();
    const minPort = 50000 + Math.floor(Math.random() * 10000);
    writeFileSync(join(dir, 'turnserver.conf'), localTurnConf({ port: turnPort, minPort, secret }));
    turn = await startChild('turnserver', ['-c', join(dir, 'turnserver.conf')], {
      ready: /Total General servers|listener opened/i,
      what: 'coturn',
    });
    const turnUrls = [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`];

    const sitePort = await freePort();
    site = await startChild('node', ['demo/server.mjs'], {
      ready: /Kibitz demo: /,
      what: 'the site',
      env: { PORT: String(sitePort), HOST: '127.0.0.1', KIBITZ_TURN_SECRET: secret, KIBITZ_TURN_URL: turnUrls.join(',') },
    });

    writeFileSync(
      join(dir, 'nginx.conf'),
      localNginxConf({ dir, port, brokerPorts: brokers.map((b) => b.port), sitePort, workers, connections }),
    );
    execFileSync(NGINX, ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'pipe' });
    nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const url = `https://localhost:${port}/`;
    // Ready once it answers (through to the site).
    for (let tries = 0; ; tries++) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      const ok = await new Promise((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (ok) break;
      if (tries > 100) throw new Error('nginx did not listen');
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!quiet)
      console.log(
        `nginx pid ${nginx.pid}, brokers ${brokers.map((b) => `${b.port} (pid ${b.pid})`).join(', ')}, coturn pid ${turn.pid}, site pid ${site.pid}`,
      );
    return {
      url,
      port,
      dir,
      brokers,
      turn: { urls: turnUrls, secret, pid: turn.pid },
      site: { port: sitePort, pid: site.pid },
      nginx: { pid: nginx.pid },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  let cluster;
  try {
    cluster = await startCluster({
      port: Number(process.env.KIBITZ_CLUSTER_PORT ?? 8788),
      brokers: Number(process.env.KIBITZ_CLUSTER_BROKERS ?? 3),
      quiet: false,
    });
  } catch (err) {
    console.error(`The Kibitz tier did not start: ${err.message}`);
    process.exit(1);
  }
  console.log(`Kibitz tier: ${cluster.url} (self-signed certificate: the browser will ask once)`);
  console.log(`Broker stats: ${cluster.brokers.map((b) => `http://127.0.0.1:${b.port}/stats`).join('  ')}`);
  console.log('Ctrl-C stops it all.');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
