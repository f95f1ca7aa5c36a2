// The built-in UI against the real broker, through its documented parts only: chat typed and
// sent with the keyboard, files sent from the UI, the participant list and the host's remove,
// pin and full screen, the strings property, and the muted and camera-off states of a tile.
import { expect } from '@open-wc/testing';
import { createRoom } from '../../src/crypto/room-link.js';
import { sendKeys } from '@web/test-runner-commands';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, inFirefox, makeRoom, uniqueRoom, until } from './helpers.js';

const parts = (el: KibitzRoomElement, name: string) => [...el.shadowRoot!.querySelectorAll<HTMLElement>(`[part~="${name}"]`)];
const part = (el: KibitzRoomElement, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
/** The tile whose name caption names `name`. */
const tileOf = (el: KibitzRoomElement, name: string) =>
  parts(el, 'tile').find((t) => t.querySelector('[part="name"]')?.textContent?.includes(name)) ?? null;
const partList = (node: Element | null) => (node?.getAttribute('part') ?? '').split(/\s+/);
/** Wait for a part of a panel: the panels' code is a chunk, fetched when one first opens. */
const panel = async (el: KibitzRoomElement, name: string) => {
  await until(() => part(el, name) !== null, `the ${name} part`);
  await el.updateComplete;
};

/** Elements joined one after another into one fresh room; resolves once everyone sees everyone. */
async function joined(...people: Record<string, string>[]): Promise<KibitzRoomElement[]> {
  const signaling = await brokerUrl();
  const room = uniqueRoom('ui');
  const els = people.map((attrs) => makeRoom({ name: '', ...attrs, room, signaling }));
  for (const el of els) await el.join();
  for (const el of els)
    await until(() => el.participants.length === els.length && el.participants.every((p) => p.self || p.fingerprint), 'everyone');
  await Promise.all(els.map((el) => el.updateComplete));
  return els;
}

describe('<kibitz-room> built-in UI', () => {
  afterEach(cleanup);

  it('chat: typed and sent with the keyboard, it reaches the other panel with name and time; unread shows while closed and clears on open', async () => {
    const [a, b] = await joined({ name: 'Ann' }, { name: 'Bob' });
    const chats = collect(b, 'kibitz-chat');
    const messages = collect(b, 'kibitz-message');

    part(a, 'chat-toggle')!.click();
    // The panel's code may still be loading (a chunk): wait for the field, then for the cursor in it.
    await until(
      () => part(a, 'chat-input') !== null && a.shadowRoot!.activeElement === part(a, 'chat-input'),
      'opening the chat puts the cursor in its field',
    );
    expect(part(a, 'chat')!.hidden).to.equal(false);
    await sendKeys({ type: 'hello' });
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Enter' });
    await sendKeys({ up: 'Shift' });
    await sendKeys({ type: 'world' });
    await sendKeys({ press: 'Enter' });

    await until(() => chats.length === 1, 'kibitz-chat on bob');
    expect(chats[0].peer.id).to.equal(a.selfId);
    expect(chats[0].peer.name).to.equal('Ann');
    expect(chats[0].text).to.equal('hello\nworld');
    expect(Math.abs(chats[0].at - Date.now())).to.be.below(60_000);
    expect((part(a, 'chat-input') as HTMLTextAreaElement).value, 'the field empties once sent').to.equal('');
    // Ann's own line is in her log.
    await until(() => parts(a, 'chat-message').length === 1, "ann's own message");
    expect(part(a, 'chat-message')!.querySelector('[part~="chat-text"]')!.textContent).to.equal('hello\nworld');

    // Bob's panel is closed: the toggle counts the unread message.
    expect(part(b, 'chat')!.hidden).to.equal(true);
    await until(() => part(b, 'unread')?.textContent?.trim() === '1', 'one unread');
    expect(part(b, 'chat-toggle')!.getAttribute('aria-label')).to.contain('1 unread');

    // Chat never fires kibitz-message: data sent after it arrives (in order) and is the only message.
    a.send({ note: 'data' });
    await until(() => messages.length === 1, 'the data message');
    expect(messages[0].data).to.deep.equal({ note: 'data' });

    part(b, 'chat-toggle')!.click();
    await until(() => part(b, 'unread') === null, 'unread clears on open');
    expect(part(b, 'chat')!.hidden).to.equal(false);
    const line = part(b, 'chat-message')!;
    expect(line.querySelector('[part~="chat-name"]')!.textContent).to.equal('Ann');
    expect(line.querySelector('[part~="chat-text"]')!.textContent).to.equal('hello\nworld');
    const time = line.querySelector<HTMLTimeElement>('[part~="chat-time"]')!;
    expect(time.textContent!.trim()).to.not.equal('');
    expect(Math.abs(Date.parse(time.dateTime) - chats[0].at)).to.be.below(1000);
    expect(part(b, 'chat-log')!.getAttribute('aria-live')).to.equal('polite');

    // Escape closes the panel and hands focus back to its button.
    part(b, 'chat-input')!.focus();
    await sendKeys({ press: 'Escape' });
    await until(() => part(b, 'chat')!.hidden && b.shadowRoot!.activeElement === part(b, 'chat-toggle'), 'escape closes, focus returns');
  });

  it('sendChat() from a headless page reaches the other side as kibitz-chat; an agent without the chat grant cannot send', async () => {
    const [a, b, c] = await joined({ name: 'Ann', headless: '' }, { name: 'Bob' }, { name: 'Bot', kind: 'agent' });
    const chats = collect(b, 'kibitz-chat');
    a.sendChat('from the page');
    await until(() => chats.length === 1, 'the chat');
    expect([chats[0].peer.name, chats[0].text]).to.deep.equal(['Ann', 'from the page']);

    const errors = collect(c, 'kibitz-error');
    let code = '';
    try {
      c.sendChat('let me in');
    } catch (err) {
      code = (err as { code: string }).code;
    }
    expect(code).to.equal('ERR_SEND');
    expect(errors.map((e) => e.code)).to.include('ERR_SEND');
    // Its UI says so before it tries: the field and Send are disabled.
    part(c, 'chat-toggle')!.click();
    await panel(c, 'chat-input');
    expect((part(c, 'chat-input') as HTMLTextAreaElement).disabled).to.equal(true);
    expect((part(c, 'chat-send') as HTMLButtonElement).disabled).to.equal(true);
    // Nothing reached Bob from the agent.
    a.sendChat('still here');
    await until(() => chats.length === 2, 'the next chat');
    expect(chats.map((m) => m.text)).to.deep.equal(['from the page', 'still here']);
  });

  it('a file sent from the UI shows a progress bar; the receiver accepts it and gets a download link with the bytes', async () => {
    const [a, b] = await joined({ name: 'Ann' }, { name: 'Bob' });
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const file = new File([bytes], 'notes.bin', { type: 'application/octet-stream' });
    const input = part(a, 'file-input') as HTMLInputElement;
    expect((part(a, 'send-file') as HTMLButtonElement).disabled).to.equal(false);
    const picked = new DataTransfer();
    picked.items.add(file);
    input.files = picked.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await a.updateComplete;
    const progress = part(a, 'progress') as HTMLProgressElement;
    expect(progress, 'a progress bar while it waits and sends').to.not.equal(null);
    expect(progress.max).to.equal(file.size);
    expect(partList(part(a, 'file-out'))).to.include('sending');

    await until(() => part(b, 'accept-file') !== null, "bob's prompt");
    expect(part(b, 'file-offer')!.textContent).to.contain('Ann').and.to.contain('notes.bin');
    part(b, 'accept-file')!.click();
    await until(() => part(b, 'save-file') !== null, 'the download link');
    const link = part(b, 'save-file') as HTMLAnchorElement;
    expect(link.download).to.equal('notes.bin');
    expect(part(b, 'file-saved')!.textContent).to.contain('from Ann');
    const got = new Uint8Array(await (await fetch(link.href)).arrayBuffer());
    expect(got.length).to.equal(bytes.length);
    expect(got.every((v, i) => v === bytes[i])).to.equal(true);

    await until(() => partList(part(a, 'file-out')).includes('sent'), 'the sender sees it sent');
    expect((part(a, 'progress') as HTMLProgressElement).value).to.equal(file.size);
  });

  it('the participant list shows everyone with their state; only the host gets Remove, and it removes', async () => {
    const [a, b, c] = await joined(
      { name: 'Ann', 'host-name': 'Ann' },
      { name: 'Bob', 'host-name': 'Ann' },
      { name: 'Cy', 'host-name': 'Ann' },
    );
    await until(() => a.isHost, 'ann is host');
    for (const el of [a, b]) {
      part(el, 'people-toggle')!.click();
      await el.updateComplete;
    }
    await until(() => parts(a, 'person').length === 3, 'three rows');
    const rows = parts(a, 'person').map((r) => r.textContent!);
    for (const name of ['Ann', 'Bob', 'Cy']) expect(rows.some((r) => r.includes(name))).to.equal(true);
    expect(rows.find((r) => r.includes('Ann')))
      .to.contain('(you)')
      .and.to.contain('host');
    expect(rows.find((r) => r.includes('Bob')))
      .to.contain('muted')
      .and.to.contain('camera off');
    expect(parts(a, 'kick').length, 'a Remove for each other participant').to.equal(2);
    expect(parts(b, 'kick').length, 'guests get none').to.equal(0);

    const cyRow = parts(a, 'person').find((r) => r.textContent!.includes('Cy'))!;
    const remove = cyRow.querySelector<HTMLButtonElement>('[part~="kick"]')!;
    expect(remove.getAttribute('aria-label')).to.equal('Remove Cy from the call');
    remove.click();
    await until(() => c.state === 'kicked', 'cy is removed');
    await until(() => parts(a, 'person').length === 2 && parts(b, 'person').length === 2, 'the lists drop cy');
  });

  it("in a room with a host key, the host's checkboxes set what a participant may do, and that participant's UI follows", async () => {
    const made = await createRoom({ hostPassphrase: 'correct horse battery staple', base: 'https://example.test/' });
    const attrs = { 'host-key': made.hostKey!, 'host-seal': made.hostSeal! };
    const signaling = await brokerUrl();
    const host = makeRoom({ ...attrs, room: made.room, signaling, name: 'Hana' });
    const bob = makeRoom({ ...attrs, room: made.room, signaling, name: 'Bob' });
    await host.claimHost('correct horse battery staple');
    await host.join();
    await bob.join();
    await until(() => [host, bob].every((el) => el.participants.length === 2 && el.hostId === host.selfId), 'both see the host');
    for (const el of [host, bob]) {
      part(el, 'people-toggle')!.click();
      await panel(el, 'person');
    }
    expect(parts(bob, 'grant-toggle'), 'a guest gets no checkboxes').to.have.length(0);
    const row = parts(host, 'person').find((r) => r.textContent!.includes('Bob'))!;
    const chat = row.querySelector<HTMLInputElement>('[part~="grant-toggle"][part~="chat"]')!;
    expect(row.querySelector('[part~="grants"] legend')!.textContent).to.contain('Bob may');
    expect(chat.checked).to.equal(true);
    part(bob, 'chat-toggle')!.click();
    await panel(bob, 'chat-input');
    expect((part(bob, 'chat-input') as HTMLTextAreaElement).disabled).to.equal(false);

    chat.click();
    await until(() => !bob.participants.find((p) => p.self)!.grant.act.includes('chat'), 'bob loses the chat grant');
    await until(() => (part(bob, 'chat-input') as HTMLTextAreaElement).disabled, "bob's chat field is disabled");
    expect(host.participants.find((p) => p.id === bob.selfId)!.grant.act).to.deep.equal(['speak', 'camera', 'screen', 'files']);
    await host.updateComplete;
    expect(chat.checked).to.equal(false);
  });

  it('pin moves a tile first and full width; full screen asks for the tile and a refusal stays quiet', async () => {
    const [a] = await joined({ name: 'Ann' }, { name: 'Bob' });
    // Small tiles, so the grid has columns for a pinned tile to span.
    a.style.setProperty('--kibitz-tile-min', '100px');
    expect(partList(parts(a, 'tile')[0])).to.include('self');
    const pin = tileOf(a, 'Bob')!.querySelector<HTMLButtonElement>('[part~="pin"]')!;
    expect(pin.getAttribute('aria-pressed')).to.equal('false');
    pin.click();
    await a.updateComplete;
    const [first, second] = parts(a, 'tile');
    expect(first).to.equal(tileOf(a, 'Bob'));
    expect(partList(first)).to.include('pinned');
    expect(first.querySelector('[part~="pin"]')!.getAttribute('aria-pressed')).to.equal('true');
    const grid = part(a, 'grid')!;
    expect(first.getBoundingClientRect().width).to.be.closeTo(grid.getBoundingClientRect().width, 2);
    expect(second.getBoundingClientRect().width).to.be.below(first.getBoundingClientRect().width);
    // Unpin: Ann's own tile is first again.
    first.querySelector<HTMLButtonElement>('[part~="pin"]')!.click();
    await a.updateComplete;
    expect(partList(parts(a, 'tile')[0])).to.include('self');
    expect(parts(a, 'tile').some((t) => partList(t).includes('pinned'))).to.equal(false);

    const asked: Element[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (e: PromiseRejectionEvent) => unhandled.push(e.reason);
    window.addEventListener('unhandledrejection', onUnhandled);
    const original = Element.prototype.requestFullscreen;
    Element.prototype.requestFullscreen = function (this: Element, options?: FullscreenOptions) {
      asked.push(this);
      return original.call(this, options);
    };
    try {
      tileOf(a, 'Bob')!.querySelector<HTMLButtonElement>('[part~="fullscreen"]')!.click();
      await new Promise((r) => setTimeout(r, 300));
      expect(asked).to.deep.equal([tileOf(a, 'Bob')]);
      // Without a real user gesture the browser may refuse; either way nothing escapes.
      if (document.fullscreenElement) {
        expect(document.fullscreenElement).to.equal(a);
        await document.exitFullscreen();
      }
      expect(unhandled).to.deep.equal([]);
    } finally {
      Element.prototype.requestFullscreen = original;
      window.removeEventListener('unhandledrejection', onUnhandled);
    }
  });

  it('re-renders, a rename and pinning never reload a playing video: each tile keeps its stream bound', async () => {
    const [a, b] = await joined({ name: 'Ann', media: 'audio video' }, { name: 'Bob', media: 'audio video' });
    const video = () => tileOf(a, 'Bob')!.querySelector('video')!;
    await until(() => video().srcObject instanceof MediaStream && video().readyState >= 2, "Bob's picture plays on Ann's page", 30_000);
    const bound = video();
    const stream = bound.srcObject;
    // Every load of a media element starts with loadstart: a set srcObject is a load, and a blank picture until the next frame.
    let loads = 0;
    a.shadowRoot!.addEventListener('loadstart', () => loads++, true);
    for (let i = 0; i < 5; i++) {
      a.requestUpdate();
      await a.updateComplete;
    }
    b.name = 'Bobby';
    await until(() => !!tileOf(a, 'Bobby'), 'the rename reaches Ann');
    const pin = tileOf(a, 'Bobby')!.querySelector<HTMLButtonElement>('[part~="pin"]')!;
    pin.click();
    await a.updateComplete;
    pin.click();
    await a.updateComplete;
    expect(tileOf(a, 'Bobby')!.querySelector('video')).to.equal(bound);
    expect(bound.srcObject).to.equal(stream);
    expect(loads).to.equal(0);
  });

  it('with no panel open the tiles have the whole stage; opening the chat gives it a column', async () => {
    const [a] = await joined({ name: 'Ann' }, { name: 'Bob' });
    const grid = part(a, 'grid')!;
    const stage = grid.parentElement!;
    expect(grid.getBoundingClientRect().width).to.be.closeTo(stage.getBoundingClientRect().width, 2);
    part(a, 'chat-toggle')!.click();
    await until(() => part(a, 'chat')?.hidden === false, 'the chat opens');
    await a.updateComplete;
    const chat = part(a, 'chat')!.getBoundingClientRect();
    expect(chat.width).to.be.greaterThan(0);
    expect(grid.getBoundingClientRect().width + chat.width).to.be.at.most(stage.getBoundingClientRect().width + 2);
  });

  it('the strings property rewords the UI, with functions for strings that carry values', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('strings');
    const a = makeRoom({ room, name: 'Ann', signaling });
    a.strings = { join: 'Rejoindre', notInCall: 'Hors appel', inCallWith: (n: number) => `Avec ${n} autre(s)`, chat: 'Discussion' };
    await a.updateComplete;
    expect(part(a, 'join')!.textContent!.trim()).to.equal('Rejoindre');
    expect(part(a, 'status')!.textContent!.trim()).to.equal('Hors appel');
    const b = makeRoom({ room, name: 'Bob', signaling });
    await a.join();
    await b.join();
    await until(() => part(a, 'status')!.textContent!.trim() === 'Avec 1 autre(s)', 'the status line in the page’s words');
    expect(part(a, 'chat-toggle')!.textContent!.trim()).to.equal('Discussion');
    // Keys left out keep their English default; a key of the wrong type is ignored.
    expect(part(a, 'leave')!.textContent!.trim()).to.equal('Leave');
    a.strings = { leave: 42 as unknown as string };
    await a.updateComplete;
    expect(part(a, 'leave')!.textContent!.trim()).to.equal('Leave');
    expect(part(b, 'chat-toggle')!.textContent!.trim()).to.equal('Chat');
  });

  it("a tile shows the link's quality in words once it is sampled", async () => {
    const [a, b] = await joined({ name: 'Ann' }, { name: 'Bob' });
    await until(() => b.participants.find((p) => p.id === a.selfId)?.quality != null, 'a first quality sample', 15_000);
    const quality = b.participants.find((p) => p.id === a.selfId)!.quality!;
    await b.updateComplete;
    const word = tileOf(b, 'Ann')!.querySelector('[part~="quality"]')!;
    expect(partList(word)).to.include(quality);
    expect(word.textContent).to.contain(`${quality} connection`);
    expect(tileOf(b, 'Bob')!.querySelector('[part~="quality"]'), 'none on your own tile').to.equal(null);
  });

  it('a tile shows a muted microphone and a camera that is off, in words', async () => {
    const [a, b] = await joined({ name: 'Ann', media: 'audio video' }, { name: 'Bob', media: 'audio video' });
    await until(
      () => tileOf(b, 'Ann') !== null && b.participants.find((p) => p.id === a.selfId)?.video === true,
      "ann's camera on bob's side",
    );
    const ann = () => tileOf(b, 'Ann')!;
    expect(ann().querySelector('[part~="muted"]')).to.equal(null);
    expect(ann().querySelector('[part~="camera-off"]')).to.equal(null);
    await a.setMicrophone(false);
    await until(() => ann().querySelector('[part~="muted"]') !== null, 'muted on her tile');
    expect(ann().querySelector('[part~="muted"]')!.textContent).to.contain('muted');
    await a.setCamera(false);
    await until(() => ann().querySelector('[part~="camera-off"]') !== null, 'camera off on her tile');
    expect(ann().querySelector('[part~="camera-off"]')!.textContent).to.contain('camera off');
    await a.setMicrophone(true);
    await until(() => ann().querySelector('[part~="muted"]') === null, 'unmuted again');
  });

  it('pre-join: preview on a click, a microphone level read only while shown, device menus that switch, camera toggle, then Join', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('prejoin');
    const a = makeRoom({ room, name: 'Ann', signaling, media: 'audio video' });
    await a.updateComplete;
    expect(part(a, 'prejoin')).to.not.equal(null);
    expect(a.previewStream, 'no device opens before a click').to.equal(null);
    part(a, 'preview-start')!.click();
    await until(
      () => a.previewStream !== null && (part(a, 'preview') as HTMLVideoElement | null)?.srcObject === a.previewStream,
      'the preview',
    );

    // The meter follows audioLevel(), read on a timer only while the panel shows.
    let reads = 0;
    const level = a.audioLevel.bind(a);
    a.audioLevel = (peerId) => (reads++, level(peerId));
    // Headless Firefox here keeps every AudioContext suspended: no level to show, but the meter still reads.
    if (inFirefox) await until(() => reads > 2, 'the meter reads the level');
    else await until(() => (part(a, 'level') as HTMLMeterElement).value > 0, 'the fake microphone moves the meter');

    // Device menus: every listed device of a kind, the selected one chosen; choosing another calls setDevice.
    await until(() => a.devices.some((d) => d.kind === 'microphone' && d.label), 'devices listed');
    await a.updateComplete;
    const mics = a.shadowRoot!.querySelector<HTMLSelectElement>('[part~="device-select"][part~="microphone"]')!;
    const listed = a.devices.filter((d) => d.kind === 'microphone');
    expect([...mics.options].map((o) => o.value)).to.deep.equal(listed.map((d) => d.deviceId));
    expect(mics.value).to.equal(listed.find((d) => d.selected)!.deviceId);
    if (listed.length > 1) {
      const other = listed.find((d) => !d.selected)!.deviceId;
      mics.value = other;
      mics.dispatchEvent(new Event('change'));
      await until(() => a.devices.find((d) => d.kind === 'microphone' && d.selected)?.deviceId === other, 'the chosen microphone');
    }

    const camera = part(a, 'camera') as HTMLButtonElement;
    expect(camera.getAttribute('aria-pressed')).to.equal('true');
    camera.click();
    await until(() => !a.cameraOn && part(a, 'camera')!.getAttribute('aria-pressed') === 'false', 'camera off before joining');
    expect(part(a, 'preview')!.hidden).to.equal(true);

    part(a, 'join')!.click();
    await until(() => a.state === 'joined', 'joined from the pre-join button');
    await a.updateComplete;
    expect(part(a, 'prejoin')).to.equal(null);
    expect(part(a, 'leave')).to.not.equal(null);
    const before = reads;
    await new Promise((r) => setTimeout(r, 400));
    expect(reads, 'the meter stops reading once the panel is gone').to.equal(before);
  });

  it('pre-join: a typed name survives a re-render before the field loses focus, and is the name the call gets', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('prejoin name');
    const a = makeRoom({ room, name: '', signaling });
    const b = makeRoom({ room, name: 'Bob', signaling, headless: '' });
    await b.join();
    await a.updateComplete;
    const field = part(a, 'name-input') as HTMLInputElement;
    field.focus();
    await sendKeys({ type: 'Ann' });
    // Anything may re-render the panel while the field still has focus (a device list, the
    // page changing a property): the typed name must not be reset to the old one.
    a.requestUpdate();
    await a.updateComplete;
    expect((part(a, 'name-input') as HTMLInputElement).value).to.equal('Ann');
    expect(a.name).to.equal('Ann');
    part(a, 'join')!.click();
    await until(() => b.participants.some((p) => !p.self && p.name === 'Ann'), 'Bob sees the typed name');
  });

  it('a chosen speaker plays every tile: setSinkId with speakerId where the browser lists speakers', async function () {
    const [a] = await joined({ name: 'Ann', media: 'audio' }, { name: 'Bob', media: 'audio' });
    await a.startPreview().catch(() => undefined);
    await until(() => a.devices.some((d) => d.kind === 'microphone'), 'devices listed');
    const speakers = a.devices.filter((d) => d.kind === 'speaker' && d.deviceId !== 'default');
    // Firefox lists no speaker until the page asks with selectAudioOutput() (a user prompt).
    if (!speakers.length || !('setSinkId' in HTMLMediaElement.prototype)) this.skip();
    const chosen = speakers.at(-1)!.deviceId;
    await a.setDevice('speaker', chosen);
    await until(
      () =>
        parts(a, 'video').length === 2 && parts(a, 'video').every((v) => (v as HTMLMediaElement & { sinkId: string }).sinkId === chosen),
      'every tile plays on the chosen speaker',
    );
  });

  it('a speaking participant lights up: part "tile speaking" while the fake microphone sounds', async function () {
    // Headless Firefox here keeps every AudioContext suspended, so nothing is measured there.
    if (inFirefox) this.skip();
    const [a, b] = await joined({ name: 'Ann', media: 'audio' }, { name: 'Bob', media: 'audio' });
    await until(() => partList(tileOf(b, 'Ann')).includes('speaking'), "ann's tile speaks on bob's side", 30_000);
    expect(b.participants.find((p) => p.id === a.selfId)!.speaking).to.equal(true);
    expect(tileOf(b, 'Ann')!.querySelector('[part~="speaking"]')!.textContent).to.contain('speaking');
  });
});
