// Devices on real elements: the list, switching a camera or microphone live in a call, a
// preview before joining whose tracks the call then sends, and a device that goes away
// mid-call. Both browsers run with fake devices (Chromium: three microphones, one camera and
// three speakers; Firefox: one microphone and one camera, no speakers listed).
import { expect } from '@open-wc/testing';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { codeOf } from '../support/error-code.js';
import { brokerUrl, cleanup, collect, framesDecoded, inFirefox, makeRoom, uniqueRoom, until, wireOf } from './helpers.js';

/** Packets received on the inbound RTP stream of one kind from `peerId`. */
async function packetsFrom(el: KibitzRoomElement, peerId: string, kind: 'audio' | 'video'): Promise<number> {
  const stats = await el.getStats(peerId);
  let packets = 0;
  stats?.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === kind) packets = Math.max(packets, s.packetsReceived ?? 0);
  });
  return packets;
}

const selfTrack = (el: KibitzRoomElement, kind: 'audio' | 'video') =>
  (kind === 'audio' ? el.getStream(el.selfId!)?.getAudioTracks() : el.getStream(el.selfId!)?.getVideoTracks())?.[0] ?? null;

/** Two elements in one call with camera and microphone, media flowing both ways. */
async function pair(label: string): Promise<[KibitzRoomElement, KibitzRoomElement]> {
  const signaling = await brokerUrl();
  const room = uniqueRoom(label);
  const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
  const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
  await a.join();
  await b.join();
  await until(
    async () => (await framesDecoded(b, a.selfId!)) > 3 && (await packetsFrom(b, a.selfId!, 'audio')) > 10,
    "bob gets ann's media",
  );
  return [a, b];
}

/**
 * Watch one connection for renegotiation: every `negotiationneeded` and every signaling state
 * change is counted, and its local description is kept to compare afterwards.
 */
function watchNegotiation(pc: RTCPeerConnection) {
  const seen = { negotiations: 0, signalingChanges: 0 };
  pc.addEventListener('negotiationneeded', () => seen.negotiations++);
  pc.addEventListener('signalingstatechange', () => seen.signalingChanges++);
  const sdp = pc.localDescription?.sdp;
  return { seen, unchanged: () => pc.localDescription?.sdp === sdp && pc.signalingState === 'stable' };
}

