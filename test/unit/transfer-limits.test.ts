// Files between whole rooms in memory, on a manual clock: consent before any byte, budgets
// that hold with several senders at once, and cut-offs that leave nothing behind.
import { expect } from '@open-wc/testing';
import type { Room } from '../../src/engine/room.js';
import { loadTransferIn, loadTransferOut } from '../../src/engine/content.js';
import { encodeTransferStart } from '../../src/engine/protocol.js';
import { chunkFrame } from '../support/transfer-frames.js';
import { codeOf } from '../support/error-code.js';
import { harness, joinAll, record, type Harness } from '../support/memory-room.js';

/** Count the transfer chunks `from` puts on its link to `to` (binary frames with header byte 2). */
function countChunks(from: Room, to: Room): () => number {
  const link = from.link(to.selfId)!;
  const send = link.sendContent.bind(link);
  let chunks = 0;
  link.sendContent = (frame) => {
    if (typeof frame !== 'string' && frame[0] === 2) chunks++;
    send(frame);
  };
  return () => chunks;
}

/** What `room` answers on its link to `peer` (accept / refuse frames), as `x:why`. */
function answers(room: Room, peer: Room): string[] {
  const link = room.link(peer.selfId)!;
  const send = link.sendContent.bind(link);
  const seen: string[] = [];
  link.sendContent = (frame) => {
    if (typeof frame === 'string' && /"x":"(accept|refuse)"/.test(frame)) {
      const { x, why } = JSON.parse(frame) as { x: string; why?: string };
      seen.push(why ? `${x}:${why}` : x);
    }
    send(frame);
  };
  return seen;
}

const settle = (h: Harness) => h.clock.advance(10);

