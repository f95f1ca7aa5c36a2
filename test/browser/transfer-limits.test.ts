// Files with limits over real data channels: nothing crosses before the receiver accepts, a
// refused or cut-off transfer rejects the sender's promise with a clear code, and what
// arrives carries a type a page can open safely.
import { expect } from '@open-wc/testing';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { encodeTransferStart, transferChunkHeader } from '../../src/engine/protocol.js';
import { codeOf } from '../support/error-code.js';
import { brokerUrl, cleanup, collect, engineOf, makeRoom, uniqueRoom, until, type RoomAttrs } from './helpers.js';

/** Ann and Bob in one room; `bob` attributes on top. */
async function pair(bob: Partial<RoomAttrs> = {}): Promise<[KibitzRoomElement, KibitzRoomElement]> {
  const signaling = await brokerUrl();
  const room = uniqueRoom('limits');
  const a = makeRoom({ room, name: 'Ann', signaling, headless: '' });
  const b = makeRoom({ room, name: 'Bob', signaling, ...bob });
  await a.join();
  await b.join();
  for (const el of [a, b])
    await until(() => el.participants.length === 2 && engineOf(el).link(el === a ? b.selfId! : a.selfId!)?.isOpen === true, 'linked');
  return [a, b];
}

/** A transfer chunk of `bytes` zero bytes. */
function chunk(id: string, bytes: number): Uint8Array {
  const header = transferChunkHeader(id);
  const out = new Uint8Array(header.length + bytes);
  out.set(header);
  return out;
}

const bookkeeping = (el: KibitzRoomElement) => {
  const { transfers, transferBytes } = engineOf(el).inspect();
  return { transfers, transferBytes };
};

