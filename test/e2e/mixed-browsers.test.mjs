// Mixed rooms through the real broker: Chromium and Firefox ESR pages in one call (each page
// in its own browser context, so each has its own certificate). Every pair connects and
// decodes the other's video, each side's fingerprint of the other is the certificate that
// other side holds, messages and files cross browsers, host commands are verified by peers of
// the other browser (kick, lock, waiting room), and the coordinator role moves to a Firefox
// page and back. Each mixed pair shows the same safety code at both ends, and every pair its own.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { launchFirefox } from '../support/firefox.mjs';
import { Peer, launch, until, uniqueRoom } from './harness.mjs';

const PASS = 'a long and careful host passphrase for mixed rooms';
let env;
let firefox;
let made;
const firefoxContexts = [];
/** Pages a test opened: closed after it, whether it passed or not (a failed test must not leave a call running). */
const opened = [];

before(async () => {
  env = await launch();
  firefox = await launchFirefox();
  const page = await env.browser.newPage();
  await page.goto(`${env.server.url}test-page.html`);
  await page.waitForFunction(() => window.kibitz !== undefined);
  made = await page.evaluate((pass) => window.kibitz.createRoom({ hostPassphrase: pass, base: 'https://example.test/' }), PASS);
  await page.close();
});
afterEach(async () => {
  for (const peer of opened.splice(0)) await peer.page.close().catch(() => undefined);
});
after(async () => {
  for (const context of firefoxContexts) await context.close().catch(() => undefined);
  await firefox?.close().catch(() => undefined);
  await env?.close();
});

/** A Firefox page with the test page's element, in a browser context of its own. */
async function openFirefox(attrs) {
  const context = await firefox.createBrowserContext();
  firefoxContexts.push(context);
  const page = await context.newPage();
  const query = new URLSearchParams({ signaling: env.server.url, ...attrs });
  await page.goto(`${env.server.url}test-page.html?${query}`);
  // Poll on a timer: a background tab gets no animation frames.
  await page.waitForFunction(() => window.room !== undefined, { polling: 100, timeout: 30_000 });
  const peer = new Peer(page, context);
  opened.push(peer);
  return peer;
}

/** A Chromium page with the test page's element, in a browser context of its own. */
async function openChromium(attrs) {
  const peer = await env.open(attrs);
  opened.push(peer);
  return peer;
}

/** Open a page in the named browser, join (claiming host first when asked) and tag it with its name. */
async function enter(browser, name, attrs, { host = false } = {}) {
  const peer = browser === 'firefox' ? await openFirefox({ ...attrs, name }) : await openChromium({ ...attrs, name });
  peer.name = `${name} (${browser})`;
  if (host) await peer.eval((pass) => window.room.claimHost(pass), PASS);
  await peer.join();
  return peer;
}

const hostedAttrs = (label, media = '') => ({ room: uniqueRoom(label), 'host-key': made.hostKey, 'host-seal': made.hostSeal, media });

/** The fingerprint of the certificate a page's element uses (one per browser profile, kept in IndexedDB). */
const ownFingerprint = (peer) =>
  peer.eval(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('kibitz');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('certificates').objectStore('certificates').get('dtls');
          get.onerror = () => reject(get.error);
          get.onsuccess = () => resolve(get.result.getFingerprints()[0].value.toLowerCase());
        };
      }),
  );

/** Everyone sees everyone, with a live fingerprint for each remote member. */
async function allLinked(peers) {
  const want = peers.map((p) => p.id).sort();
  for (const p of peers) {
    await until(
      async () =>
        p.eval((ids) => {
          const list = window.room.participants;
          return (
            JSON.stringify(list.map((x) => x.id).sort()) === JSON.stringify(ids) &&
            list.every((x) => x.self || /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/.test(x.fingerprint ?? ''))
          );
        }, want),
      `${p.name} sees all ${peers.length} with live fingerprints`,
      45_000,
    );
  }
}

