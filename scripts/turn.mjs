// A real coturn on loopback for relay tests. Started on demand, stopped by its own pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startTurn({ username = 'kibitz', credential = 'kibitz-test' } = {}) {
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
      'lt-cred-mech',
      `user=${username}:${credential}`,
      'realm=kibitz.test',
      'fingerprint',
      'no-tls',
      'no-dtls',
      'no-cli',
      'allow-loopback-peers',
      'no-multicast-peers',
      'log-file=stdout',
      'simple-log',
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
  return {
    info: { urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`], username, credential, port },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
