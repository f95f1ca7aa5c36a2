// Installs what `npm start`, `npm test` and `npm run bench` need on a fresh machine:
// node_modules from the lockfile, and (with --browser) Debian's Chromium, Firefox ESR,
// coturn and nginx. It never downloads a browser build of its own.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const wantBrowser = process.argv.includes('--browser');
const run = (cmd) =>
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });

// A checkout pulled after a dependency was added has node_modules but lacks that package.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
if (!existsSync('node_modules/.package-lock.json') || declared.some((name) => !existsSync(`node_modules/${name}/package.json`))) {
  run(existsSync('package-lock.json') ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund');
}

if (wantBrowser) {
  const missing = [];
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (!existsSync('/usr/bin/firefox-esr')) missing.push('firefox-esr');
  if (!existsSync('/usr/bin/turnserver')) missing.push('coturn');
  // The broker tier (npm run cluster, its test and bench:tier) runs Debian's nginx in front of the brokers.
  if (!existsSync('/usr/sbin/nginx')) missing.push('nginx');
  if (missing.length) {
    const sudo = process.getuid && process.getuid() !== 0 ? 'sudo ' : '';
    console.log(`Installing ${missing.join(' ')} from Debian packages…`);
    run(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`);
  }
}
