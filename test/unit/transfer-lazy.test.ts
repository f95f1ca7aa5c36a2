// The file-transfer code loads on first use (content.ts): what arrives before it is here waits
// in order, within a bound. Nothing in this file loads that code up front, so the first
// transfer frame of the page is the one that starts the load.
import { expect } from '@open-wc/testing';
import type { Room } from '../../src/engine/room.js';
import { encodeTransferStart } from '../../src/engine/protocol.js';
import { chunkFrame } from '../support/transfer-frames.js';
import { harness, joinAll } from '../support/memory-room.js';

/** What `room` answers on its link to `peer` (accept / refuse frames), by transfer id. */
function answers(room: Room, peer: Room): string[] {
  const link = room.link(peer.selfId)!;
  const send = link.sendContent.bind(link);
  const seen: string[] = [];
  link.sendContent = (frame) => {
    if (typeof frame === 'string' && /"x":"(accept|refuse)"/.test(frame)) {
      const { x, id } = JSON.parse(frame) as { x: string; id: string };
      seen.push(`${x} ${id}`);
    }
    send(frame);
  };
  return seen;
}

describe('file-transfer code loaded on first use', () => {
  it('offers that arrive before the receiving code are held and answered in order once it is here; a flood meanwhile is dropped', async () => {
    const h = harness('files');
    const ann = h.make('ann');
    const bob = h.makeWith('bob', { acceptFiles: 'all' });
    const cy = h.make('cy');
    await joinAll(h, ann, bob, cy);
    const said = answers(bob, ann);
    const fromAnn = h.endOf(bob, ann);
    const toCy = h.endOf(cy, ann);
    const malformedBefore = cy.dropped.malformed;

    fromAnn.receiveContent(encodeTransferStart('00000000000000b1', { name: 'one', type: '', size: 3 }, true));
    fromAnn.receiveContent(encodeTransferStart('00000000000000b2', { name: 'two', type: '', size: 3 }, true));
    // Cy gets 70 frames before any code is here: 64 wait, the rest break the protocol.
    for (let i = 0; i < 70; i++) toCy.receiveContent(chunkFrame('00000000000000c1', 10));
    expect(said, 'answered before the code loaded').to.deep.equal([]);
    expect(bob.inspect().transfers, 'held offers count as pending').to.equal(2);
    expect(cy.dropped.malformed - malformedBefore).to.equal(6);

    await h.clock.advance(10);
    for (let i = 0; i < 50 && said.length < 2; i++) await h.clock.advance(10);
    expect(said).to.deep.equal(['accept 00000000000000b1', 'accept 00000000000000b2']);
    expect(bob.inspect().transfers).to.equal(2);
  });
});
