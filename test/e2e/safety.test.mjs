// Trust on first confirm across a real reload: two browser profiles (one context each, so each
// has its own certificate and IndexedDB), one confirms the other's safety code, reloads the
// page, and still sees that peer verified; the other profile never confirmed anything.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, until, uniqueRoom } from './harness.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

/** What `peer` shows about participant `id`: its safety code and trust. */
const about = (peer, id) =>
  peer.eval((pid) => {
    const p = window.room.participants.find((x) => x.id === pid);
    return p ? { code: p.safetyCode, trust: p.trust } : null;
  }, id);

describe('safety codes across pages', { timeout: 120_000 }, () => {
  it('a reload keeps a confirmed peer verified, and the new link gets a new code both pages agree on', async () => {
    const room = uniqueRoom('safety');
    const ann = await env.open({ room, name: 'Ann', media: '' });
    const bob = await env.open({ room, name: 'Bob', media: '' });
    await ann.join();
    await bob.join();
    const first = await until(async () => (await about(ann, bob.id))?.code, 'ann has the code');
    await until(async () => (await about(bob, ann.id))?.code === first, 'bob shows the same code');
    assert.match(first, /^\d{3} \d{3} \d{3} \d{3} \d{3}$/);
    await ann.eval((id) => window.room.confirmSafetyCode(id, true), bob.id);
    assert.equal((await about(ann, bob.id)).trust, 'verified');

    // A real reload: the page, its element and its engine are gone; the profile stays.
    await ann.page.reload();
    await ann.page.waitForFunction(() => window.room !== undefined);
    await ann.join();
    await until(async () => (await about(ann, bob.id))?.trust === 'verified', 'bob is still verified after the reload');
    const second = await until(async () => (await about(ann, bob.id))?.code, 'a code on the new link');
    await until(async () => (await about(bob, ann.id))?.code === second, 'bob shows the same new code');
    assert.notEqual(second, first);
    assert.equal((await about(bob, ann.id)).trust, 'unverified');
    const badge = await ann.eval(
      (id) => window.room.shadowRoot.querySelector(`[data-peer="${id}"] [part~="verified"]`)?.textContent ?? null,
      bob.id,
    );
    assert.match(badge ?? '', /verified/);
  });
});
