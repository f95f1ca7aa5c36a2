import { expect } from '@open-wc/testing';
import { ManualClock } from '../../src/engine/clock.js';
import type { KibitzErrorCode } from '../../src/errors.js';
import { Inbound } from '../../src/engine/transfer-in.js';
import {
  DEFAULT_FILE_LIMITS,
  MAX_OPEN_PER_SENDER,
  resolveAcceptFiles,
  resolveFileLimits,
  safeFileType,
  type AcceptFiles,
  type FileLimits,
  type FileOffer,
  type IncomingFile,
} from '../../src/engine/transfer.js';
import {
  decodeContent,
  encodeTransferAnswer,
  encodeTransferEnd,
  encodeTransferStart,
  transferChunkHeader,
} from '../../src/engine/protocol.js';

const id = (n: number) => n.toString(16).padStart(16, '0');
const frame = (raw: string | ArrayBuffer) => decodeContent(raw) as Parameters<Inbound['handle']>[1];
const start = (n: number, size: number, meta: { name?: string; type?: string } = {}, direct = false) =>
  frame(encodeTransferStart(id(n), { name: meta.name ?? '', type: meta.type ?? '', size }, direct));

function chunk(transfer: string, bytes: number[]): ArrayBuffer {
  const header = transferChunkHeader(transfer);
  const out = new Uint8Array(header.length + bytes.length);
  out.set(header);
  out.set(bytes, header.length);
  return out.buffer;
}

/** An Inbound with a recording host. */
function receiver(policy: AcceptFiles, limits: Partial<FileLimits> = {}) {
  const clock = new ManualClock();
  const seen = {
    replies: [] as { to: string; frame: string }[],
    offers: [] as FileOffer[],
    files: [] as IncomingFile[],
    errors: [] as { code: KibitzErrorCode; message: string }[],
    progress: [] as number[],
    malformed: 0,
  };
  const inbound = new Inbound(
    {
      clock,
      limits: { ...DEFAULT_FILE_LIMITS, ...limits },
      policy,
      who: (peerId) => `peer ${peerId}`,
      reply: (to, f) => seen.replies.push({ to, frame: f }),
      offer: (o) => seen.offers.push(o),
      progress: (_id, _from, received) => seen.progress.push(received),
      file: (f) => seen.files.push(f),
      error: (code, message) => seen.errors.push({ code, message }),
      malformed: () => seen.malformed++,
    },
    'me',
  );
  return { clock, inbound, seen };
}