describe('devices', () => {
  afterEach(cleanup);

  it('lists cameras and microphones (and speakers where the browser lists them) with one selected per kind', async () => {
    const el = makeRoom({ room: uniqueRoom('devices'), name: 'Ann', media: 'audio video' });
    const announced = collect(el, 'kibitz-devices');
    await el.startPreview();
    await until(
      () => el.devices.some((d) => d.kind === 'camera' && d.label) && el.devices.some((d) => d.kind === 'microphone'),
      'devices listed',
    );
    for (const kind of ['camera', 'microphone', 'speaker'] as const) {
      const ofKind = el.devices.filter((d) => d.kind === kind);
      if (kind !== 'speaker') expect(ofKind.length, kind).to.be.greaterThan(0);
      if (ofKind.length > 0)
        expect(
          ofKind.filter((d) => d.selected),
          kind,
        ).to.have.length(1);
      for (const d of ofKind) expect(d.deviceId, kind).to.be.a('string').and.not.equal('');
    }
    // The selected camera and microphone are the ones the preview captures from.
    const preview = el.previewStream!;
    const camera = el.devices.find((d) => d.kind === 'camera' && d.selected)!;
    const microphone = el.devices.find((d) => d.kind === 'microphone' && d.selected)!;
    expect(camera.deviceId).to.equal(preview.getVideoTracks()[0].getSettings().deviceId);
    expect(microphone.deviceId).to.equal(preview.getAudioTracks()[0].getSettings().deviceId);
    await until(() => JSON.stringify(announced.at(-1)?.devices) === JSON.stringify(el.devices), 'kibitz-devices carries the list');
  });

  it('setDevice in a call switches the microphone and camera the other side receives, with no renegotiation, keeping mute', async () => {
    const [a, b] = await pair('switch');
    const { pc } = wireOf(a, b.selfId!);
    const negotiation = watchNegotiation(pc);
    const sent = (kind: 'audio' | 'video') => pc.getSenders().find((s) => s.track?.kind === kind)?.track ?? null;
    const bSeesAnn = () => b.participants.find((p) => p.id === a.selfId)!;

    await a.setMicrophone(false);
    await until(() => !bSeesAnn().audio, 'bob sees ann muted');
    const oldMic = selfTrack(a, 'audio')!;
    const microphones = a.devices.filter((d) => d.kind === 'microphone');
    // Chromium offers three fake microphones; Firefox one, which then opens afresh.
    const target = microphones.find((d) => !d.selected) ?? microphones[0];
    const devicesSeen = collect(a, 'kibitz-devices');
    await a.setDevice('microphone', target.deviceId);

    const newMic = selfTrack(a, 'audio')!;
    expect(newMic).to.not.equal(oldMic);
    expect(oldMic.readyState).to.equal('ended');
    expect(newMic.getSettings().deviceId).to.equal(target.deviceId);
    expect(newMic.enabled, 'still muted').to.equal(false);
    expect(sent('audio')).to.equal(newMic);
    expect(a.devices.find((d) => d.kind === 'microphone' && d.selected)!.deviceId).to.equal(target.deviceId);
    if (target !== microphones.find((d) => d.selected)) await until(() => devicesSeen.length > 0, 'kibitz-devices on the new selection');
    expect(bSeesAnn().audio).to.equal(false);
    await a.setMicrophone(true);
    await until(() => bSeesAnn().audio, 'bob sees ann unmuted');

    const camera = a.devices.find((d) => d.kind === 'camera')!;
    const oldCamera = selfTrack(a, 'video')!;
    await a.setDevice('camera', camera.deviceId);
    const newCamera = selfTrack(a, 'video')!;
    expect(newCamera).to.not.equal(oldCamera);
    expect(sent('video')).to.equal(newCamera);

    // The other side keeps receiving on the same streams: more packets and frames arrive.
    const [audio, frames] = [await packetsFrom(b, a.selfId!, 'audio'), await framesDecoded(b, a.selfId!)];
    await until(async () => (await packetsFrom(b, a.selfId!, 'audio')) > audio + 20, 'audio keeps arriving');
    await until(async () => (await framesDecoded(b, a.selfId!)) > frames + 5, 'frames from the new camera');
    expect(negotiation.seen).to.deep.equal({ negotiations: 0, signalingChanges: 0 });
    expect(negotiation.unchanged(), 'same local description, stable').to.equal(true);
  });

  it('an unknown device or kind is ERR_BAD_DEVICE with a kibitz-error, and the call goes on', async () => {
    const [a, b] = await pair('bad device');
    const errors = collect(a, 'kibitz-error');
    const track = selfTrack(a, 'video');
    expect(await codeOf(a.setDevice('camera', 'no-such-camera'))).to.equal('ERR_BAD_DEVICE');
    expect(await codeOf(a.setDevice('toaster' as never, 'x'))).to.equal('ERR_BAD_DEVICE');
    // A microphone's id is not a camera's.
    const microphone = a.devices.find((d) => d.kind === 'microphone')!;
    expect(await codeOf(a.setDevice('camera', microphone.deviceId))).to.equal('ERR_BAD_DEVICE');
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_BAD_DEVICE', 'ERR_BAD_DEVICE', 'ERR_BAD_DEVICE']);
    expect(a.state).to.equal('joined');
    expect(selfTrack(a, 'video')).to.equal(track);
    const got = collect(b, 'kibitz-message');
    a.send('still here');
    await until(() => got.length === 1, 'a message after the bad calls');
  });

  it('a speaker choice becomes speakerId; an unknown one is refused', async () => {
    const el = makeRoom({ room: uniqueRoom('speaker'), name: 'Ann', media: 'audio' });
    await el.startPreview();
    expect(el.speakerId).to.equal(null);
    expect(await codeOf(el.setDevice('speaker', 'no-such-speaker'))).to.equal('ERR_BAD_DEVICE');
    // Firefox lists no speaker until the page asks with selectAudioOutput() (a user prompt):
    // nothing to choose there.
    if (inFirefox) return;
    const speakers = el.devices.filter((d) => d.kind === 'speaker');
    expect(speakers.length).to.be.greaterThan(0);
    const speaker = speakers.find((d) => !d.selected) ?? speakers[0];
    await el.setDevice('speaker', speaker.deviceId);
    expect(el.speakerId).to.equal(speaker.deviceId);
    expect(el.devices.find((d) => d.kind === 'speaker' && d.selected)!.deviceId).to.equal(speaker.deviceId);
  });

  it('in a headless call, the chosen speaker plays the remote audio the element renders', async function () {
    // Firefox lists no speaker until the page asks with selectAudioOutput() (a user prompt).
    if (inFirefox) this.skip();
    const signaling = await brokerUrl();
    const room = uniqueRoom('sink');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio', headless: '' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio', headless: '' });
    await a.join();
    await b.join();
    const players = () => [...(b.shadowRoot?.querySelectorAll('audio') ?? [])] as (HTMLAudioElement & { sinkId?: string })[];
    await until(() => players().length === 1, "bob's element plays ann's audio");
    const speakers = b.devices.filter((d) => d.kind === 'speaker');
    expect(speakers.length).to.be.greaterThan(0);
    const speaker = speakers.find((d) => !d.selected) ?? speakers[0];
    await b.setDevice('speaker', speaker.deviceId);
    await until(() => players().every((p) => p.sinkId === speaker.deviceId), 'the player uses the chosen speaker');
  });

  it('a preview before joining opens camera and microphone, its toggles hold, and join sends those same tracks', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('preview');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
    expect(a.previewStream).to.equal(null);
    await a.startPreview();
    const preview = a.previewStream!;
    const [mic, camera] = [preview.getAudioTracks()[0], preview.getVideoTracks()[0]];
    expect(mic.readyState).to.equal('live');
    expect(camera.readyState).to.equal('live');

    // Toggles before joining act on the preview and on what the call starts with.
    await a.setCamera(false);
    expect(camera.readyState, 'camera released').to.equal('ended');
    expect(a.previewStream!.getVideoTracks()).to.have.length(0);
    expect(a.cameraOn).to.equal(false);
    await a.setCamera(true);
    const reopened = a.previewStream!.getVideoTracks()[0];
    expect(reopened.readyState).to.equal('live');
    await a.setMicrophone(false);
    expect(mic.enabled).to.equal(false);
    expect(a.microphoneOn).to.equal(false);

    await a.join();
    await b.join();
    expect(selfTrack(a, 'audio')).to.equal(mic);
    expect(selfTrack(a, 'video')).to.equal(reopened);
    await until(() => a.participants.length === 2, 'both in the roster');
    const { pc } = wireOf(a, b.selfId!);
    await until(
      () => pc.getSenders().some((s) => s.track === reopened) && pc.getSenders().some((s) => s.track === mic),
      'the preview tracks are sent',
    );
    const bSeesAnn = () => b.participants.find((p) => p.id === a.selfId)!;
    await until(() => bSeesAnn().video && !bSeesAnn().audio, 'bob sees ann with camera on and muted, as set before joining');
    await until(async () => (await framesDecoded(b, a.selfId!)) > 3, "bob decodes ann's preview camera");
  });

  it('setDevice before joining picks the microphone the preview opens, switches an open preview, and the call sends it', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('choose first');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio' });
    await a.startPreview();
    const microphones = a.devices.filter((d) => d.kind === 'microphone');
    a.stopPreview();
    // Chromium offers three fake microphones; Firefox one, which is then chosen explicitly.
    const first = microphones.find((d) => !d.selected) ?? microphones[0];
    await a.setDevice('microphone', first.deviceId);
    expect(a.previewStream, 'choosing opens nothing').to.equal(null);
    await a.startPreview();
    expect(a.previewStream!.getAudioTracks()[0].getSettings().deviceId).to.equal(first.deviceId);

    const second = microphones.find((d) => d !== first && !d.selected) ?? first;
    await a.setDevice('microphone', second.deviceId);
    const track = a.previewStream!.getAudioTracks()[0];
    expect(track.getSettings().deviceId).to.equal(second.deviceId);
    await a.join();
    await b.join();
    expect(selfTrack(a, 'audio')).to.equal(track);
    const { pc } = wireOf(a, b.selfId!);
    await until(() => pc.getSenders().some((s) => s.track === track), 'the chosen microphone is sent');
    await until(async () => (await packetsFrom(b, a.selfId!, 'audio')) > 10, "bob receives ann's audio");
  });

  it('setCamera(false) before joining, without a preview, starts the call without the camera; stopPreview releases the devices', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('camera off');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
    const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
    await a.startPreview();
    const tracks = a.previewStream!.getTracks();
    a.stopPreview();
    expect(tracks.map((t) => t.readyState)).to.deep.equal(['ended', 'ended']);
    expect(a.previewStream).to.equal(null);

    await a.setCamera(false);
    await a.join();
    await b.join();
    expect(a.getStream(a.selfId!)!.getVideoTracks()).to.have.length(0);
    await until(() => b.participants.some((p) => p.id === a.selfId && p.audio && !p.video), 'bob sees ann without camera');
    await a.setCamera(true);
    await until(async () => (await framesDecoded(b, a.selfId!)) > 3, "bob decodes ann's camera once she turns it on");
  });

  it('a device lost mid-call (its track ends) is reported as ERR_DEVICE_LOST; the call goes on and the device can come back', async () => {
    const [a, b] = await pair('lost');
    const errors = collect(a, 'kibitz-error');
    const bSeesAnn = () => b.participants.find((p) => p.id === a.selfId)!;

    // An unplugged device ends its track: the page sees `ended` on it. stop() fires no event,
    // so the test stops the track and dispatches the `ended` an unplug would bring.
    const camera = selfTrack(a, 'video')!;
    camera.stop();
    camera.dispatchEvent(new Event('ended'));
    await until(() => errors.some((e) => e.code === 'ERR_DEVICE_LOST'), 'the lost camera is reported');
    expect(a.state).to.equal('joined');
    expect(a.cameraOn).to.equal(false);
    await until(() => !bSeesAnn().video && bSeesAnn().audio, 'bob sees the camera off and the microphone still on');

    const microphone = selfTrack(a, 'audio')!;
    microphone.stop();
    microphone.dispatchEvent(new Event('ended'));
    await until(() => errors.filter((e) => e.code === 'ERR_DEVICE_LOST').length === 2, 'the lost microphone is reported');
    expect(a.microphoneOn).to.equal(false);
    await until(() => !bSeesAnn().audio, 'bob sees the microphone off');
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_DEVICE_LOST', 'ERR_DEVICE_LOST']);

    const got = collect(b, 'kibitz-message');
    a.send('no devices, still talking');
    await until(() => got.length === 1, 'messages still flow');

    await a.setCamera(true);
    await a.setMicrophone(true);
    await until(() => bSeesAnn().video && bSeesAnn().audio, 'bob sees camera and microphone back');
    const frames = await framesDecoded(b, a.selfId!);
    await until(async () => (await framesDecoded(b, a.selfId!)) > frames + 5, 'frames from the reopened camera');
  });
});
