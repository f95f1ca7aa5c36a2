// What the script-tag bundle fetches, and when: the pre-join panel needs no file beside the
// bundle; the engine (kibitz-engine.js) and the in-call panels come when the call starts; the
// file-transfer code comes with the first file (the sending side at sendFile(), the receiving
// side with the first offer); a pointer on Join (or focus on it) fetches the engine a moment
// early; making a room fetches only the room-making code. A failed fetch of the engine is a
// clear error that loses nothing, and the next join() fetches it again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, until, uniqueRoom } from './harness.mjs';

let env;
before(async () => {
  env = await launch();
});
after(() => env?.close());

/** The chunk a request fetches, by name: `engine` for kibitz-engine.js, `<name>` for kibitz-<name>-<hash>.js. */
const chunkOf = (url) => {
  const path = new URL(url).pathname;
  return path === '/kibitz-engine.js' ? 'engine' : path.match(/^\/kibitz-(.+)-[0-9a-f]+\.js$/)?.[1];
};

/** A page on the test page whose requests for the files beside the bundle are listed by name. */
async function openCounting(attrs) {
  const context = await env.browser.newContext();
  const chunks = [];
  context.on('request', (request) => {
    const name = chunkOf(request.url());
    if (name) chunks.push(name);
  });
  const peer = await env.open(attrs, { context });
  return { peer, chunks, close: () => context.close() };
}

/** Ann and Bob on the test page, in one new room, each counting what it fetches. */
async function openPair(label) {
  const room = uniqueRoom(label);
  return [await openCounting({ room, media: '', name: 'Ann' }), await openCounting({ room, media: '', name: 'Bob' })];
}

test('the pre-join panel renders without fetching any chunk; the call fetches the engine and the panels, the first file the transfer code', async () => {
  const room = uniqueRoom('lazy');
  const ann = await openCounting({ room, media: '', name: 'Ann' });
  const bob = await openCounting({ room, media: '', name: 'Bob', 'accept-files': 'all' });
  // A headless element draws no panel, so its call fetches none.
  const cy = await openCounting({ room, media: '', name: 'Cy', headless: '' });
  try {
    for (const { peer } of [ann, bob]) {
      await peer.page.waitForFunction(() => window.room.shadowRoot?.querySelector('[part~="prejoin"] [part~="join"]'));
    }
    // Anything the pre-join state would pull in on its own has had time to ask for it.
    await ann.peer.page.waitForTimeout(500);
    assert.deepEqual(ann.chunks, [], 'chunks fetched before join()');
    assert.deepEqual(bob.chunks, [], 'chunks fetched before join()');

    await ann.peer.join();
    await bob.peer.join();
    await cy.peer.join();
    await until(async () => {
      for (const { peer } of [ann, bob, cy]) if ((await peer.ids()).length !== 3) return false;
      return true;
    }, 'all three in the call');
    await until(() => ann.chunks.includes('panels'), 'the in-call panels fetched');
    for (const { chunks } of [ann, bob, cy])
      assert.equal(chunks.filter((c) => c === 'engine').length, 1, `the engine fetched once: ${chunks}`);
    assert.ok(!ann.chunks.some((c) => c.startsWith('transfer')), `no transfer code before a file: ${ann.chunks}`);
    assert.ok(!bob.chunks.some((c) => c.startsWith('transfer')), `no transfer code before a file: ${bob.chunks}`);

    await bob.peer.eval(() => {
      window.received = new Promise((resolve) =>
        window.room.addEventListener('kibitz-file', (e) => resolve(e.detail.data.text()), { once: true }),
      );
    });
    await ann.peer.eval((to) => window.room.sendFile(new Blob(['hello from a lazy chunk']), { name: 'hello.txt', to }), bob.peer.id);
    assert.equal(await bob.peer.eval(() => window.received), 'hello from a lazy chunk');
    assert.deepEqual(
      ann.chunks.filter((c) => c.startsWith('transfer')),
      ['transfer-out'],
    );
    assert.deepEqual(
      bob.chunks.filter((c) => c.startsWith('transfer')),
      ['transfer-in'],
    );
    // The engine's own import, the room-making code (signing), is asked for beside it.
    assert.deepEqual(cy.chunks.sort(), ['engine', 'room-link'], 'chunks fetched by a headless member that was sent nothing');
  } finally {
    await ann.close();
    await bob.close();
    await cy.close();
  }
});

test('a pointer on Join, or focus on it, fetches the engine before join(); joining then fetches nothing more of it', async () => {
  const [ann, bob] = await openPair('ready');
  try {
    for (const { peer } of [ann, bob]) {
      await peer.page.waitForFunction(() => window.room.shadowRoot?.querySelector('[part~="prejoin"] [part~="join"]'));
    }
    await ann.peer.page.waitForTimeout(300);
    assert.deepEqual(ann.chunks, [], 'nothing fetched before the pointer comes');
    // Playwright's CSS selectors reach into the open shadow root.
    await ann.peer.page.hover('kibitz-room [part~="join"]');
    await until(() => ann.chunks.includes('engine'), 'the engine fetched on hover');
    await bob.peer.page.focus('kibitz-room [part~="join"]');
    await until(() => bob.chunks.includes('engine'), 'the engine fetched on focus');
    await ann.peer.join();
    await bob.peer.join();
    await until(async () => (await ann.peer.ids()).length === 2, 'both in the call');
    for (const { chunks } of [ann, bob]) assert.equal(chunks.filter((c) => c === 'engine').length, 1, `the engine fetched once: ${chunks}`);
  } finally {
    await ann.close();
    await bob.close();
  }
});

test('createRoom() fetches the room-making code and not the engine', async () => {
  const page = await openCounting({ room: uniqueRoom('make'), media: '', name: 'Ann' });
  try {
    const made = await page.peer.eval(async () => {
      const { link, guestLink } = await window.kibitz.createRoom({
        hostPassphrase: 'a long enough passphrase',
        base: location.origin + '/',
      });
      return { link, guest: window.kibitz.parseRoomLink(guestLink) };
    });
    assert.match(made.link, /#room=.+&host-key=.+&host-seal=/);
    assert.ok(made.guest['host-key'], 'the guest link commits the host key');
    assert.deepEqual(page.chunks, ['room-link']);
  } finally {
    await page.close();
  }
});

test('an engine that cannot be fetched fails the join with ERR_LOAD and loses nothing, and the next join fetches it', async () => {
  const [ann, bob] = await openPair('load');
  try {
    await ann.peer.join();
    const blocked = (route) => route.abort('connectionfailed');
    await bob.peer.context.route('**/kibitz-engine.js', blocked);
    const failed = await bob.peer.eval(() =>
      window.room.join().then(
        () => 'joined',
        (err) => ({ code: err.code, message: err.message }),
      ),
    );
    assert.equal(failed.code, 'ERR_LOAD');
    assert.match(failed.message, /kibitz-engine\.js/);
    assert.equal(await bob.peer.state(), 'failed');
    assert.deepEqual(
      (await bob.peer.events('kibitz-error')).map((e) => e.code),
      ['ERR_LOAD'],
    );
    // The page is intact: the element still renders its pre-join panel and keeps its name.
    assert.equal(await bob.peer.eval(() => window.room.name), 'Bob');

    await bob.peer.context.unroute('**/kibitz-engine.js', blocked);
    await bob.peer.join();
    await until(async () => (await ann.peer.ids()).includes(bob.peer.id), 'Bob in the call after the second join');
    assert.equal(await bob.peer.state(), 'joined');
  } finally {
    await ann.close();
    await bob.close();
  }
});