describe('incoming transfers', () => {
  it('reassembles an accepted file from its chunks and reports progress', async () => {
    const { inbound, seen } = receiver('all');
    inbound.handle('a', start(1, 5, { name: 'f.bin', type: 'image/png' }, true));
    expect(seen.replies).to.deep.equal([{ to: 'a', frame: encodeTransferAnswer(id(1)) }]);
    inbound.handle('a', frame(chunk(id(1), [1, 2, 3])));
    inbound.handle('a', frame(chunk(id(1), [4, 5])));
    expect(inbound.bufferedBytes).to.equal(5);
    inbound.handle('a', frame(encodeTransferEnd(id(1))));
    expect(seen.progress).to.deep.equal([0, 3, 5]);
    const [file] = seen.files;
    expect(file).to.deep.include({ to: 'me', name: 'f.bin', type: 'image/png', size: 5 });
    expect(file.data.type).to.equal('image/png');
    expect([...new Uint8Array(await file.data.arrayBuffer())]).to.deep.equal([1, 2, 3, 4, 5]);
    expect(inbound.pending).to.equal(0);
    expect(inbound.reservedBytes).to.equal(0);
  });

  it('asks before taking anything: chunks of an undecided offer are dropped, accept() lets them in', () => {
    const { inbound, seen } = receiver('ask');
    inbound.handle('a', start(1, 3, { name: 'note.txt', type: 'text/plain' }));
    expect(seen.replies).to.deep.equal([]);
    expect(seen.offers.map((o) => ({ id: o.id, peerId: o.peerId, name: o.name, size: o.size }))).to.deep.equal([
      { id: id(1), peerId: 'a', name: 'note.txt', size: 3 },
    ]);
    inbound.handle('a', frame(chunk(id(1), [1, 2, 3])));
    expect(inbound.bufferedBytes).to.equal(0);
    seen.offers[0].accept();
    seen.offers[0].accept();
    expect(seen.replies.map((r) => r.frame)).to.deep.equal([encodeTransferAnswer(id(1))]);
    inbound.handle('a', frame(chunk(id(1), [1, 2, 3])));
    inbound.handle('a', frame(encodeTransferEnd(id(1))));
    expect(seen.files).to.have.length(1);
  });

  it('a rejected offer answers `declined`, holds nothing and settles', async () => {
    const { inbound, seen } = receiver('ask');
    inbound.handle('a', start(1, 3));
    seen.offers[0].reject();
    expect(seen.replies.map((r) => r.frame)).to.deep.equal([encodeTransferAnswer(id(1), 'declined')]);
    expect(await seen.offers[0].settled).to.equal('declined');
    seen.offers[0].accept();
    expect(seen.replies).to.have.length(1);
    expect(inbound.pending).to.equal(0);
  });

  it('an undecided offer expires after offerMs', async () => {
    const { clock, inbound, seen } = receiver('ask', { offerMs: 5000 });
    inbound.handle('a', start(1, 3));
    await clock.advance(4999);
    expect(inbound.pending).to.equal(1);
    await clock.advance(1);
    expect(seen.replies.map((r) => r.frame)).to.deep.equal([encodeTransferAnswer(id(1), 'expired')]);
    expect(await seen.offers[0].settled).to.equal('expired');
    expect(inbound.pending).to.equal(0);
    expect(clock.pending()).to.equal(0);
  });

  it('policy `none` declines every offer without asking', () => {
    const { inbound, seen } = receiver('none');
    inbound.handle('a', start(1, 3));
    expect(seen.offers).to.deep.equal([]);
    expect(seen.replies.map((r) => r.frame)).to.deep.equal([encodeTransferAnswer(id(1), 'declined')]);
    expect(inbound.pending).to.equal(0);
  });

  it('cuts off a transfer that sends more than it announced, and drops one that ends short', () => {
    const { inbound, seen } = receiver('all');
    inbound.handle('a', start(2, 2));
    inbound.handle('a', frame(chunk(id(2), [1, 2, 3])));
    expect(inbound.pending).to.equal(0);
    expect(seen.replies.at(-1)!.frame).to.equal(encodeTransferAnswer(id(2), 'limit'));
    expect((seen.errors[0] as { code?: string }).code).to.equal('ERR_TRANSFER_LIMIT');
    expect(seen.errors[0].message).to.match(/more than the 2 bytes it announced/);
    inbound.handle('a', start(3, 4));
    inbound.handle('a', frame(chunk(id(3), [1])));
    inbound.handle('a', frame(encodeTransferEnd(id(3))));
    expect(seen.files).to.deep.equal([]);
    expect(seen.malformed).to.equal(1);
    expect(inbound.reservedBytes).to.equal(0);
  });

  it('refuses a file over the per-file limit before asking', () => {
    const { inbound, seen } = receiver('ask', { maxFileBytes: 100 });
    inbound.handle('a', start(1, 101, { name: 'big.iso' }));
    expect(seen.offers).to.deep.equal([]);
    expect(seen.replies.map((r) => r.frame)).to.deep.equal([encodeTransferAnswer(id(1), 'limit')]);
    expect((seen.errors[0] as { code?: string }).code).to.equal('ERR_TRANSFER_LIMIT');
    expect(seen.errors[0].message).to.contain('"big.iso"').and.contain('limit per file');
  });

  it('an accepted transfer that goes quiet for idleMs is cut off, however it started', async () => {
    const { clock, inbound, seen } = receiver('all', { idleMs: 1000 });
    inbound.handle('a', start(1, 10));
    await clock.advance(900);
    inbound.handle('a', frame(chunk(id(1), [1, 2])));
    await clock.advance(900);
    expect(inbound.pending, 'a chunk 900 ms ago keeps it alive').to.equal(1);
    await clock.advance(100);
    expect(inbound.pending).to.equal(0);
    expect(seen.replies.at(-1)!.frame).to.equal(encodeTransferAnswer(id(1), 'stalled'));
    expect((seen.errors[0] as { code?: string }).code).to.equal('ERR_TRANSFER_STALLED');
    expect(inbound.bufferedBytes).to.equal(0);
    expect(clock.pending()).to.equal(0);
  });

  it('keeps one sender within its budget and all senders within the total, counting announced sizes', () => {
    const { inbound, seen } = receiver('all', { maxFileBytes: 100, maxSenderBytes: 150, maxTotalBytes: 200 });
    inbound.handle('a', start(1, 60));
    inbound.handle('a', start(2, 60));
    inbound.handle('a', start(3, 60));
    inbound.handle('c', start(4, 60));
    inbound.handle('c', start(5, 60));
    const answers = seen.replies.map((r) => `${r.to}:${JSON.parse(r.frame).x}`);
    expect(answers).to.deep.equal(['a:accept', 'a:accept', 'a:refuse', 'c:accept', 'c:refuse']);
    expect(seen.errors.map((e) => e.code)).to.deep.equal(['ERR_TRANSFER_LIMIT', 'ERR_TRANSFER_LIMIT']);
    expect(seen.errors[0].message).to.contain("one sender's files");
    expect(seen.errors[1].message).to.contain('incoming files may hold at most');
    expect(inbound.reservedBytes).to.equal(180);
    // A finished transfer frees its share.
    inbound.handle('a', frame(chunk(id(1), new Array(60).fill(7))));
    inbound.handle('a', frame(encodeTransferEnd(id(1))));
    inbound.handle('c', start(6, 60));
    expect(JSON.parse(seen.replies.at(-1)!.frame).x).to.equal('accept');
  });

  it(`caps the offers one sender may keep open at ${MAX_OPEN_PER_SENDER}, without touching other senders`, () => {
    const { inbound, seen } = receiver('ask');
    for (let n = 0; n < 40; n++) inbound.handle('rogue', start(n, 10));
    expect(inbound.pending).to.equal(MAX_OPEN_PER_SENDER);
    inbound.handle('friend', start(99, 1));
    expect(seen.offers.at(-1)!.peerId).to.equal('friend');
    inbound.forget('rogue');
    expect(inbound.pending).to.equal(1);
  });

  it('an offer withdrawn by its sender or by its departure settles `withdrawn`', async () => {
    const { clock, inbound, seen } = receiver('ask');
    inbound.handle('a', start(1, 3));
    inbound.handle('a', start(2, 3));
    inbound.handle('a', frame(encodeTransferEnd(id(1), true)));
    inbound.forget('a');
    expect(await Promise.all(seen.offers.map((o) => o.settled))).to.deep.equal(['withdrawn', 'withdrawn']);
    expect(clock.pending()).to.equal(0);
  });
});

