// The package as a user gets it: `npm pack` of the built repository, the tarball installed with
// its dependencies into an empty project, then what a user does with it. A TypeScript file
// importing `kibitz` and `kibitz/define.js` type-checks under strict settings (bundler and
// node16 resolution) and bundles with rollup; that bundle and the script-tag bundle from the
// installed package each run on a plain page and join one call over the real broker.
// The build is not this test's job: it packs the dist/ that `npm run build` left.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import nodeResolve from '@rollup/plugin-node-resolve';
import { rollup } from 'rollup';
import { serveStatic } from '../support/static-server.mjs';
import { launch, uniqueRoom, until } from './harness.mjs';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// Under `npm test` the environment describes the repository's own package and run; an npm
// started from here must see only the temp project.
const npmEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_(package_|lifecycle_|config_(local_prefix|prefix|global)$)/i.test(key)),
);
const npm = (args, cwd) => run('npm', args, { cwd, env: npmEnv, maxBuffer: 16 << 20 });

let work;
let project;
let tarball;
let env;
let site;
before(async () => {
  for (const built of ['dist/esm/index.js', 'dist/esm/define.js', 'dist/kibitz-room.js']) {
    await access(join(repo, built)).catch(() => assert.fail(`${built} is missing: run npm run build first`));
  }
  work = await mkdtemp(join(tmpdir(), 'kibitz-package-'));
  project = join(work, 'consumer');
});
after(async () => {
  await site?.close();
  await env?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Open `path` of the temp project's site in a fresh browser context. */
async function open(path) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await page.goto(new URL(path, site.url).href);
  return page;
}

const names = (page) =>
  page.evaluate(() =>
    document
      .querySelector('kibitz-room')
      .participants.map((p) => p.name)
      .sort(),
  );

describe('the packed package', { timeout: 150_000 }, () => {
  it('npm pack ships the builds, the agent bin, the manifest and the README, and no sources, tests or scratch files', async () => {
    const { stdout } = await npm(['pack', '--json', '--pack-destination', work], repo);
    const [packed] = JSON.parse(stdout);
    tarball = join(work, packed.filename);
    const files = packed.files.map((f) => f.path);
    const stray = files.filter((f) => !/^(dist\/|bin\/|custom-elements\.json$|package\.json$|README\.md$|LICENSE)/.test(f));
    assert.deepEqual(stray, []);
    assert.deepEqual(
      files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts')),
      [],
      'TypeScript sources',
    );
    // Every entry point the exports map names is in the tarball.
    const { exports } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));
    const targets = Object.values(exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    for (const target of targets) assert.ok(files.includes(target.replace(/^\.\//, '')), `${target} is packed`);
    // So is every file the script-tag bundle loads beside itself (the engine, and the chunks
    // the engine loads in turn), found by following the imports each file names.
    const loaded = new Set(['dist/kibitz-room.js']);
    for (const file of loaded) {
      const code = await readFile(join(repo, file), 'utf8');
      for (const m of code.matchAll(/["'`]\.\/(kibitz-[\w-]+\.js)["'`]/g)) loaded.add(`dist/${m[1]}`);
    }
    assert.ok(loaded.has('dist/kibitz-engine.js'), 'the bundle loads the engine');
    for (const file of loaded) assert.ok(files.includes(file), `${file} is packed`);
    // And nothing else beside it: no chunk of an earlier build, no node_modules folder inside the package.
    assert.deepEqual(
      files.filter((f) => /^dist\/kibitz-[\w-]+\.js$/.test(f)).sort(),
      [...loaded].sort(),
      'only the files the bundle loads',
    );
    assert.deepEqual(
      files.filter((f) => f.includes('node_modules/')),
      [],
      'no node_modules folder inside the package',
    );
  });

  it('installs from the tarball into an empty project, with its dependencies', async () => {
    assert.ok(tarball, 'packed');
    await mkdir(project);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await npm(['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
    const installed = JSON.parse(await readFile(join(project, 'node_modules/kibitz/package.json'), 'utf8'));
    const own = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));
    assert.equal(installed.version, own.version);
    for (const dep of Object.keys(own.dependencies)) await access(join(project, 'node_modules', dep, 'package.json'));
    // The agent entry loads in Node with what the install brought (node-datachannel's native binary included).
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', "const agent = await import('kibitz/agent'); console.log(Object.keys(agent).sort().join(' '))"],
      { cwd: project },
    );
    assert.match(stdout, /\bcreateAgent\b/);
  });

  it('a strict TypeScript file importing createRoom from kibitz and kibitz/define.js type-checks (bundler and node16) and bundles with rollup', async () => {
    await mkdir(join(project, 'src'));
    // The types are real, not `any`: the @ts-expect-error line must be an error.
    await writeFile(
      join(project, 'src/main.ts'),
      `import { createRoom, KibitzRoomElement, type KibitzJoinEvent } from 'kibitz';
import 'kibitz/define.js';

const call = document.querySelector('kibitz-room');
if (!call) throw new Error('no <kibitz-room> on this page');
const joined: string[] = [];
call.addEventListener('kibitz-join', (event) => {
  joined.push(event.detail.peer.name);
  document.body.dataset.joined = [...joined].sort().join(',');
});
const isSelf = (event: KibitzJoinEvent): boolean => event.detail.peer.self;
call.addEventListener('kibitz-join', isSelf);
// @ts-expect-error: state is a union of strings
export const wrong: number = call.state;

const { link, guestLink } = await createRoom({ hostPassphrase: 'a long passphrase' });
document.body.dataset.link = link;
document.body.dataset.guestLink = guestLink;
document.body.dataset.registered = String(customElements.get('kibitz-room') === KibitzRoomElement);
`,
    );
    const compilerOptions = {
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      types: [],
      strict: true,
      // The package's declarations and lit's are checked too; only TypeScript's own lib files are not.
      skipLibCheck: false,
      skipDefaultLibCheck: true,
      outDir: 'build',
    };
    const configs = {
      'tsconfig.json': { ...compilerOptions, module: 'ES2022', moduleResolution: 'bundler' },
      'tsconfig.node16.json': { ...compilerOptions, module: 'node16', moduleResolution: 'node16', noEmit: true },
    };
    for (const [file, options] of Object.entries(configs)) {
      await writeFile(join(project, file), JSON.stringify({ compilerOptions: options, include: ['src'] }));
      await run(process.execPath, [tsc, '-p', file], { cwd: project }).catch((err) =>
        assert.fail(`tsc -p ${file} failed:\n${err.stdout}${err.stderr}`),
      );
    }

    const bundle = await rollup({
      input: join(project, 'build/main.js'),
      plugins: [nodeResolve({ browser: true })],
      onwarn: () => undefined,
    });
    const { output } = await bundle.write({ dir: join(project, 'out'), format: 'es' });
    await bundle.close();
    // Everything came from the temp project: the installed package and its dependencies.
    const modules = output.flatMap((chunk) => chunk.moduleIds ?? []).filter((id) => !id.startsWith('\0'));
    assert.deepEqual(
      modules.filter((id) => !id.startsWith(project)),
      [],
    );
    assert.ok(modules.some((id) => id.includes('/node_modules/kibitz/dist/esm/define.js')));
    assert.ok(modules.some((id) => id.includes('/node_modules/lit-element/')));
  });

  describe('in Chromium, over the real broker', () => {
    let room;
    before(async () => {
      env = await launch();
      site = await serveStatic(project);
      room = uniqueRoom('package');
      const element = (name) => `<kibitz-room room="${room}" name="${name}" signaling="${env.server.url}" media="" autojoin></kibitz-room>`;
      // Plain pages: the script-tag bundle straight from the installed package…
      for (const name of ['Ada', 'Bob']) {
        await writeFile(
          join(project, `tag-${name}.html`),
          `<!doctype html>\n<script type="module" src="/node_modules/kibitz/dist/kibitz-room.js"></script>\n${element(name)}\n`,
        );
      }
      // …and the app rollup bundled from it.
      await writeFile(
        join(project, 'app-Cy.html'),
        `<!doctype html>\n${element('Cy')}\n<script type="module" src="/out/main.js"></script>\n`,
      );
    });

    it('the script-tag bundle from the tarball works on a plain page: two pages in one room see each other', async () => {
      const pages = [await open('tag-Ada.html'), await open('tag-Bob.html')];
      for (const page of pages) {
        await until(async () => (await names(page)).length === 2, 'both in the roster');
        assert.deepEqual(await names(page), ['Ada', 'Bob']);
        assert.equal(await page.evaluate(() => document.querySelector('kibitz-room').state), 'joined');
      }
    });

    it('the app bundled from the package runs: the element is registered, createRoom makes links, and it joins the call', async () => {
      const page = await open('app-Cy.html');
      await until(() => page.evaluate(() => document.body.dataset.joined === 'Ada,Bob,Cy'), 'kibitz-join for all three in the app');
      // createRoom seals a host key (600,000 PBKDF2 iterations): it may finish after the joins.
      await until(() => page.evaluate(() => document.body.dataset.link), 'the links createRoom made');
      const data = await page.evaluate(() => ({ ...document.body.dataset }));
      assert.equal(data.registered, 'true');
      assert.match(data.link, /#.*room=[0-9a-f]{32}/);
      assert.match(data.guestLink, /#.*room=[0-9a-f]{32}/);
      assert.deepEqual(await names(page), ['Ada', 'Bob', 'Cy']);
    });
  });
});
