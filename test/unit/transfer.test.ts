import { expect } from '@open-wc/testing';
import { Inbound } from '../../src/engine/transfer.js';
import { decodeContent, encodeTransferEnd, encodeTransferStart, transferChunkHeader } from '../../src/engine/protocol.js';

const id = (n: number) => n.toString(16).padStart(16, '0');
const frame = (raw: string | ArrayBuffer) => decodeContent(raw) as Parameters<Inbound['handle']>[2];

function chunk(transfer: string, bytes: number[]): ArrayBuffer {
  const header = transferChunkHeader(transfer);
  const out = new Uint8Array(header.length + bytes.length);
  out.set(header);
  out.set(bytes, header.length);
  return out.buffer;
}

describe('incoming transfers', () => {
  it('reassembles a file from its chunks and reports progress', async () => {
    const inbound = new Inbound();
    expect(inbound.handle('a', 'me', frame(encodeTransferStart(id(1), { name: 'f.bin', type: 'x/y', size: 5 }, true)))).to.deep.equal({
      progress: { id: id(1), received: 0, total: 5 },
    });
    inbound.handle('a', 'me', frame(chunk(id(1), [1, 2, 3])));
    inbound.handle('a', 'me', frame(chunk(id(1), [4, 5])));
    const done = inbound.handle('a', 'me', frame(encodeTransferEnd(id(1))));
    expect(done && 'file' in done).to.equal(true);
    const file = (done as { file: { data: Blob; to: string | null; name: string } }).file;
    expect(file.to).to.equal('me');
    expect(file.name).to.equal('f.bin');
    expect([...new Uint8Array(await file.data.arrayBuffer())]).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('drops a transfer that overruns or underruns its announced size', () => {
    const inbound = new Inbound();
    inbound.handle('a', 'me', frame(encodeTransferStart(id(2), { name: '', type: '', size: 2 }, false)));
    expect(inbound.handle('a', 'me', frame(chunk(id(2), [1, 2, 3])))).to.equal(null);
    expect(inbound.pending).to.equal(0);
    inbound.handle('a', 'me', frame(encodeTransferStart(id(3), { name: '', type: '', size: 4 }, false)));
    inbound.handle('a', 'me', frame(chunk(id(3), [1])));
    expect(inbound.handle('a', 'me', frame(encodeTransferEnd(id(3))))).to.equal(null);
  });

  it('caps the transfers one sender may keep open, without touching other senders', () => {
    const inbound = new Inbound();
    for (let n = 0; n < 40; n++) inbound.handle('rogue', 'me', frame(encodeTransferStart(id(n), { name: '', type: '', size: 10 }, false)));
    expect(inbound.pending).to.equal(16);
    expect(inbound.handle('friend', 'me', frame(encodeTransferStart(id(99), { name: '', type: '', size: 1 }, false)))).to.not.equal(null);
    inbound.forget('rogue');
    expect(inbound.pending).to.equal(1);
  });
});
