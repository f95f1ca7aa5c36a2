// A joiner whose first offer to slot 0 is lost while the coordinator holding the slot is alive
// (its socket was closing and re-opening as the offer reached the broker, as it does now and
// then after a broker loss) offers to slot 0 again before it tries the spare slots, where
// nobody answers until a successor takes one. In memory, on a manual clock.
import { expect } from '@open-wc/testing';
import type { SignalingTransport } from '../../src/signaling/transport.js';
import { harness, ids, joinAll } from '../support/memory-room.js';

describe('a joiner whose first offer to a live coordinator is lost', () => {
  it('offers to slot 0 again and joins within two answer clocks, never dialling a spare slot', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const slot0 = `${a.signalingId}s0`;
    expect(h.bus.holds(slot0)).to.equal(true);

    // Dan's sockets lose what he sends to slot 0 in his first 300 ms: his first offer.
    const started = h.clock.now();
    const bus = h.bus.transport();
    const lossy: SignalingTransport = {
      open: async (id) => {
        const endpoint = await bus.open(id);
        const send = endpoint.send.bind(endpoint);
        endpoint.send = (dst, type, payload) => {
          if (dst === slot0 && h.clock.now() - started < 300) return;
          send(dst, type, payload);
        };
        return endpoint;
      },
    };
    const d = h.makeWith('dan', { transport: lossy });
    const joined = d.join();
    // One answer clock (1.5 s) for the lost offer, then the second offer and its answer.
    for (let t = 0; t < 2500 && d.state !== 'joined'; t += 50) await h.clock.advance(50);
    expect(d.state, 'joined within two answer clocks').to.equal('joined');
    await joined;
    await h.clock.advance(200);
    expect(d.coordinatorId).to.equal(a.selfId);
    expect(ids(d)).to.deep.equal([a.selfId, b.selfId, c.selfId, d.selfId]);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId, d.selfId]);
    const spare = h.bus.log.filter((m) => m.src.endsWith(d.selfId!) && /s[123]$/.test(m.dst));
    expect(spare, 'no offer to a spare slot').to.deep.equal([]);
    const offers = h.bus.log.filter((m) => m.src.endsWith(d.selfId!) && m.dst === slot0 && m.type === 'OFFER');
    expect(offers, 'the second offer reached slot 0').to.have.length(1);
  });
});
