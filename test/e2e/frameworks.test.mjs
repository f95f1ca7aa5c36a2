// The framework examples as a user builds them: each one built for production with Vite and its
// framework plugin (examples/react, examples/vue, importing `kibitz/define.js` from the built
// package), served from a local server, and opened by two people in one room over the real
// broker. What is asserted is what the framework rendered from its own state: each page lists
// the other's name only because `kibitz-join` reached the framework's handler.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'vite';
import { serveStatic } from '../support/static-server.mjs';
import { launch, uniqueRoom, until } from './harness.mjs';

let env;
let outRoot;
const servers = [];
before(async () => {
  outRoot = await mkdtemp(join(tmpdir(), 'kibitz-examples-'));
  env = await launch();
});
after(async () => {
  for (const server of servers) await server.close();
  await env?.close();
  if (outRoot) await rm(outRoot, { recursive: true, force: true });
});

/** Build examples/<name> with its own vite.config.js into a temp dir and serve it. */
async function buildAndServe(name) {
  const outDir = join(outRoot, name);
  await build({
    root: fileURLToPath(new URL(`../../examples/${name}/`, import.meta.url)),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  const server = await serveStatic(outDir);
  servers.push(server);
  return server.url;
}

/** The names the framework rendered into its participant list, and its call state. */
const rendered = (page) =>
  page.evaluate(() => ({
    people: [...document.querySelectorAll('.people li')].map((li) => li.textContent.trim()).sort(),
    state: document.querySelector('.state')?.textContent,
  }));

for (const framework of ['react', 'vue']) {
  describe(`the ${framework} example`, { timeout: 90_000 }, () => {
    it('renders a kibitz-room whose kibitz-join events reach its handler: each page lists the other', async () => {
      const url = await buildAndServe(framework);
      const room = uniqueRoom(framework);
      const pages = [];
      for (const name of ['Ada', 'Bob']) {
        const context = await env.browser.newContext();
        const page = await context.newPage();
        const query = new URLSearchParams({ room, name, signaling: env.server.url, media: '' });
        await page.goto(`${url}?${query}`);
        pages.push(page);
      }
      // Nothing but the framework's own handler fills the list, from kibitz-join's peer.
      await until(async () => (await rendered(pages[0])).people.includes('Bob'), 'Bob in Ada’s list');
      await until(async () => (await rendered(pages[1])).people.includes('Ada'), 'Ada in Bob’s list');
      assert.deepEqual(await rendered(pages[0]), { people: ['Ada (you)', 'Bob'], state: 'joined' });
      assert.deepEqual(await rendered(pages[1]), { people: ['Ada', 'Bob (you)'], state: 'joined' });
      // The framework set the room and name as the element's properties.
      const element = await pages[1].evaluate(() => {
        const call = document.querySelector('kibitz-room');
        return { room: call.room, name: call.name, ids: call.participants.length };
      });
      assert.deepEqual(element, { room, name: 'Bob', ids: 2 });

      // A leave reaches it too: Bob's list drops Ada when her page closes.
      await pages[0].context().close();
      await until(async () => !(await rendered(pages[1])).people.includes('Ada'), 'Ada gone from Bob’s list', 20_000);
      await pages[1].context().close();
    });
  });
}
