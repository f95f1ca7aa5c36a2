// Network flap: the link between two participants dies (its transport closes, or ICE fails
// and nothing gets through) while both pages live on. The pair reconnects (ICE restart, or a
// fresh link through the coordinator) and nobody leaves the room.
import { expect } from '@open-wc/testing';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, engineOf as engine, ids, makeRoom, uniqueRoom, until, wireOf as wire } from './helpers.js';

type Wire = ReturnType<typeof wire>;

async function threeInCall(label: string): Promise<KibitzRoomElement[]> {
  const signaling = await brokerUrl();
  const room = uniqueRoom(label);
  const els = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling }));
  for (const el of els) await el.join();
  for (const el of els)
    await until(
      () => ids(el).length === 3 && el.participants.every((p) => p.self || engine(el).link(p.id)?.isOpen),
      `${el.name} linked to all`,
    );
  return els;
}

async function talks(from: KibitzRoomElement, to: KibitzRoomElement, tag: string): Promise<void> {
  const got = collect(to, 'kibitz-message');
  from.send(tag, to.selfId!);
  await until(() => got.some((m) => m.peerId === from.selfId && m.data === tag), `${tag}: ${from.name} -> ${to.name}`, 30_000);
}

/** Watch the pair and the room: connection events, departures, coordinator changes. */
function watch(els: KibitzRoomElement[]) {
  return {
    connection: els.map((el) => collect(el, 'kibitz-connection')),
    leaves: els.map((el) => collect(el, 'kibitz-leave')),
    joins: els.map((el) => collect(el, 'kibitz-join')),
    coordinators: els.map((el) => collect(el, 'kibitz-coordinator')),
  };
}

async function recovered(
  els: KibitzRoomElement[],
  [b, c]: KibitzRoomElement[],
  old: Wire[],
  seen: ReturnType<typeof watch>,
  roster: string[],
) {
  const [, bi, ci] = [0, 1, 2];
  // Each side of the pair says it is reconnecting, then connected again.
  for (const [i, other] of [
    [bi, c],
    [ci, b],
  ] as const) {
    await until(
      () => seen.connection[i].some((e) => e.peerId === other.selfId && e.state === 'reconnecting'),
      `${els[i].name} reports reconnecting`,
      30_000,
    );
    await until(
      () => {
        const last = seen.connection[i].filter((e) => e.peerId === other.selfId).at(-1);
        return last?.state === 'connected' && engine(els[i]).link(other.selfId!)?.isOpen === true;
      },
      `${els[i].name} reports connected again`,
      30_000,
    );
  }
  expect(engine(b).link(c.selfId!)).to.not.equal(old[0].link);
  await talks(b, c, 'after the flap b->c');
  await talks(c, b, 'after the flap c->b');
  for (const el of els) {
    expect(ids(el), `${el.name} roster`).to.deep.equal(roster);
    expect(el.state).to.equal('joined');
    expect(el.coordinatorId).to.equal(els[0].selfId);
  }
  expect(seen.leaves.flat(), 'departures').to.deep.equal([]);
  expect(seen.joins.flat(), 'arrivals').to.deep.equal([]);
  expect(seen.coordinators.flat(), 'coordinator changes').to.deep.equal([]);
}

describe('network flap between two participants', () => {
  afterEach(cleanup);

  it("when the pair's transport closes under it, the pair re-dials and talks again; nobody leaves, the roster is unchanged", async () => {
    const els = await threeInCall('flap-closed');
    const [, b, c] = els;
    const roster = ids(els[0]);
    const seen = watch(els);
    const old = [wire(b, c.selfId!), wire(c, b.selfId!)];
    // The transport dies: its control channel closes on both ends.
    old[0].control.close();
    await recovered(els, [b, c], old, seen, roster);
  });

  it('when ICE fails and nothing gets through, the pair reports reconnecting, recovers and talks again; nobody leaves', async function () {
    this.timeout(90_000);
    const els = await threeInCall('flap-ice');
    const [, b, c] = els;
    const roster = ids(els[0]);
    const seen = watch(els);
    const old = [wire(b, c.selfId!), wire(c, b.selfId!)];
    // Cut the path: nothing sent on the pair's channels arrives any more, in either direction,
    // and both ICE agents report failure.
    for (const link of old) {
      for (const channel of [link.control, link.content]) {
        channel.send = () => undefined;
        channel.onmessage = null;
      }
      Object.defineProperty(link.pc, 'connectionState', { get: () => 'failed', configurable: true });
      // Call the handler the link installed: Firefox runs no on* handler of an RTCPeerConnection for a synthetic event.
      link.pc.onconnectionstatechange?.call(link.pc, new Event('connectionstatechange'));
    }
    await recovered(els, [b, c], old, seen, roster);
  });
});

describe('a flap that ends in a departure', () => {
  afterEach(cleanup);

  it('a peer that leaves while its link is reconnecting does not leave the status stuck on "Reconnecting…"', async () => {
    const els = await threeInCall('flap-leave');
    const [, b, c] = els;
    const status = () => b.shadowRoot!.querySelector('[part="status"]')!.textContent!.trim();
    const seen = collect(b, 'kibitz-connection');
    wire(b, c.selfId!).control.close();
    await until(() => seen.some((e) => e.peerId === c.selfId && e.state === 'reconnecting'), 'bob reports reconnecting');
    c.remove();
    await until(() => ids(b).length === 2, 'bob sees cat leave');
    await until(() => status() === 'In the call with 1 other', `bob's status settles (is "${status()}")`, 10_000);
  });
});

describe('a flap on the coordinator link', () => {
  afterEach(cleanup);

  it('when the link between the coordinator and a participant closes, the stranded participant finds the live room again: one room, one coordinator', async function () {
    this.timeout(90_000);
    const els = await threeInCall('flap-coordinator');
    const [a, b, c] = els;
    wire(a, b.selfId!).control.close();
    // b loses its coordinator and, alone, takes a spare slot; it must not stay a room of one.
    await until(() => ids(a).length === 2 && b.coordinatorId === b.selfId, 'the link breaks: ann drops bob, bob elects itself');
    await until(
      () => els.every((el) => ids(el).length === 3 && el.coordinatorId === a.selfId && el.state === 'joined'),
      'one room of three under ann again',
      60_000,
    );
    for (const el of els) expect([...ids(el)].sort()).to.deep.equal([a.selfId, b.selfId, c.selfId].sort());
    expect(els.filter((el) => engine(el).isCoordinator)).to.deep.equal([a]);
    await until(() => els.every((el) => el.participants.every((p) => p.self || engine(el).link(p.id)?.isOpen)), 'everyone linked');
    await talks(b, c, 'b back to c');
    await talks(a, b, 'a to b');
  });
});