const hostIdOf = (peer) => peer.eval(() => window.room.hostId);
/** What `peer` knows of its pair with `other`, to say why a safety code is missing. */
const safetyState = (peer, other) =>
  peer.eval((id) => {
    const p = window.room.participants.find((x) => x.id === id);
    const about = (type) => window.events.filter((e) => e.type === type && (e.detail.peer?.id ?? e.detail.peerId) === id);
    return JSON.stringify({
      listed: !!p,
      fingerprint: p?.fingerprint ?? null,
      code: p?.safetyCode ?? null,
      safety: about('kibitz-safety').map((e) => [Math.round(e.at), e.detail.code, e.detail.trust, e.detail.alarm]),
      connection: about('kibitz-connection').map((e) => [Math.round(e.at), e.detail.state]),
      joinedAt: Math.round(about('kibitz-join')[0]?.at ?? -1),
      now: Math.round(performance.now()),
    });
  }, other);
const received = (peer) => peer.events('kibitz-message');
const leaveReason = async (peer, id) => (await peer.events('kibitz-leave')).find((l) => l.peer.id === id)?.reason;
const tryJoin = (peer) =>
  peer.eval(() =>
    window.room.join().then(
      () => 'joined',
      (e) => e.code,
    ),
  );

/** Record every kibitz-file a page receives, with the SHA-256 of its bytes. */
const recordFiles = (peer) =>
  peer.eval(() => {
    window.files = [];
    window.room.addEventListener('kibitz-file', async (e) => {
      const { peerId, to, name, size, data } = e.detail;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await data.arrayBuffer()));
      window.files.push({
        peerId,
        to,
        name,
        size,
        bytes: data.size,
        sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
      });
    });
  });

/** Send `size` random bytes as a file (to one peer or everyone); resolves with their SHA-256. */
const sendFile = (peer, { size, to = undefined, name }) =>
  peer.eval(
    async ({ size, to, name }) => {
      const bytes = new Uint8Array(size);
      for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)));
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      await window.room.sendFile(bytes, { to, name });
      return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    },
    { size, to, name },
  );

