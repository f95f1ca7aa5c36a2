// Regenerates test/vectors/host-commands.json. The encoder here is written independently of
// src/crypto/command.ts on purpose: the unit tests then check that the two agree byte for byte.
// Run only when the host command protocol version changes: the file is frozen otherwise.
//   node scripts/make-vectors.mjs > test/vectors/host-commands.json
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';

const enc = new TextEncoder();
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
const digest = (label) => sha256(enc.encode(label));

const u32 = (n) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
};
const str = (s) => {
  const bytes = enc.encode(s);
  return [u32(bytes.length), bytes];
};
const u64 = (n) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
};
function encode(c) {
  const parts = [...str(c.p), Uint8Array.of(c.v), ...str(c.room), ...str(c.op), ...str(c.target), ...str(c.fp), u64(c.iat), ...str(c.id)];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

const normRoom = (name) => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
const colonHex = (bytes) => hex(bytes).match(/../g).join(':');

const secretKey = digest('kibitz/host-command-vectors/v1/secret-key');
if (!p256.utils.isValidSecretKey(secretKey)) throw new Error('pick another label');
const publicKey = b64url(p256.getPublicKey(secretKey, true));

const fpA = digest('kibitz/vectors/fingerprint-a');
const fpB = digest('kibitz/vectors/fingerprint-b');
const id = (n) => b64url(digest(`kibitz/vectors/id-${n}`).subarray(0, 16));

const cases = [
  {
    description: 'claim, room-wide (empty target)',
    input: { room: 'Team Standup', op: 'claim', fp: colonHex(fpA).toUpperCase(), now: 1767225600000, id: id(1) },
  },
  {
    description: 'kick a peer; fingerprint given with the SDP "sha-256 " prefix',
    input: {
      room: 'team standup',
      op: 'kick',
      target: 'p-7f3a9c',
      fp: 'sha-256 ' + colonHex(fpA).toUpperCase(),
      now: 1767225612345,
      id: id(2),
    },
  },
  {
    description: 'lobby-on in a Unicode room that needs NFKC, trimming and whitespace folding',
    input: { room: '  Café ☕  東京 Ｒｏｏｍ ', op: 'lobby-on', fp: hex(fpB), now: 1767225699999, id: id(3) },
  },
  {
    description: 'admit with a Unicode target',
    input: { room: 'café ☕ 東京 room', op: 'admit', target: 'gäst-😀', fp: colonHex(fpB), now: 1767225700000, id: id(4) },
  },
  {
    description: 'unlock at the largest safe-integer iat (exercises the high word of u64be)',
    input: { room: 'x', op: 'unlock', fp: colonHex(fpA), now: Number.MAX_SAFE_INTEGER, id: id(5) },
  },
  {
    description: 'reset with a longer caller-chosen id',
    input: { room: 'team standup', op: 'reset', fp: colonHex(fpA), now: 1767225800000, id: b64url(digest('kibitz/vectors/id-6')) },
  },
];

const vectors = cases.map(({ description, input }) => {
  const command = {
    p: 'kibitz-host',
    v: 1,
    room: normRoom(input.room),
    op: input.op,
    target: input.target ?? '',
    fp: colonHex(Buffer.from(input.fp.replace(/^sha-256\s+/i, '').replace(/:/g, ''), 'hex')),
    iat: input.now,
    id: input.id,
  };
  const encoding = encode(command);
  const sig = p256.sign(encoding, secretKey);
  if (!p256.verify(sig, encoding, p256.getPublicKey(secretKey))) throw new Error('self-check failed');
  return { description, input, command, encoding: hex(encoding), sig: b64url(sig) };
});

const file = {
  about:
    'Frozen golden vectors for signed host commands (protocol "kibitz-host" v1). Changing any vector, ' +
    'the encoding or the signature scheme is a protocol version bump: add a v2 file, never edit this one.',
  scheme: 'ECDSA P-256, SHA-256 prehash, RFC 6979 deterministic k, low-S, 64-byte compact r||s, base64url',
  encoding:
    'str("kibitz-host") u8(1) str(room) str(op) str(target) str(fp) u64be(iat) str(id); ' +
    'str(s) = u32be(UTF-8 byte length) || UTF-8 bytes',
  secretKey: hex(secretKey),
  publicKey,
  vectors,
};
process.stdout.write(JSON.stringify(file, null, 2) + '\n');