describe('files with limits over real data channels', () => {
  afterEach(cleanup);

  it('a rejected offer moves no byte and the sender gets ERR_TRANSFER_REFUSED, with kibitz-error', async () => {
    const [a, b] = await pair({ headless: '' });
    const progress = collect(b, 'kibitz-progress');
    const senderErrors = collect(a, 'kibitz-error');
    b.addEventListener('kibitz-file-offer', (e) => e.detail.reject());
    expect(await codeOf(a.sendFile(new Uint8Array(2_000_000), { to: b.selfId!, name: 'no.bin' }))).to.equal('ERR_TRANSFER_REFUSED');
    expect(senderErrors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_REFUSED']);
    expect(progress, 'no byte reached Bob').to.deep.equal([]);
    expect(bookkeeping(a)).to.deep.equal({ transfers: 0, transferBytes: 0 });
    expect(bookkeeping(b)).to.deep.equal({ transfers: 0, transferBytes: 0 });
  });

  it('a headless element with no listener declines at once', async () => {
    const [a, b] = await pair({ headless: '' });
    const began = performance.now();
    expect(await codeOf(a.sendFile(new Uint8Array(10), { to: b.selfId! }))).to.equal('ERR_TRANSFER_REFUSED');
    expect(performance.now() - began).to.be.below(2000);
  });

  it('a file over the per-file limit is refused with ERR_TRANSFER_LIMIT on both sides, before anyone is asked', async () => {
    const [a, b] = await pair({ 'file-limits': '{"maxFileBytes": 100000}' });
    const offers = collect(b, 'kibitz-file-offer');
    const errors = collect(b, 'kibitz-error');
    expect(await codeOf(a.sendFile(new Uint8Array(100_001), { to: b.selfId!, name: 'big.iso' }))).to.equal('ERR_TRANSFER_LIMIT');
    expect(offers).to.deep.equal([]);
    expect(errors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_LIMIT']);
    expect(errors[0].message).to.contain('"big.iso"');
  });

  it('an endless transfer (more than it announced) is cut off with ERR_TRANSFER_LIMIT and nothing stays held', async () => {
    const [a, b] = await pair({ 'accept-files': 'all' });
    const errors = collect(b, 'kibitz-error');
    const id = '0123456789abcdef';
    const wire = engineOf(a).link(b.selfId!)!;
    wire.sendContent(encodeTransferStart(id, { name: 'endless', type: '', size: 1_000_000 }, true));
    await until(() => bookkeeping(b).transfers === 1, 'Bob accepts');
    for (let i = 0; i < 20; i++) wire.sendContent(chunk(id, 200_000));
    await until(() => errors.length === 1, 'the cut-off');
    expect(errors[0].code).to.equal('ERR_TRANSFER_LIMIT');
    await new Promise((r) => setTimeout(r, 300));
    expect(bookkeeping(b)).to.deep.equal({ transfers: 0, transferBytes: 0 });
  });

  it('a stalled transfer is aborted by the idle timeout with ERR_TRANSFER_STALLED and inspect().transfers returns to 0', async () => {
    const [a, b] = await pair({ 'accept-files': 'all', 'file-limits': '{"idleMs": 800}' });
    const errors = collect(b, 'kibitz-error');
    const id = 'fedcba9876543210';
    const wire = engineOf(a).link(b.selfId!)!;
    wire.sendContent(encodeTransferStart(id, { name: 'stuck', type: '', size: 1_000_000 }, true));
    wire.sendContent(chunk(id, 1000));
    await until(() => bookkeeping(b).transferBytes === 1000, 'the first chunk is held');
    await until(() => errors.length === 1, 'the idle cut-off', 5000);
    expect(errors[0].code).to.equal('ERR_TRANSFER_STALLED');
    expect(bookkeeping(b)).to.deep.equal({ transfers: 0, transferBytes: 0 });
  });

  it('a text/html file arrives as application/octet-stream; a PNG keeps its type', async () => {
    const [a, b] = await pair({ 'accept-files': 'all' });
    const files = collect(b, 'kibitz-file');
    await a.sendFile(new Blob(['<script>parent.pwned = 1</script>'], { type: 'text/html' }), { to: b.selfId!, name: 'x.html' });
    await a.sendFile(new Blob([new Uint8Array(8)], { type: 'image/png' }), { to: b.selfId!, name: 'x.png' });
    await until(() => files.length === 2, 'both files');
    expect(files.map((f) => [f.name, f.type, f.data.type])).to.deep.equal([
      ['x.html', 'application/octet-stream', 'application/octet-stream'],
      ['x.png', 'image/png', 'image/png'],
    ]);
  });

  it("with no listener the element's own prompt asks: Accept brings the file and a Save link, Decline refuses", async () => {
    const [a, b] = await pair();
    const root = b.shadowRoot!;
    const button = (part: string) => root.querySelector<HTMLButtonElement>(`[part~="${part}"]`);
    const payload = new Uint8Array(300_000).fill(7);
    const first = a.sendFile(payload, { to: b.selfId!, name: 'notes.txt', type: 'text/plain' });
    await until(() => button('accept-file') !== null, 'the prompt');
    expect(root.querySelector('[part~="file-offer"]')!.textContent).to.contain('Ann wants to send you notes.txt');
    button('accept-file')!.focus();
    button('accept-file')!.click();
    await first;
    await until(() => root.querySelector('[part~="save-file"]') !== null, 'the Save link');
    const save = root.querySelector<HTMLAnchorElement>('[part~="save-file"]')!;
    expect(save.download).to.equal('notes.txt');
    expect((await (await fetch(save.href)).arrayBuffer()).byteLength).to.equal(payload.length);
    const second = codeOf(a.sendFile(new Uint8Array(10), { to: b.selfId!, name: 'other.bin' }));
    await until(() => button('decline-file') !== null, 'the second prompt');
    button('decline-file')!.click();
    expect(await second).to.equal('ERR_TRANSFER_REFUSED');
    await until(() => root.querySelector('[part~="file-offer"]') === null, 'the prompt goes');
    button('dismiss-file')!.click();
    await until(() => root.querySelector('[part~="files"]') === null, 'the files panel goes');
  });

  it('a listener that calls preventDefault() keeps the prompt away and may decide later', async () => {
    const [a, b] = await pair();
    let later: (() => void) | null = null;
    b.addEventListener('kibitz-file-offer', (e) => {
      e.preventDefault();
      later = e.detail.accept;
    });
    const files = collect(b, 'kibitz-file');
    const sending = a.sendFile(new Uint8Array(1000), { to: b.selfId! });
    await until(() => later !== null, 'the offer');
    await new Promise((r) => setTimeout(r, 200));
    expect(b.shadowRoot!.querySelector('[part~="file-offer"]')).to.equal(null);
    later!();
    await sending;
    await until(() => files.length === 1, 'the file');
  });
});
