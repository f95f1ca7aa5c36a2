// Fails when the committed custom-elements.json is not what the analyzer makes from the
// element's sources today: generates a fresh manifest in a temporary directory and compares.
// `npm run analyze` rewrites the committed file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cem = join(dirname(createRequire(import.meta.url).resolve('@custom-elements-manifest/analyzer/package.json')), 'cem.js');
const scratch = mkdtempSync(join(tmpdir(), 'kibitz-manifest-'));

function check() {
  // The analyzer joins --outdir onto the working directory, so it gets a relative path.
  const made = spawnSync(process.execPath, [cem, 'analyze', '--quiet', '--outdir', relative(root, scratch)], {
    cwd: root,
    encoding: 'utf8',
  });
  if (made.status !== 0) {
    process.stdout.write(made.stdout + made.stderr);
    console.log('custom-elements.json check: the analyzer failed');
    return false;
  }
  const fresh = readFileSync(join(scratch, 'custom-elements.json'), 'utf8');
  const committed = readFileSync(join(root, 'custom-elements.json'), 'utf8').replace(/\r\n/g, '\n');
  if (fresh === committed) {
    console.log('custom-elements.json is up to date');
    return true;
  }
  const a = committed.split('\n');
  const b = fresh.split('\n');
  let line = 0;
  while (line < a.length && a[line] === b[line]) line++;
  console.log('custom-elements.json is stale: run npm run analyze');
  console.log(`  first difference at line ${line + 1}`);
  console.log(`  committed: ${a[line]?.trim() ?? '(end of file)'}`);
  console.log(`  generated: ${b[line]?.trim() ?? '(end of file)'}`);
  return false;
}

let ok = false;
try {
  ok = check();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
