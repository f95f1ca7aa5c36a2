// Moderation across real pages: the waiting room, the lock, and a kick that sticks across
// a reload, a new tab with a fresh peer id, and a coordinator migration.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, until } from './harness.mjs';

const PASS = 'a long and careful host passphrase';
let env;
let made;

before(async () => {
  env = await launch();
  const page = await env.browser.newPage();
  await page.goto(`${env.server.url}test-page.html`);
  await page.waitForFunction(() => window.kibitz !== undefined);
  made = await page.evaluate((pass) => window.kibitz.createRoom({ hostPassphrase: pass, base: 'https://example.test/' }), PASS);
  await page.close();
});
after(async () => {
  await env?.close();
});

const attrsOf = (room) => ({ room: room ?? made.room, 'host-key': made.hostKey, 'host-seal': made.hostSeal, media: '' });

async function hostedRoom(label) {
  const room = `${made.room}-${label}`;
  // Commands are bound to the room name, so each scenario uses a fresh room with the same key.
  const coord = await env.open({ ...attrsOf(room), name: 'Coordinator' });
  await coord.join();
  const host = await env.open({ ...attrsOf(room), name: 'Host' });
  await host.eval((pass) => window.room.claimHost(pass), PASS);
  await host.join();
  await until(async () => (await coord.eval(() => window.room.hostId)) === host.id, 'host verified by the coordinator');
  return { room, coord, host };
}

const state = (peer) => peer.state();