describe('mixed rooms: Chromium and Firefox ESR in one call', { timeout: 300_000 }, () => {
  it('a Chromium host, two Firefox guests and a Chromium guest: every pair connects, fingerprints are the certificates each side holds, video is decoded at every end', async () => {
    const attrs = hostedAttrs('mixed-call', 'audio video');
    const host = await enter('chromium', 'Host', attrs, { host: true });
    const fern = await enter('firefox', 'Fern', attrs);
    const fox = await enter('firefox', 'Fox', attrs);
    const chris = await enter('chromium', 'Chris', attrs);
    const peers = [host, fern, fox, chris];
    await allLinked(peers);

    // Each side's view of the other is the certificate the other side holds, in both directions
    // of every mixed pair (Firefox reads it from the DTLS transport as Chromium does).
    const own = new Map();
    for (const p of peers) own.set(p.id, await ownFingerprint(p));
    assert.equal(new Set(own.values()).size, peers.length, 'one certificate per browser context');
    for (const p of peers) {
      const seen = await p.eval(() => window.room.participants.filter((x) => !x.self).map((x) => [x.id, x.fingerprint]));
      for (const [id, fingerprint] of seen) assert.equal(fingerprint, own.get(id), `${p.name}'s fingerprint of ${id}`);
    }
    // The host's signed claim, bound to its live fingerprint, is verified by every peer.
    for (const p of peers) await until(async () => (await hostIdOf(p)) === host.id, `${p.name} verified the host`);

    // The safety code of every pair is the same at both ends, across browsers, and each pair has its own.
    const codeOf = (p, id) => p.eval((other) => window.room.participants.find((x) => x.id === other)?.safetyCode ?? null, id);
    const codes = new Map();
    for (const [i, a] of peers.entries()) {
      for (const b of peers.slice(i + 1)) {
        await until(
          async () => (await codeOf(a, b.id)) !== null && (await codeOf(b, a.id)) !== null,
          `${a.name} and ${b.name} have a code`,
        ).catch(async (err) => {
          err.message += `\n${a.name}: ${await safetyState(a, b.id)}\n${b.name}: ${await safetyState(b, a.id)}`;
          throw err;
        });
        const [ab, ba] = [await codeOf(a, b.id), await codeOf(b, a.id)];
        assert.equal(ab, ba, `${a.name} and ${b.name} read the same code`);
        assert.match(ab, /^\d{3}( \d{3}){4}$/);
        codes.set(`${a.name}|${b.name}`, ab);
      }
    }
    assert.equal(new Set(codes.values()).size, codes.size, 'every pair has its own code');

    // Video decoded at every end: inbound framesDecoded rises on each side of each pair.
    const pairs = peers.flatMap((to) => peers.filter((from) => from !== to).map((from) => ({ from, to })));
    const start = await Promise.all(pairs.map(({ from, to }) => to.framesFrom(from.id)));
    for (const [i, { from, to }] of pairs.entries()) {
      await until(async () => (await to.framesFrom(from.id)) > start[i] + 5, `video ${from.name} -> ${to.name} decoded`, 45_000);
    }
  });

  it('in a data-only mixed room, broadcast and directed messages and files cross browsers', async () => {
    // Receivers take every file within the limits, without the prompt.
    const attrs = { ...hostedAttrs('mixed-data'), 'accept-files': 'all' };
    const host = await enter('chromium', 'Host', attrs, { host: true });
    const fern = await enter('firefox', 'Fern', attrs);
    const fox = await enter('firefox', 'Fox', attrs);
    const chris = await enter('chromium', 'Chris', attrs);
    const peers = [host, fern, fox, chris];
    await allLinked(peers);

    // Broadcast and directed messages across browsers.
    for (const p of peers) await p.eval((text) => window.room.send({ text }), `hello from ${p.name}`);
    const directed = [
      [fern, chris],
      [chris, fox],
      [fox, fern],
      [host, fox],
      [fern, host],
    ];
    for (const [from, to] of directed) await from.eval(([id, text]) => window.room.send(text, id), [to.id, `${from.name} to ${to.name}`]);
    for (const p of peers) {
      await until(async () => {
        const got = await received(p);
        const broadcasts = peers
          .filter((q) => q !== p)
          .every((q) => got.some((m) => m.peerId === q.id && m.to === null && m.data?.text === `hello from ${q.name}`));
        const mine = directed
          .filter(([, to]) => to === p)
          .every(([from]) => got.some((m) => m.peerId === from.id && m.to === p.id && m.data === `${from.name} to ${p.name}`));
        return broadcasts && mine;
      }, `${p.name} got every broadcast and the messages meant for it`);
      const got = await received(p);
      assert.equal(got.filter((m) => m.to !== null && m.to !== p.id).length, 0, `${p.name} got nobody else's directed message`);
      assert.equal(got.length, peers.length - 1 + directed.filter(([, to]) => to === p).length, `${p.name}: each message exactly once`);
    }

    // Files: Firefox to Chromium (directed), Chromium to everyone, Firefox to Firefox (directed).
    for (const p of peers) await recordFiles(p);
    const sent = [
      { from: fern, to: chris, size: 1024 * 1024 + 17, name: 'fern-to-chris.bin' },
      { from: chris, to: null, size: 512 * 1024 + 5, name: 'chris-to-all.bin' },
      { from: fox, to: fern, size: 768 * 1024 + 3, name: 'fox-to-fern.bin' },
    ];
    for (const file of sent) file.sha256 = await sendFile(file.from, { size: file.size, to: file.to?.id, name: file.name });
    for (const p of peers) {
      const meant = sent.filter((f) => f.from !== p && (f.to === null || f.to === p));
      await until(async () => (await p.eval(() => window.files.length)) >= meant.length, `${p.name} got ${meant.length} file(s)`, 90_000);
      const files = await p.eval(() => window.files);
      assert.equal(files.length, meant.length, `${p.name}: only the files meant for it`);
      for (const f of meant) {
        const got = files.find((x) => x.name === f.name);
        assert.ok(got, `${p.name} got ${f.name}`);
        assert.deepEqual(got, { peerId: f.from.id, to: f.to ? p.id : null, name: f.name, size: f.size, bytes: f.size, sha256: f.sha256 });
      }
    }
  });

  it("a Chromium host's waiting room, lock and kicks are verified by Firefox peers", async () => {
    const attrs = hostedAttrs('mixed-host');
    const host = await enter('chromium', 'Host', attrs, { host: true });
    const fern = await enter('firefox', 'Fern', attrs);
    const fox = await enter('firefox', 'Fox', attrs);
    const chris = await enter('chromium', 'Chris', attrs);
    const peers = [host, fern, fox, chris];
    await allLinked(peers);
    for (const p of peers) await until(async () => (await hostIdOf(p)) === host.id, `${p.name} verified the host`);
    const others = [fern, fox, chris];

    // Waiting room: every peer applies the signed command; a Firefox joiner waits, the host admits it.
    await host.eval(() => window.room.setLobby(true));
    for (const p of others) await until(() => p.eval(() => window.room.lobby), `${p.name} sees the waiting room on`);
    const knocker = await openFirefox({ ...attrs, name: 'Knocker' });
    knocker.name = 'Knocker (firefox)';
    const knocking = tryJoin(knocker);
    await until(async () => (await knocker.state()) === 'waiting', 'the Firefox joiner waits');
    await until(async () => (await host.eval(() => window.room.knocks.length)) === 1, 'the host sees the knock');
    const knock = await host.eval(() => window.room.knocks[0]);
    assert.equal(knock.name, 'Knocker');
    await host.eval((id) => window.room.admit(id), knock.id);
    assert.equal(await knocking, 'joined');
    knocker.id = await knocker.eval(() => window.room.selfId);
    await until(async () => (await fern.ids()).includes(knocker.id), 'Fern sees the admitted guest');
    await host.eval(() => window.room.setLobby(false));
    for (const p of others) await until(async () => !(await p.eval(() => window.room.lobby)), `${p.name} sees the waiting room off`);

    // Lock: applied by the Firefox peers; a late Firefox joiner is refused.
    await host.eval(() => window.room.lock());
    for (const p of others) await until(() => p.eval(() => window.room.locked), `${p.name} sees the lock`);
    const late = await openFirefox({ ...attrs, name: 'Late' });
    assert.equal(await tryJoin(late), 'ERR_REFUSED');
    assert.deepEqual(
      (await late.events('kibitz-refused')).map((e) => e.reason),
      ['locked'],
    );
    await host.eval(() => window.room.unlock());
    for (const p of others) await until(async () => !(await p.eval(() => window.room.locked)), `${p.name} sees the unlock`);

    // Kick a Firefox peer: it checks the command against its own link to the Chromium host.
    await host.eval((id) => window.room.kick(id), fox.id);
    await until(async () => (await fox.state()) === 'kicked', 'the Firefox peer obeys the kick');
    assert.equal((await fox.events('kibitz-kick')).at(-1).self, true);
    for (const p of [host, fern, chris, knocker]) {
      await until(async () => (await leaveReason(p, fox.id)) === 'kicked', `${p.name} drops Fox as kicked`);
    }
    // Kick a Chromium peer: the Firefox peers verify the command and drop it.
    await host.eval((id) => window.room.kick(id), chris.id);
    await until(async () => (await chris.state()) === 'kicked', 'the Chromium peer obeys the kick');
    for (const p of [fern, knocker])
      await until(async () => (await leaveReason(p, chris.id)) === 'kicked', `${p.name} drops Chris as kicked`);
    assert.deepEqual((await fern.ids()).sort(), [host.id, fern.id, knocker.id].sort());
  });

  it("a Firefox host's lock and kick are verified by Chromium peers", async () => {
    const attrs = hostedAttrs('mixed-firefox-host');
    const host = await enter('firefox', 'Host', attrs, { host: true });
    const chris = await enter('chromium', 'Chris', attrs);
    const cody = await enter('chromium', 'Cody', attrs);
    const peers = [host, chris, cody];
    await allLinked(peers);
    for (const p of peers) await until(async () => (await hostIdOf(p)) === host.id, `${p.name} verified the Firefox host`);

    await host.eval(() => window.room.lock());
    for (const p of [chris, cody]) await until(() => p.eval(() => window.room.locked), `${p.name} sees the lock`);
    await host.eval(() => window.room.unlock());
    for (const p of [chris, cody]) await until(async () => !(await p.eval(() => window.room.locked)), `${p.name} sees the unlock`);

    await host.eval((id) => window.room.kick(id), cody.id);
    await until(async () => (await cody.state()) === 'kicked', 'the Chromium peer obeys the Firefox host');
    await until(async () => (await leaveReason(chris, cody.id)) === 'kicked', 'Chris drops Cody as kicked');
  });

  it('the coordinator role migrates from Chromium to a Firefox peer, which admits a newcomer and enforces the lock, and back to Chromium', async () => {
    const attrs = hostedAttrs('mixed-migrate');
    // Join order decides the successor: Chris (Chromium) coordinates, then Fern (Firefox), then the host.
    const chris = await enter('chromium', 'Chris', attrs);
    const fern = await enter('firefox', 'Fern', attrs);
    const host = await enter('chromium', 'Host', attrs, { host: true });
    const fox = await enter('firefox', 'Fox', attrs);
    await allLinked([chris, fern, host, fox]);
    for (const p of [fern, host, fox]) assert.equal(await p.coordinator(), chris.id);

    const talk = async (peers, tag) => {
      for (const p of peers) await p.eval((text) => window.room.send(text), `${tag} from ${p.name}`);
      for (const p of peers) {
        await until(async () => {
          const got = await received(p);
          return peers.filter((q) => q !== p).every((q) => got.some((m) => m.peerId === q.id && m.data === `${tag} from ${q.name}`));
        }, `${p.name} hears everyone (${tag})`);
      }
    };

    // To Firefox: the Chromium coordinator leaves.
    await chris.eval(() => window.room.leave());
    const survivors = [fern, host, fox];
    for (const p of survivors)
      await until(async () => (await p.coordinator()) === fern.id, `${p.name} follows Fern, the Firefox coordinator`);
    for (const p of survivors) assert.deepEqual((await p.ids()).sort(), survivors.map((q) => q.id).sort());
    // The Firefox coordinator runs the gate and relays the handshakes of a Chromium newcomer.
    const cody = await enter('chromium', 'Cody', attrs);
    assert.equal(await cody.coordinator(), fern.id);
    const four = [...survivors, cody];
    await allLinked(four);
    await talk(four, 'under Fern');
    // It enforces the host's lock for a Chromium joiner.
    await host.eval(() => window.room.lock());
    await until(() => fern.eval(() => window.room.locked), 'the Firefox coordinator sees the lock');
    const late = await openChromium({ ...attrs, name: 'Late' });
    assert.equal(await tryJoin(late), 'ERR_REFUSED');
    assert.deepEqual(
      (await late.events('kibitz-refused')).map((e) => e.reason),
      ['locked'],
    );
    await host.eval(() => window.room.unlock());
    await until(async () => !(await fern.eval(() => window.room.locked)), 'the Firefox coordinator sees the unlock');

    // Back to Chromium: the Firefox coordinator's page closes without a goodbye.
    await fern.page.close();
    const rest = [host, fox, cody];
    for (const p of rest)
      await until(async () => (await p.coordinator()) === host.id, `${p.name} follows the host, coordinating in Chromium`, 45_000);
    for (const p of rest)
      await until(
        async () =>
          (await p.ids()).sort().join() ===
          rest
            .map((q) => q.id)
            .sort()
            .join(),
        `${p.name} dropped Fern`,
      );
    const fay = await enter('firefox', 'Fay', attrs);
    assert.equal(await fay.coordinator(), host.id);
    await allLinked([...rest, fay]);
    await talk([...rest, fay], 'under the host');
  });
});
