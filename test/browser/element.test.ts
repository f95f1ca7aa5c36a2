// The element's own contract against the real broker: typed event classes, one participant
// shape, the host's panel, a rename mid-call, and leave() while a join is still preparing.
import { expect } from '@open-wc/testing';
import { KibitzEvent, KibitzJoinEvent, KibitzStateEvent, KibitzTrackEvent } from '../../src/element/events.js';
import { brokerUrl, cleanup, collect, ids, makeRoom, uniqueRoom, until } from './helpers.js';

describe('<kibitz-room> events and UI', () => {
  afterEach(cleanup);

  it('fires one class per event, bubbling and composed, never cancelable; every kibitz-track names a rostered peer', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('events');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
    const seen: Event[] = [];
    for (const type of ['kibitz-state', 'kibitz-join', 'kibitz-track'] as const) document.addEventListener(type, (e) => seen.push(e));
    const tracks = collect(b, 'kibitz-track');
    await a.join();
    await b.join();
    // Ann coordinates: her tracks reach Bob before the roster that names her.
    await until(() => tracks.some((t) => t.peer.id === a.selfId && t.slot === 'video'), "bob hears ann's video track");
    for (const t of tracks) {
      expect(t.peer.id).to.equal(a.selfId);
      expect(t.peer.name).to.equal('Ann');
      expect(t.stream).to.equal(b.getStream(a.selfId!, t.slot === 'screen' ? 'screen' : 'camera'));
    }
    expect(seen.some((e) => e instanceof KibitzStateEvent)).to.equal(true);
    expect(seen.some((e) => e instanceof KibitzJoinEvent)).to.equal(true);
    expect(seen.some((e) => e instanceof KibitzTrackEvent)).to.equal(true);
    for (const e of seen) {
      expect(e).to.be.instanceOf(KibitzEvent);
      expect(e).to.be.instanceOf(CustomEvent);
      expect([e.bubbles, e.composed, e.cancelable], e.type).to.deep.equal([true, true, false]);
    }
  });

  it('a name changed mid-call reaches everyone', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('rename');
    const a = makeRoom({ room, name: 'Ann', signaling });
    const b = makeRoom({ room, name: 'Bob', signaling });
    await a.join();
    await b.join();
    await until(() => ids(a).length === 2 && ids(b).length === 2, 'both rostered');
    b.name = 'Robert';
    await until(() => a.participants.find((p) => p.id === b.selfId)?.name === 'Robert', 'ann sees the new name');
    a.name = 'Annie';
    await until(() => b.participants.find((p) => p.id === a.selfId)?.name === 'Annie', "bob sees the coordinator's new name");
    expect(b.shadowRoot!.querySelector(`[data-peer="${a.selfId}"] [part="name"]`)!.textContent).to.contain('Annie');
  });

  it("the host's panel lets a knocking guest in; knock and host events carry peerId", async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('panel');
    const host = makeRoom({ room, name: 'Alice', signaling, 'host-name': 'Alice' });
    const hostEvents = collect(host, 'kibitz-host');
    await host.join();
    await until(() => host.isHost, 'alice is host');
    expect(hostEvents.at(-1)).to.deep.equal({ peerId: host.selfId });
    const knocks = collect(host, 'kibitz-knock');
    await host.setLobby(true);
    await until(() => host.lobby, 'the waiting room is on');
    const guest = makeRoom({ room, name: 'Gus', signaling, 'host-name': 'Alice' });
    const joining = guest.join();
    await until(() => guest.state === 'waiting' && knocks.length === 1, 'gus waits and knocks');
    expect(knocks[0]).to.deep.equal({ peerId: guest.selfId, name: 'Gus' });
    const admit = () => host.shadowRoot!.querySelector<HTMLButtonElement>('[part~="admit"]');
    await until(() => admit() !== null, 'the panel lists gus');
    admit()!.click();
    await joining;
    await until(() => ids(host).length === 2, 'gus is in');
    expect(guest.state).to.equal('joined');
    await until(() => host.shadowRoot!.querySelector('[part~="admit"]') === null, 'the waiting list empties');
  });

  it('leave() while a join is still preparing rejects the join with ERR_LEFT and connects nothing', async () => {
    const signaling = await brokerUrl();
    const el = makeRoom({ room: uniqueRoom('early leave'), name: 'Eve', signaling, media: 'audio video' });
    const states = collect(el, 'kibitz-state');
    const joining = el.join();
    expect(el.state).to.equal('connecting');
    el.leave();
    let code = '';
    await joining.catch((e) => (code = e.code));
    expect(code).to.equal('ERR_LEFT');
    expect(el.state).to.equal('left');
    expect(el.engine).to.equal(null);
    expect(el.getStream('anyone')).to.equal(null);
    expect(states.map((s) => s.state)).to.deep.equal(['connecting', 'left']);
  });
});