describe('moderation across pages', { timeout: 240_000 }, () => {
  it('waiting room: a joiner waits unrostered, the host admits one and denies another', async () => {
    const { room, coord, host } = await hostedRoom('lobby');
    await host.eval(() => window.room.setLobby(true));
    await until(async () => coord.eval(() => window.room.lobby), 'lobby on at the coordinator');

    const guest = await env.open({ ...attrsOf(room), name: 'Guest' });
    const join = guest.eval(() =>
      window.room.join().then(
        () => 'joined',
        (e) => e.code,
      ),
    );
    await until(async () => (await state(guest)) === 'waiting', 'the guest waits');
    assert.deepEqual(await guest.eval(() => window.room.participants), []);
    assert.equal(await guest.eval(() => window.room.coordinatorId), null);
    await until(async () => (await host.eval(() => window.room.knocks.length)) === 1, 'the host sees the knock');
    assert.equal((await coord.ids()).length, 2);
    const knock = await host.eval(() => window.room.knocks[0]);
    assert.equal(knock.name, 'Guest');
    assert.equal((await host.events('kibitz-knock')).length, 1);

    await host.eval((id) => window.room.admit(id), knock.id);
    assert.equal(await join, 'joined');
    await until(async () => (await guest.ids()).length === 3, 'the admitted guest is rostered');

    const other = await env.open({ ...attrsOf(room), name: 'Other' });
    const otherJoin = other.eval(() =>
      window.room.join().then(
        () => 'joined',
        (e) => e.code,
      ),
    );
    await until(async () => (await host.eval(() => window.room.knocks.length)) === 1, 'second knock');
    const second = await host.eval(() => window.room.knocks[0].id);
    await host.eval((id) => window.room.deny(id), second);
    assert.equal(await otherJoin, 'ERR_REFUSED');
    assert.equal(await state(other), 'refused');
    assert.deepEqual(
      (await other.events('kibitz-refused')).map((e) => e.reason),
      ['denied'],
    );
    assert.equal((await coord.ids()).length, 3);
    for (const p of [coord, host, guest, other]) await p.page.close();
  });

  it('lock: new joiners are refused with reason locked; the host itself still gets back in', async () => {
    const { room, coord, host } = await hostedRoom('lock');
    await host.eval(() => window.room.lock());
    await until(async () => coord.eval(() => window.room.locked), 'locked');
    const late = await env.open({ ...attrsOf(room), name: 'Late' });
    const code = await late.eval(() =>
      window.room.join().then(
        () => 'joined',
        (e) => e.code,
      ),
    );
    assert.equal(code, 'ERR_REFUSED');
    assert.equal(await state(late), 'refused');
    assert.deepEqual(
      (await late.events('kibitz-refused')).map((e) => e.reason),
      ['locked'],
    );
    assert.equal((await coord.ids()).length, 2);
    // The host reloads: its hello carries a signed claim, so the lock does not shut it out.
    await host.page.reload();
    await host.page.waitForFunction(() => window.room !== undefined);
    await host.eval((pass) => window.room.claimHost(pass), PASS);
    await host.join();
    await until(async () => (await coord.ids()).length === 2 && (await coord.eval(() => window.room.hostId)) === host.id, 'host back in');
    for (const p of [coord, host, late]) await p.page.close();
  });

  it('a kick sticks across a reload, a new tab and a coordinator migration', async () => {
    const { room, coord, host } = await hostedRoom('kick');
    const third = await env.open({ ...attrsOf(room), name: 'Third' });
    await third.join();
    const victim = await env.open({ ...attrsOf(room), name: 'Victim' });
    await victim.join();
    await until(async () => (await coord.ids()).length === 4, 'four in the room');
    // The victim checks the signed kick over its own link to the host: wait until that link is up.
    await until(
      async () => victim.eval((hostId) => window.room.participants.some((p) => p.id === hostId && p.fingerprint), host.id),
      'the victim is linked to the host',
    );

    await host.eval((id) => window.room.kick(id), victim.id);
    await until(async () => (await state(victim)) === 'kicked', 'the victim is kicked');
    const kicks = await victim.events('kibitz-kick');
    assert.equal(kicks.at(-1).self, true);
    for (const p of [coord, host, third]) {
      await until(async () => !(await p.ids()).includes(victim.id), 'every peer drops the victim');
      const leaves = await p.events('kibitz-leave');
      assert.equal(leaves.find((l) => l.peer.id === victim.id)?.reason, 'kicked');
    }

    const tryJoin = (peer) =>
      peer.eval(() =>
        window.room.join().then(
          () => 'joined',
          (e) => e.code,
        ),
      );
    // Reload: same browser profile, same certificate, a fresh peer id.
    await victim.page.reload();
    await victim.page.waitForFunction(() => window.room !== undefined);
    assert.equal(await tryJoin(victim), 'ERR_REFUSED');
    assert.deepEqual(
      (await victim.events('kibitz-refused')).map((e) => e.reason),
      ['banned'],
    );

    // A new tab in the same browser.
    const tab = await env.open({ ...attrsOf(room), name: 'Innocent' }, { context: victim.context });
    assert.equal(await tryJoin(tab), 'ERR_REFUSED');

    // The coordinator leaves; the ban is part of the replicated state the successor inherits.
    await coord.eval(() => window.room.leave());
    await until(async () => (await host.coordinator()) !== coord.id && (await host.coordinator()) !== null, 'migration');
    const newTab = await env.open({ ...attrsOf(room), name: 'Again' }, { context: victim.context });
    // Arriving while the successor takes the broker slot over, a joiner may first claim an
    // empty room of its own; it finds the live room a moment later. Either way: banned.
    await tryJoin(newTab);
    await until(async () => (await state(newTab)) === 'refused', 'the banned tab is refused by the successor');
    assert.deepEqual(
      (await newTab.events('kibitz-refused')).map((e) => e.reason),
      ['banned'],
    );
    assert.deepEqual(
      (await newTab.events('kibitz-join')).filter((j) => !j.peer.self),
      [],
    );
    // The room itself keeps working for others.
    const fresh = await env.open({ ...attrsOf(room), name: 'Fresh' });
    assert.equal(await tryJoin(fresh), 'joined');
    await until(async () => (await fresh.ids()).includes(host.id), 'the newcomer is in the room with the host');
    for (const p of [coord, host, third, victim, tab, newTab, fresh]) await p.page.close().catch(() => undefined);
  });
});
