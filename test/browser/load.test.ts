// Load: six peers in one room each broadcast 2,000 messages as fast as send() takes them;
// every peer receives every other peer's messages exactly once and in each sender's order.
import { expect } from '@open-wc/testing';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, engineOf as engine, ids, makeRoom, uniqueRoom, until } from './helpers.js';

const PEERS = 6;
const EACH = 2000;

describe('load', () => {
  afterEach(cleanup);

  it('6 peers each broadcast 2,000 messages back to back: every peer gets all 10,000 from the others exactly once, in per-sender order', async function () {
    this.timeout(240_000);
    const signaling = await brokerUrl();
    const room = uniqueRoom('load');
    const els: KibitzRoomElement[] = [];
    for (let i = 0; i < PEERS; i++) {
      const el = makeRoom({ room, name: `P${i}`, signaling });
      await el.join();
      els.push(el);
    }
    for (const el of els) {
      await until(
        () => ids(el).length === PEERS && el.participants.every((p) => p.self || engine(el).link(p.id)?.isOpen),
        `${el.name} linked to all`,
        60_000,
      );
    }
    const roster = ids(els[0]);
    const inbox = els.map((el) => collect(el, 'kibitz-message'));
    const leaves = els.map((el) => collect(el, 'kibitz-leave'));

    // Interleaved like six busy pages: each sender pushes a run of messages per turn.
    for (let start = 0; start < EACH; start += 250) {
      els.forEach((el, s) => {
        for (let n = start; n < start + 250; n++) el.send({ s, n, pad: 'x'.repeat(n % 64) });
      });
      await Promise.resolve();
    }

    const expected = (PEERS - 1) * EACH;
    for (let r = 0; r < PEERS; r++) await until(() => inbox[r].length >= expected, `${els[r].name} receives ${expected}`, 120_000);
    // Nothing more trickles in after the count is reached (no duplicates).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (let r = 0; r < PEERS; r++) {
      const got = inbox[r];
      expect(got.length, `${els[r].name} total`).to.equal(expected);
      const bySender = new Map<number, number[]>();
      for (const m of got) {
        const data = m.data as { s: number; n: number };
        expect(m.peerId).to.equal(els[data.s].selfId);
        expect(m.to).to.equal(null);
        expect(data.s).to.not.equal(r);
        bySender.set(data.s, [...(bySender.get(data.s) ?? []), data.n]);
      }
      expect(bySender.size).to.equal(PEERS - 1);
      for (const [s, ns] of bySender) {
        expect(ns.length, `${els[r].name} from P${s}`).to.equal(EACH);
        expect(
          ns.every((n, i) => n === i),
          `${els[r].name} from P${s} in order`,
        ).to.equal(true);
      }
    }
    for (const el of els) expect(ids(el)).to.deep.equal(roster);
    expect(leaves.flat()).to.deep.equal([]);
  });
});
