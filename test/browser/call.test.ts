import { expect } from '@open-wc/testing';
import { persistentCertificate } from '../../src/element/certificate.js';
import { brokerUrl, cleanup, collect, framesDecoded, ids, inFirefox, makeRoom, uniqueRoom, until } from './helpers.js';

describe('a call through the real broker', () => {
  afterEach(cleanup);

  it('three peers decode video from each other and exchange broadcast and directed messages', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('three');
    const [a, b, c] = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling, media: 'audio video' }));
    await a.join();
    await b.join();
    await c.join();
    for (const el of [a, b, c]) await until(() => el.participants.length === 3, `${el.name} sees three`);
    expect(ids(b)).to.deep.equal(ids(a));
    expect(ids(c)).to.deep.equal(ids(a));
    expect(a.coordinatorId).to.equal(a.selfId);

    for (const el of [a, b, c]) {
      for (const other of [a, b, c]) {
        if (other === el) continue;
        await until(async () => (await framesDecoded(el, other.selfId!)) > 3, `${el.name} decodes video from ${other.name}`, 30_000);
      }
    }

    // Every tile has the right stream, the coordinator's too (its tracks arrive before its id is known).
    for (const el of [a, b, c]) {
      for (const other of [a, b, c]) {
        if (other !== el)
          expect(el.getStream(other.selfId!)?.getVideoTracks().length, `${el.name} holds ${other.name}'s video`).to.equal(1);
      }
    }

    const got = { a: collect(a, 'kibitz-message'), b: collect(b, 'kibitz-message'), c: collect(c, 'kibitz-message') };
    a.send({ text: 'hello all' });
    b.send('for cat only', c.selfId!);
    await until(() => got.b.length === 1 && got.c.length === 2, 'messages to arrive');
    await new Promise((r) => setTimeout(r, 200));
    expect(got.a).to.deep.equal([]);
    expect(got.b).to.deep.equal([{ peerId: a.selfId, data: { text: 'hello all' }, to: null }]);
    expect(got.c).to.deep.include({ peerId: a.selfId, data: { text: 'hello all' }, to: null });
    expect(got.c).to.deep.include({ peerId: b.selfId, data: 'for cat only', to: c.selfId });
  });

  it('exposes each remote live DTLS fingerprint, matching what the other side holds', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('fp');
    const a = makeRoom({ room, name: 'Ann', signaling });
    const b = makeRoom({ room, name: 'Bob', signaling });
    await a.join();
    await b.join();
    await until(
      () => a.participants.some((p) => !p.self && p.fingerprint) && b.participants.some((p) => !p.self && p.fingerprint),
      'fingerprints',
    );
    const bAsSeenByA = a.participants.find((p) => p.id === b.selfId)!.fingerprint!;
    expect(bAsSeenByA).to.match(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    // Cross-check against the certificate b's links use (both elements share this page's one)…
    const held = (await persistentCertificate())!.getFingerprints()[0]?.value?.toLowerCase();
    expect(held).to.equal(bAsSeenByA);
    // …and against the certificate stats of b's own connection to a. Firefox reports no
    // certificate stats (its transport stats name no certificate), so only Chromium has these.
    const stats = await b.getStats(a.selfId!);
    let local = '';
    stats!.forEach((r) => {
      if (r.type === 'transport' && r.localCertificateId) local = String(stats!.get(r.localCertificateId).fingerprint).toLowerCase();
    });
    if (!inFirefox) expect(local).to.equal(bAsSeenByA);
  });
});
