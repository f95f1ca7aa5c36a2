// What the script-tag bundle fetches, and when: the pre-join panel needs no chunk beside the
// bundle; the in-call panels come when the call starts; the file-transfer code comes with the
// first file (the sending side at sendFile(), the receiving side with the first offer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, until, uniqueRoom } from './harness.mjs';

let env;
before(async () => {
  env = await launch();
});
after(() => env?.close());

/** A page on the test page whose requests for the bundle's chunks (`kibitz-<name>-<hash>.js`) are listed by name. */
async function openCounting(attrs) {
  const context = await env.browser.newContext();
  const chunks = [];
  context.on('request', (request) => {
    const name = new URL(request.url()).pathname.match(/^\/kibitz-(.+)-[0-9a-f]+\.js$/)?.[1];
    if (name) chunks.push(name);
  });
  const peer = await env.open(attrs, { context });
  return { peer, chunks, close: () => context.close() };
}

test('the pre-join panel renders without fetching any chunk; the call fetches the panels, the first file the transfer code', async () => {
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
    assert.deepEqual(cy.chunks, [], 'chunks fetched by a headless member that was sent nothing');
  } finally {
    await ann.close();
    await bob.close();
    await cy.close();
  }
});
