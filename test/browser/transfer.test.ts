import { expect } from '@open-wc/testing';
import { brokerUrl, cleanup, collect, makeRoom, uniqueRoom, until } from './helpers.js';

async function digest(data: Blob | Uint8Array): Promise<string> {
  const bytes = data instanceof Blob ? await data.arrayBuffer() : data;
  return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

describe('sendFile over real data channels', () => {
  afterEach(cleanup);

  it('delivers a multi-megabyte payload whole to one peer, with progress on both sides, and to nobody else', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('file');
    const [a, b, c] = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling }));
    await a.join();
    await b.join();
    await c.join();
    for (const el of [a, b, c]) await until(() => el.participants.length === 3, 'three');
    const payload = new Uint8Array(3 * 1024 * 1024 + 12345);
    for (let i = 0; i < payload.length; i += 65536) crypto.getRandomValues(payload.subarray(i, Math.min(i + 65536, payload.length)));
    const files = { b: collect(b, 'kibitz-file'), c: collect(c, 'kibitz-file') };
    const offers = collect(b, 'kibitz-file-offer');
    b.addEventListener('kibitz-file-offer', (e) => e.detail.accept());
    const inbound = collect(b, 'kibitz-progress');
    const sent: number[] = [];
    await a.sendFile(new Blob([payload]), { to: b.selfId!, name: 'photo.raw', onProgress: (n) => sent.push(n) });
    await until(() => files.b.length === 1, 'bob receives the file', 30_000);
    const [file] = files.b;
    expect(file.peerId).to.equal(a.selfId);
    expect(file.to).to.equal(b.selfId);
    expect(file.name).to.equal('photo.raw');
    expect(file.size).to.equal(payload.length);
    expect(offers.map((o) => [o.peer.id, o.peer.name, o.name, o.size])).to.deep.equal([[a.selfId, 'Ann', 'photo.raw', payload.length]]);
    expect(await digest(file.data)).to.equal(await digest(payload));
    expect(sent.at(-1)).to.equal(payload.length);
    expect(inbound.filter((p) => p.direction === 'in').at(-1)!.bytes).to.equal(payload.length);
    await new Promise((r) => setTimeout(r, 300));
    expect(files.c).to.deep.equal([]);
  });

  it('a broadcast file reaches every other peer that accepts (by listener or by accept-files="all") and messages still flow during it', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('file all');
    const [a, b] = ['Ann', 'Bob'].map((name) => makeRoom({ room, name, signaling }));
    const c = makeRoom({ room, name: 'Cat', signaling, 'accept-files': 'all' });
    b.addEventListener('kibitz-file-offer', (e) => e.detail.accept());
    await a.join();
    await b.join();
    await c.join();
    for (const el of [a, b, c]) await until(() => el.participants.length === 3, 'three');
    const payload = crypto.getRandomValues(new Uint8Array(60_000));
    const got = { b: collect(b, 'kibitz-file'), c: collect(c, 'kibitz-file') };
    const chat = collect(c, 'kibitz-message');
    const sending = a.sendFile(payload);
    b.send('hi during the transfer');
    await sending;
    await until(() => got.b.length === 1 && got.c.length === 1 && chat.length === 1, 'both files and the chat').catch((e) => {
      throw new Error(`${e.message} b=${got.b.length} c=${got.c.length} chat=${chat.length}`);
    });
    expect(await digest(got.b[0].data)).to.equal(await digest(payload));
    expect(await digest(got.c[0].data)).to.equal(await digest(payload));
  });
});
