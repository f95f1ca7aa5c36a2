// `npm test`: the checks (types of src and test, lint, format, manifest freshness), then the
// build, the browser suite (web-test-runner) and the multi-page suite (node:test +
// playwright-core); the closing line is `N passed, N failed`. Each check counts as one test;
// a failed check stops the run before the build. A build or a suite that breaks without
// reporting counts as one failure, so the closing line never says 0 failed on a failed run.
//
// Parts: `node scripts/test.mjs checks` (what `npm run check` runs), `… browser`, `… e2e`;
// `browser` and `e2e` build first but skip the checks unless `checks` is named too.
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

// eslint-disable-next-line no-control-regex -- ANSI escapes start with ESC
const stripAnsi = (s) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

const PARTS = ['checks', 'browser', 'e2e'];
const only = process.argv.slice(2);
const unknown = only.filter((part) => !PARTS.includes(part));
if (unknown.length) {
  console.log(`unknown part ${unknown.join(', ')}: name any of ${PARTS.join(', ')}, or none for all`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const wants = (part) => !only.length || only.includes(part);

/** Checks in order, each an npm script: [label, script]. */
const CHECKS = [
  ['types (src + test)', 'typecheck'],
  ['lint', 'lint'],
  ['format', 'format:check'],
  ['custom-elements.json', 'check:manifest'],
];

let passed = 0;
let failed = 0;
let broken = false;

if (wants('checks')) {
  const failures = [];
  for (const [label, script] of CHECKS) {
    console.log(`\n▶ ${label}: npm run ${script}`);
    const check = await run('npm', ['run', '--silent', script]);
    if (check.code === 0) passed++;
    else failures.push(label);
  }
  failed += failures.length;
  console.log(
    `\nchecks: ${CHECKS.length - failures.length} passed, ${failures.length} failed${failures.length ? ` (${failures.join(', ')})` : ''}`,
  );
  if (failures.length) {
    if (wants('browser') || wants('e2e')) console.log('the build and the suites did not run: fix the checks first');
    broken = true;
  }
}

if (!broken && (wants('browser') || wants('e2e'))) {
  const build = await run('npm', ['run', '--silent', 'build']);
  if (build.code !== 0) {
    console.log('build failed');
    failed++;
    broken = true;
  }
}

if (!broken && wants('browser')) {
  const wtr = await run('npx', ['--no-install', 'wtr', '--static-logging']);
  // One progress line per browser (Chromium, then Firefox): the last line of each counts.
  const byBrowser = new Map();
  for (const m of stripAnsi(wtr.out).matchAll(/^(\w+):\s*\|.*\| (\d+) passed, (\d+) failed/gm))
    byBrowser.set(m[1], [Number(m[2]), Number(m[3])]);
  const last = byBrowser.size ? [...byBrowser.values()].reduce(([p, f], [q, g]) => [p + q, f + g]) : null;
  if (last) {
    passed += last[0];
    failed += last[1];
  }
  if (!last || (wtr.code !== 0 && last[1] === 0)) {
    console.log('web-test-runner did not finish cleanly');
    failed++;
    broken = true;
  }
}

if (!broken && wants('e2e')) {
  const e2e = await run('node', ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/e2e/']);
  const text = stripAnsi(e2e.out);
  const pass = Number(text.match(/ℹ pass (\d+)/)?.[1] ?? NaN);
  const fail = Number(text.match(/ℹ fail (\d+)/)?.[1] ?? NaN);
  if (Number.isNaN(pass) || Number.isNaN(fail)) {
    console.log('node --test did not report a summary');
    failed++;
    broken = true;
  } else {
    passed += pass;
    failed += fail;
    if (e2e.code !== 0 && fail === 0) {
      console.log('node --test failed without a failing test');
      failed++;
      broken = true;
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || broken ? 1 : 0);
