// `npm test`: build, run the browser suite (web-test-runner) and the multi-page suite
// (node:test + playwright-core), then print one closing line `N passed, N failed`.
import { spawn } from 'node:child_process';

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    const take = (chunk) => {
      out += chunk;
      process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
const only = process.argv.slice(2);

let passed = 0;
let failed = 0;
let broken = false;

const build = await run('npm', ['run', '--silent', 'build']);
if (build.code !== 0) {
  console.log('build failed');
  broken = true;
}

if (!broken && (!only.length || only.includes('browser'))) {
  const wtr = await run('npx', ['--no-install', 'wtr', '--static-logging']);
  const lines = stripAnsi(wtr.out).match(/(\d+) passed, (\d+) failed/g) ?? [];
  const last = lines.at(-1)?.match(/(\d+) passed, (\d+) failed/);
  if (last) {
    passed += Number(last[1]);
    failed += Number(last[2]);
  }
  if (!last || (wtr.code !== 0 && Number(last?.[2] ?? 0) === 0)) {
    console.log('web-test-runner did not finish cleanly');
    broken = true;
  }
}

if (!broken && (!only.length || only.includes('e2e'))) {
  const e2e = await run('node', ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/e2e/']);
  const text = stripAnsi(e2e.out);
  const pass = Number(text.match(/ℹ pass (\d+)/)?.[1] ?? NaN);
  const fail = Number(text.match(/ℹ fail (\d+)/)?.[1] ?? NaN);
  if (Number.isNaN(pass) || Number.isNaN(fail)) {
    console.log('node --test did not report a summary');
    broken = true;
  } else {
    passed += pass;
    failed += fail;
    if (e2e.code !== 0 && fail === 0) broken = true;
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