describe('received file types', () => {
  it('keeps types on the safe list, without parameters, and turns the rest into octet-stream', () => {
    expect(safeFileType('image/PNG')).to.equal('image/png');
    expect(safeFileType('text/plain; charset=utf-8')).to.equal('text/plain');
    expect(safeFileType('application/pdf')).to.equal('application/pdf');
    for (const active of [
      'text/html',
      'image/svg+xml',
      'application/xhtml+xml',
      'text/javascript',
      'application/xml',
      'text/xml',
      '',
      'text/html;x=text/plain',
    ]) {
      expect(safeFileType(active), active).to.equal('application/octet-stream');
    }
  });
});

describe('file options', () => {
  it('fills defaults and rejects unknown or non-positive limits and policies, naming the attribute', () => {
    expect(resolveFileLimits(undefined)).to.deep.equal(DEFAULT_FILE_LIMITS);
    expect(resolveFileLimits({ maxFileBytes: 10 }).maxFileBytes).to.equal(10);
    for (const bad of [{ maxFileBytes: 0 }, { idleMs: 1.5 }, { maxBytes: 1 }, { offerMs: '5' }]) {
      let caught: unknown;
      try {
        resolveFileLimits(bad as Partial<FileLimits>);
      } catch (err) {
        caught = err;
      }
      expect((caught as { code?: string }).code).to.equal('ERR_BAD_ATTRIBUTE');
      expect((caught as Error).message).to.match(/^file-limits:/);
    }
    expect(resolveAcceptFiles('all')).to.equal('all');
    expect(() => resolveAcceptFiles('some')).to.throw(/accept-files/);
  });
});
