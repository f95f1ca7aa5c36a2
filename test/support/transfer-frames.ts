// Raw transfer frames for tests that drive the receiving side directly.
import { transferChunkHeader } from '../../src/engine/protocol.js';

/** A chunk frame of transfer `id` carrying `bytes` zero bytes. */
export function chunkFrame(id: string, bytes: number): ArrayBuffer {
  const header = transferChunkHeader(id);
  const out = new Uint8Array(header.length + bytes);
  out.set(header);
  return out.buffer;
}
