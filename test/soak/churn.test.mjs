// `npm run soak`: long, bounded runs kept out of npm test. Each browser soak runs in
// web-test-runner (real Chromium, real broker) and stops by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

function wtr(files) {
  return new Promise((resolve) => {
    const args = ['--no-install', 'wtr', '--static-logging', '--config', 'test/soak/wtr.config.mjs', '--files', files];
    const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('300 join/leave cycles of one peer leak no connection, channel, socket, timer or listener', { timeout: 1_800_000 }, async () => {
  const { code, out } = await wtr('test/soak/churn.browser.ts');
  // eslint-disable-next-line no-control-regex
  const text = out.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  assert.match(text, /1 passed, 0 failed/, text.slice(-3000));
  assert.equal(code, 0);
});
