import { expect } from '@open-wc/testing';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, engineOf, framesDecoded, makeRoom, uniqueRoom, until } from './helpers.js';

const link = (el: KibitzRoomElement, peer: string) => engineOf(el).link(peer);

describe('media controls and local signaling', () => {
  afterEach(cleanup);

  it('camera and microphone toggle without tearing down the connection, and others see the state', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('media');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
    await a.join();
    await b.join();
    await until(async () => (await framesDecoded(b, a.selfId!)) > 3, 'video flows');
    const before = link(a, b.selfId!);
    const seen = () => b.participants.find((p) => p.id === a.selfId)!;

    await a.setCamera(false);
    await a.setMicrophone(false);
    await until(() => !seen().video && !seen().audio, 'bob sees ann muted with camera off');
    expect(a.getStream(a.selfId!)!.getVideoTracks()).to.have.length(0);

    await a.setCamera(true);
    await a.setMicrophone(true);
    await until(() => seen().video && seen().audio, 'bob sees ann back');
    const frames = await framesDecoded(b, a.selfId!);
    await until(async () => (await framesDecoded(b, a.selfId!)) > frames + 5, 'video flows again after the camera returns');
    expect(link(a, b.selfId!)).to.equal(before);
  });

  it('a data-only room gains a camera later by renegotiating on the same connection', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('late camera');
    const a = makeRoom({ room, name: 'Ann', signaling, media: '' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: '' });
    await a.join();
    await b.join();
    await until(() => b.participants.length === 2 && a.participants.length === 2, 'joined');
    const before = link(b, a.selfId!);
    await a.setCamera(true);
    await until(async () => (await framesDecoded(b, a.selfId!)) > 3, "bob decodes ann's late camera", 30_000);
    expect(link(b, a.selfId!)).to.equal(before);
  });

  it('signaling="local" joins tabs of one browser with no server at all', async () => {
    const room = uniqueRoom('local');
    const a = makeRoom({ room, name: 'Ann', signaling: 'local' });
    const b = makeRoom({ room, name: 'Bob', signaling: 'local' });
    await a.join();
    await b.join();
    await until(() => a.participants.length === 2 && b.participants.length === 2, 'both rostered');
    const got = collect(b, 'kibitz-message');
    a.send('over the local transport');
    await until(() => got.length === 1, 'message');
    expect(got.map((m) => m.data)).to.deep.equal(['over the local transport']);
  });

  it('bad attributes reject join with ERR_BAD_ATTRIBUTE and a kibitz-error, and nothing is left running', async () => {
    const cases: Record<string, string>[] = [
      { media: 'audio smell' },
      { 'ice-servers': '{not json' },
      { 'ice-servers': '[{"urls":"http://x"}]' },
      { signaling: 'ftp://broker.example/' },
      { 'host-key': 'not-a-key' },
      { 'host-seal': 'AAAA' },
      { kind: 'robot' },
    ];
    for (const attrs of cases) {
      const el = makeRoom({ room: uniqueRoom('bad'), name: 'X', ...attrs });
      const errors = collect(el, 'kibitz-error');
      let code = '';
      await el.join().catch((e) => (code = e.code));
      expect(code, JSON.stringify(attrs)).to.equal('ERR_BAD_ATTRIBUTE');
      expect(errors.map((e) => e.code)).to.deep.equal(['ERR_BAD_ATTRIBUTE']);
      expect(el.state).to.equal('failed');
      expect(el.selfId).to.equal(null);
    }
    const relay = makeRoom({ room: uniqueRoom('relay'), name: 'R', 'relay-only': '' });
    let code = '';
    await relay.join().catch((e) => (code = e.code));
    expect(code).to.equal('ERR_NO_RELAY');
  });
});