describe('files between rooms in memory: consent and limits', () => {
  // The transfer code loads on first use (content.ts; transfer-lazy.test.ts tests that path).
  // Loaded here once for the page, every room takes it at once, as in a page that moved a file.
  before(() => Promise.all([loadTransferIn(), loadTransferOut()]));

  it('a rejected offer sends no byte, holds nothing, and the sender learns ERR_TRANSFER_REFUSED', async () => {
    const h = harness('files');
    const [ann, bob] = ['ann', 'bob'].map(h.make);
    await joinAll(h, ann, bob);
    const chunks = countChunks(ann, bob);
    const offers = record(bob, 'offer');
    const sending = codeOf(ann.sendFile(new Uint8Array(100_000), bob.selfId, { name: 'a.bin' }));
    await settle(h);
    expect(offers.map((o) => ({ peerId: o.peerId, name: o.name, size: o.size, to: o.to }))).to.deep.equal([
      { peerId: ann.selfId, name: 'a.bin', size: 100_000, to: bob.selfId },
    ]);
    expect(chunks(), 'nothing crosses before consent').to.equal(0);
    expect(bob.inspect().transfers).to.equal(1);
    offers[0].reject();
    expect(await sending).to.equal('ERR_TRANSFER_REFUSED');
    expect(await offers[0].settled).to.equal('declined');
    expect(chunks()).to.equal(0);
    for (const room of [ann, bob]) expect(room.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
  });

  it('an accepted offer arrives whole; an undecided one expires and the sender learns it', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { fileLimits: { offerMs: 5000 } });
    await joinAll(h, ann, bob);
    const offers = record(bob, 'offer');
    const files = record(bob, 'file');
    const payload = new Uint8Array(600_000).map((_, i) => (i * 7919) % 251);
    const first = ann.sendFile(payload, bob.selfId);
    await settle(h);
    offers[0].accept();
    await first;
    await settle(h);
    expect(files).to.have.length(1);
    expect(new Uint8Array(await files[0].data.arrayBuffer())).to.deep.equal(payload);
    const second = codeOf(ann.sendFile(payload, bob.selfId));
    await h.clock.advance(5000);
    expect(await second).to.equal('ERR_TRANSFER_REFUSED');
    expect(await offers[1].settled).to.equal('expired');
    for (const room of [ann, bob]) expect(room.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
  });

  it('a sender whose offer is never answered gives up after twice its offerMs and withdraws the offer', async () => {
    const h = harness('files');
    const ann = h.makeWith('ann', { fileLimits: { offerMs: 1000 } });
    const bob = h.makeWith('bob', { fileLimits: { offerMs: 60_000 } });
    await joinAll(h, ann, bob);
    const offers = record(bob, 'offer');
    const sending = codeOf(ann.sendFile(new Uint8Array(10), bob.selfId));
    await h.clock.advance(2000);
    expect(await sending).to.equal('ERR_TRANSFER_REFUSED');
    expect(await offers[0].settled).to.equal('withdrawn');
    expect(bob.inspect().transfers).to.equal(0);
  });

  it('a file announced over the limit is refused before anyone is asked, with ERR_TRANSFER_LIMIT on both sides', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { fileLimits: { maxFileBytes: 1000 } });
    await joinAll(h, ann, bob);
    const offers = record(bob, 'offer');
    const errors = record(bob, 'error');
    const chunks = countChunks(ann, bob);
    expect(await codeOf(ann.sendFile(new Uint8Array(1001), bob.selfId, { name: 'big.iso' }))).to.equal('ERR_TRANSFER_LIMIT');
    expect(offers).to.deep.equal([]);
    expect(chunks()).to.equal(0);
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_LIMIT']);
    expect(errors[0].message).to.contain('ann\'s file "big.iso"');
  });

  it('an endless transfer (more bytes than announced) is cut off, freed, and the sender told', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { acceptFiles: 'all' });
    await joinAll(h, ann, bob);
    const errors = record(bob, 'error');
    const said = answers(bob, ann);
    const id = '00000000000000aa';
    const fromAnn = h.endOf(bob, ann);
    fromAnn.receiveContent(encodeTransferStart(id, { name: 'endless', type: '', size: 500_000 }, true));
    await settle(h); // chunks follow the accept, as from an honest sender
    for (let i = 0; i < 100 && bob.inspect().transfers; i++) fromAnn.receiveContent(chunkFrame(id, 200_000));
    expect(bob.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
    expect(said).to.deep.equal(['accept', 'refuse:limit']);
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_LIMIT']);
    expect(errors[0].message).to.match(/cut off: it sent more than/);
    // Chunks still in flight after the cut are dropped, not buffered.
    fromAnn.receiveContent(chunkFrame(id, 200_000));
    expect(bob.inspect().transferBytes).to.equal(0);
  });

  it('a stalled transfer is aborted by the idle timeout: ERR_TRANSFER_STALLED for both, nothing left behind', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { acceptFiles: 'all' });
    await joinAll(h, ann, bob);
    const errors = record(bob, 'error');
    // A Blob whose bytes never come: the sender is stuck reading it after the receiver accepts.
    class Stuck extends Blob {
      override slice(): Blob {
        return { arrayBuffer: () => new Promise<ArrayBuffer>(() => undefined) } as Blob;
      }
    }
    const sending = codeOf(ann.sendFile(new Stuck([new Uint8Array(50_000)]), bob.selfId));
    await settle(h);
    expect(bob.inspect().transfers).to.equal(1);
    await h.clock.advance(29_000);
    expect(bob.inspect().transfers, 'not yet: 30 s by default').to.equal(1);
    await h.clock.advance(1000);
    expect(await sending).to.equal('ERR_TRANSFER_STALLED');
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_STALLED']);
    for (const room of [ann, bob]) expect(room.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
  });

  it('per-sender and total budgets hold with several senders at once, and what fits arrives whole', async () => {
    const h = harness('files');
    const KB = 1024;
    const [ann, cat] = ['ann', 'cat'].map(h.make);
    const bob = h.makeWith('bob', {
      acceptFiles: 'all',
      fileLimits: { maxFileBytes: 400 * KB, maxSenderBytes: 700 * KB, maxTotalBytes: 1000 * KB },
    });
    await joinAll(h, ann, bob, cat);
    const files = record(bob, 'file');
    const errors = record(bob, 'error');
    let peak = 0;
    bob.on('progress', () => (peak = Math.max(peak, bob.inspect().transferBytes)));
    const payload = (n: number) => new Uint8Array(300 * KB).fill(n);
    // ann: 300 + 300 fit her 700 KB; the third would make 900. cat: 300 fits the 1000 KB
    // total (900 held), a second would make 1200.
    const sends = [
      ann.sendFile(payload(1), bob.selfId),
      ann.sendFile(payload(2), bob.selfId),
      ann.sendFile(payload(3), bob.selfId),
      cat.sendFile(payload(4), bob.selfId),
      cat.sendFile(payload(5), bob.selfId),
    ].map(codeOf);
    await settle(h);
    expect(await Promise.all(sends)).to.deep.equal(['resolved', 'resolved', 'ERR_TRANSFER_LIMIT', 'resolved', 'ERR_TRANSFER_LIMIT']);
    await settle(h);
    expect(peak).to.be.at.most(1000 * KB);
    expect(files.map((f) => [f.peerId === ann.selfId ? 'ann' : 'cat', f.size])).to.have.deep.members([
      ['ann', 300 * KB],
      ['ann', 300 * KB],
      ['cat', 300 * KB],
    ]);
    expect(errors.map((e) => e.message)).to.satisfy(
      (m: string[]) => m.length === 2 && m[0].includes("one sender's") && m[1].includes('at most'),
    );
    for (const room of [ann, bob, cat]) expect(room.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
  });

  it('a text/html file arrives as application/octet-stream; an image keeps its type', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { acceptFiles: 'all' });
    await joinAll(h, ann, bob);
    const files = record(bob, 'file');
    await ann.sendFile(new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), bob.selfId, { name: 'x.html' });
    await ann.sendFile(new Blob([new Uint8Array(8)], { type: 'image/png' }), bob.selfId);
    await settle(h);
    expect(files.map((f) => [f.type, f.data.type])).to.deep.equal([
      ['application/octet-stream', 'application/octet-stream'],
      ['image/png', 'image/png'],
    ]);
  });

  it('a broadcast goes to those who accept; the promise rejects for the one who declined', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { acceptFiles: 'all' });
    const cat = h.makeWith('cat', { acceptFiles: 'none' });
    await joinAll(h, ann, bob, cat);
    const got = { bob: record(bob, 'file'), cat: record(cat, 'file') };
    const chunksToCat = countChunks(ann, cat);
    expect(await codeOf(ann.sendFile(new Uint8Array(1000)))).to.equal('ERR_TRANSFER_REFUSED');
    await settle(h);
    expect(got.bob).to.have.length(1);
    expect(got.cat).to.deep.equal([]);
    expect(chunksToCat()).to.equal(0);
  });

  it('leaving drops every offer and transfer, both ways', async () => {
    const h = harness('files');
    const [ann, bob] = ['ann', 'bob'].map(h.make);
    await joinAll(h, ann, bob);
    const offers = record(bob, 'offer');
    const sending = codeOf(ann.sendFile(new Uint8Array(10), bob.selfId));
    await settle(h);
    ann.leave();
    expect(await sending).to.equal('ERR_SEND');
    await h.clock.advance(4000);
    expect(await offers[0].settled).to.equal('withdrawn');
    for (const room of [ann, bob]) expect(room.inspect()).to.deep.include({ transfers: 0, transferBytes: 0 });
  });
});
