import { expect } from '@open-wc/testing';
import { p256 } from '@noble/curves/nist.js';
import {
  COMMAND_MAX_AGE_MS,
  COMMAND_MAX_FUTURE_MS,
  HOST_OPS,
  ReplayGuard,
  createHostCommand,
  encodeHostCommand,
  normalizeFingerprint,
  signHostCommand,
  verifyHostCommand,
} from '../../src/crypto/command.js';
import type { HostCommand, HostOp, SignedHostCommand } from '../../src/crypto/command.js';
import { buf, fromBase64Url, fromHex, toBase64Url, toHex } from '../../src/crypto/bytes.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { KibitzError } from '../../src/errors.js';

interface Vector {
  description: string;
  input: { room: string; op: HostOp; target?: string; fp: string; now: number; id: string };
  command: HostCommand;
  encoding: string;
  sig: string;
}
interface VectorFile {
  secretKey: string;
  publicKey: string;
  vectors: Vector[];
}

const FP = 'sha-256 ' + Array.from({ length: 32 }, (_, i) => (i * 7 + 3).toString(16).padStart(2, '0').toUpperCase()).join(':');
const FP_NORMAL = FP.slice('sha-256 '.length).toLowerCase();
const OTHER_FP = Array.from({ length: 32 }, () => 'ab').join(':');
const NOW = 1_767_225_600_000;

function fixture(overrides: Partial<Parameters<typeof createHostCommand>[0]> = {}) {
  const host = generateHostKey();
  const seen = new ReplayGuard();
  const sign = (more: Partial<Parameters<typeof createHostCommand>[0]> = {}): SignedHostCommand =>
    signHostCommand(
      createHostCommand({ room: 'Team Standup', op: 'kick', target: 'peer-2', fp: FP, now: NOW, ...overrides, ...more }),
      host.secretKey,
    );
  const ctx = { hostKey: host.publicKey, room: 'team standup', liveFingerprint: FP, now: NOW, seen };
  return { host, seen, sign, ctx };
}

function expectCode(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(KibitzError);
  expect((caught as KibitzError).code).to.equal(code);
}

describe('host commands: golden vectors', () => {
  let file: VectorFile;
  before(async () => {
    const response = await fetch(new URL('../vectors/host-commands.json', import.meta.url));
    file = (await response.json()) as VectorFile;
  });

  it('holds a key pair whose public key matches its secret key', () => {
    const secretKey = fromHex(file.secretKey)!;
    expect(toBase64Url(p256.getPublicKey(secretKey, true))).to.equal(file.publicKey);
    expect(file.vectors.length).to.be.greaterThanOrEqual(5);
  });

  it('creates each vector command from its raw input, normalising room and fingerprint', () => {
    for (const v of file.vectors) expect(createHostCommand(v.input), v.description).to.deep.equal(v.command);
  });

  it('reproduces each frozen encoding byte for byte', () => {
    for (const v of file.vectors) expect(toHex(encodeHostCommand(v.command)), v.description).to.equal(v.encoding);
  });

  it('reproduces each frozen signature exactly (RFC 6979 is deterministic)', () => {
    const secretKey = fromHex(file.secretKey)!;
    for (const v of file.vectors) {
      expect(signHostCommand(v.command, secretKey), v.description).to.deep.equal({ ...v.command, sig: v.sig });
    }
  });

  it('accepts every vector when room, fingerprint and clock match', () => {
    for (const v of file.vectors) {
      const result = verifyHostCommand(
        { ...v.command, sig: v.sig },
        { hostKey: file.publicKey, room: v.input.room, liveFingerprint: v.input.fp, now: v.command.iat, seen: new ReplayGuard() },
      );
      expect(result, v.description).to.deep.equal({ ok: true, command: { ...v.command, sig: v.sig } });
    }
  });

  it('has signatures that WebCrypto, an independent ECDSA implementation, also accepts', async () => {
    const uncompressed = p256.Point.fromBytes(fromBase64Url(file.publicKey)!).toBytes(false);
    const key = await crypto.subtle.importKey('raw', buf(uncompressed), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'verify',
    ]);
    for (const v of file.vectors) {
      const ok = await crypto.subtle.verify(
        { name: 'ECDSA', hash: 'SHA-256' },
        key,
        buf(fromBase64Url(v.sig)!),
        buf(fromHex(v.encoding)!),
      );
      expect(ok, v.description).to.equal(true);
    }
  });
});

describe('host commands: encoding', () => {
  it('does not depend on the key order of the command object', () => {
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    const reversed = Object.fromEntries(Object.entries(cmd).reverse()) as unknown as HostCommand;
    expect(toHex(encodeHostCommand(reversed))).to.equal(toHex(encodeHostCommand(cmd)));
  });

  it('gives different bytes when content shifts between adjacent fields', () => {
    const a = createHostCommand({ room: 'r', op: 'kick', target: 'ab', fp: FP, now: NOW });
    const shifted = { ...a, room: 'ra', target: 'b' };
    expect(toHex(encodeHostCommand(a))).to.not.equal(toHex(encodeHostCommand(shifted)));
  });

  it('refuses to encode a field holding a lone surrogate, which UTF-8 could not keep distinct', () => {
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    expectCode(() => encodeHostCommand({ ...cmd, target: '\ud800' }), 'ERR_BAD_COMMAND');
  });
});

describe('host commands: creation', () => {
  it('normalises room and fingerprint and draws a fresh 16-byte id each time', () => {
    const a = createHostCommand({ room: '  Team  STANDUP ', op: 'claim', fp: FP, now: NOW + 0.9 });
    const b = createHostCommand({ room: 'team standup', op: 'claim', fp: FP, now: NOW });
    expect(a.room).to.equal('team standup');
    expect(a.fp).to.equal(FP_NORMAL);
    expect(a.target).to.equal('');
    expect(a.iat).to.equal(NOW);
    expect(fromBase64Url(a.id)!.length).to.equal(16);
    expect(a.id).to.not.equal(b.id);
  });

  it('refuses a signer fingerprint that is not SHA-256, an unknown op or a short id', () => {
    expectCode(() => createHostCommand({ room: 'r', op: 'lock', fp: 'ab:cd', now: NOW }), 'ERR_BAD_COMMAND');
    expectCode(() => createHostCommand({ room: 'r', op: 'nuke' as HostOp, fp: FP, now: NOW }), 'ERR_BAD_COMMAND');
    expectCode(() => createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW, id: 'x1' }), 'ERR_BAD_COMMAND');
    expectCode(() => createHostCommand({ room: 'r', op: 'lock', fp: FP, now: Number.NaN }), 'ERR_BAD_COMMAND');
  });

  it('refuses to sign with something that is not a P-256 secret key', () => {
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    expectCode(() => signHostCommand(cmd, new Uint8Array(32)), 'ERR_BAD_KEY');
    expectCode(() => signHostCommand(cmd, new Uint8Array(31).fill(1)), 'ERR_BAD_KEY');
  });

  it('lists exactly the nine host ops', () => {
    expect([...HOST_OPS]).to.deep.equal(['claim', 'lobby-on', 'lobby-off', 'admit', 'deny', 'lock', 'unlock', 'kick', 'reset']);
  });
});

describe('normalizeFingerprint', () => {
  const hex = FP_NORMAL.replace(/:/g, '');

  it('maps SDP, getStats and bare-hex spellings to one lowercase colon form', () => {
    for (const spelling of [FP, FP.toLowerCase(), FP.slice(8), hex, hex.toUpperCase(), `  SHA-256 ${FP.slice(8)} `]) {
      expect(normalizeFingerprint(spelling), spelling).to.equal(FP_NORMAL);
    }
  });

  it('returns empty for anything that is not 32 bytes of hex', () => {
    for (const bad of ['', 'sha-256', hex.slice(2), hex + 'ab', hex.replace('0', 'g'), 'sha-1 ' + hex, hex.slice(0, 4) + ':' + hex.slice(4)]) {
      expect(normalizeFingerprint(bad), bad).to.equal('');
    }
    expect(normalizeFingerprint(null as unknown as string)).to.equal('');
  });
});

describe('host commands: verification', () => {
  it('accepts a genuine command and returns only the signed fields', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    const result = verifyHostCommand({ ...cmd, extra: 'ignored', admin: true }, ctx);
    expect(result).to.deep.equal({ ok: true, command: cmd });
  });

  it('accepts the host key as bytes as well as base64url', () => {
    const { sign, ctx, host } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, hostKey: fromBase64Url(host.publicKey)! }).ok).to.equal(true);
  });

  it('rejects a command signed by another key as a bad signature', () => {
    const { ctx } = fixture();
    const forger = generateHostKey();
    const forged = signHostCommand(createHostCommand({ room: 'team standup', op: 'kick', target: 'peer-2', fp: FP, now: NOW }), forger.secretKey);
    expect(verifyHostCommand(forged, ctx)).to.deep.equal({ ok: false, reason: 'signature' });
  });

  it('rejects everything when the committed host key is unusable', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, hostKey: 'not-a-key' })).to.deep.equal({ ok: false, reason: 'signature' });
    expect(verifyHostCommand(sign(), { ...ctx, hostKey: new Uint8Array(33) })).to.deep.equal({ ok: false, reason: 'signature' });
  });

  it('rejects a command signed for another room', () => {
    const { sign, ctx } = fixture({ room: 'other room' });
    expect(verifyHostCommand(sign(), ctx)).to.deep.equal({ ok: false, reason: 'room' });
  });

  it('matches the room after normalising the verifier room name', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, room: '  TEAM   Standup' }).ok).to.equal(true);
  });

  it('rejects a command bound to a different certificate than the live connection', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, liveFingerprint: OTHER_FP })).to.deep.equal({ ok: false, reason: 'binding' });
  });

  it('rejects any command while the live fingerprint is unknown', () => {
    for (const liveFingerprint of [null, undefined, '', 'garbage']) {
      const { sign, ctx } = fixture();
      expect(verifyHostCommand(sign(), { ...ctx, liveFingerprint })).to.deep.equal({ ok: false, reason: 'binding' });
    }
  });

  it('compares fingerprints after normalising both spellings', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, liveFingerprint: FP_NORMAL.replace(/:/g, '').toUpperCase() }).ok).to.equal(true);
  });

  it('rejects a command issued 121 s ago as stale and accepts one exactly 120 s old', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign({ now: NOW - 121_000 }), ctx)).to.deep.equal({ ok: false, reason: 'stale' });
    expect(verifyHostCommand(sign({ now: NOW - COMMAND_MAX_AGE_MS }), ctx).ok).to.equal(true);
  });

  it('rejects a command issued 61 s in the future and accepts one exactly 60 s ahead', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign({ now: NOW + 61_000 }), ctx)).to.deep.equal({ ok: false, reason: 'future' });
    expect(verifyHostCommand(sign({ now: NOW + COMMAND_MAX_FUTURE_MS }), ctx).ok).to.equal(true);
  });

  it('rejects everything as stale when the verifier clock is not a number', () => {
    const { sign, ctx } = fixture();
    expect(verifyHostCommand(sign(), { ...ctx, now: Number.NaN })).to.deep.equal({ ok: false, reason: 'stale' });
  });

  it('accepts a command once and rejects the same id again as a replay', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    expect(verifyHostCommand(cmd, ctx).ok).to.equal(true);
    expect(verifyHostCommand(cmd, { ...ctx, now: NOW + 1 })).to.deep.equal({ ok: false, reason: 'replay' });
    expect(verifyHostCommand(cmd, { ...ctx, now: NOW + COMMAND_MAX_AGE_MS })).to.deep.equal({ ok: false, reason: 'replay' });
  });

  it('does not remember a rejected command, so a forgery cannot burn a genuine id', () => {
    const { sign, ctx } = fixture();
    const genuine = sign();
    const forger = generateHostKey();
    const forged = signHostCommand({ ...genuine }, forger.secretKey);
    expect(verifyHostCommand(forged, ctx)).to.deep.equal({ ok: false, reason: 'signature' });
    expect(verifyHostCommand(genuine, { ...ctx, liveFingerprint: OTHER_FP })).to.deep.equal({ ok: false, reason: 'binding' });
    expect(verifyHostCommand(genuine, { ...ctx, now: NOW - 61_000 })).to.deep.equal({ ok: false, reason: 'future' });
    expect(ctx.seen.has(genuine.id)).to.equal(false);
    expect(verifyHostCommand(genuine, ctx).ok).to.equal(true);
  });

  it('rejects any single flipped byte of the signature', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    const sig = fromBase64Url(cmd.sig)!;
    for (let i = 0; i < sig.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const flipped = sig.slice();
        flipped[i] ^= mask;
        const result = verifyHostCommand({ ...cmd, sig: toBase64Url(flipped) }, ctx);
        expect(result, `byte ${i} ^ ${mask}`).to.deep.equal({ ok: false, reason: 'signature' });
      }
    }
    expect(ctx.seen.size).to.equal(0);
  });

  it('rejects any single changed character of the signature text, including non-canonical spellings', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    for (let i = 0; i < cmd.sig.length; i++) {
      for (const c of ['A', 'B', 'f', 'g', '-', '_', '0']) {
        if (cmd.sig[i] === c) continue;
        const sig = cmd.sig.slice(0, i) + c + cmd.sig.slice(i + 1);
        expect(verifyHostCommand({ ...cmd, sig }, ctx).ok, `char ${i} -> ${c}`).to.equal(false);
      }
    }
  });

  it('rejects a change to any signed field', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    const changes: Array<[keyof HostCommand, unknown, string]> = [
      ['room', 'team standuq', 'signature'],
      ['op', 'reset', 'signature'],
      ['target', 'peer-3', 'signature'],
      ['target', '', 'signature'],
      ['fp', OTHER_FP, 'signature'],
      ['fp', FP, 'signature'],
      ['iat', cmd.iat + 1, 'signature'],
      ['id', cmd.id.slice(0, -1) + (cmd.id.endsWith('A') ? 'B' : 'A'), 'signature'],
      ['p', 'kibitz-hosts', 'malformed'],
      ['v', 2, 'malformed'],
    ];
    for (const [field, value, reason] of changes) {
      expect(verifyHostCommand({ ...cmd, [field]: value }, ctx), `${field} = ${String(value)}`).to.deep.equal({
        ok: false,
        reason,
      });
    }
    for (const op of HOST_OPS.filter((o) => o !== cmd.op)) {
      expect(verifyHostCommand({ ...cmd, op }, ctx), op).to.deep.equal({ ok: false, reason: 'signature' });
    }
    expect(verifyHostCommand(cmd, ctx).ok).to.equal(true);
  });

  it('rejects malformed input as malformed and never throws', () => {
    const { sign, ctx } = fixture();
    const cmd = sign();
    const hostile = Object.defineProperty({ ...cmd }, 'room', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    const inputs: unknown[] = [
      null,
      undefined,
      0,
      true,
      'kibitz-host',
      JSON.stringify(cmd),
      [],
      Object.values(cmd),
      {},
      hostile,
      new Proxy({}, { get: () => { throw new Error('boom'); } }),
      ...(Object.keys(cmd) as Array<keyof SignedHostCommand>).map((key) => {
        const copy: Record<string, unknown> = { ...cmd };
        delete copy[key];
        return copy;
      }),
      { ...cmd, p: 1 },
      { ...cmd, v: '1' },
      { ...cmd, room: 42 },
      { ...cmd, room: '' },
      { ...cmd, room: 'x'.repeat(1_000_000) },
      { ...cmd, room: 'team \ud800standup' },
      { ...cmd, op: 'nuke' },
      { ...cmd, op: 'KICK' },
      { ...cmd, op: ['kick'] },
      { ...cmd, target: null },
      { ...cmd, target: 'x'.repeat(257) },
      { ...cmd, fp: 7 },
      { ...cmd, fp: 'f'.repeat(129) },
      { ...cmd, iat: String(cmd.iat) },
      { ...cmd, iat: cmd.iat + 0.5 },
      { ...cmd, iat: -1 },
      { ...cmd, iat: Number.NaN },
      { ...cmd, iat: Number.MAX_SAFE_INTEGER + 2 },
      { ...cmd, id: 'short' },
      { ...cmd, id: 'x'.repeat(65) },
      { ...cmd, id: 'has space in it......' },
      { ...cmd, sig: '' },
      { ...cmd, sig: cmd.sig + 'A' },
      { ...cmd, sig: cmd.sig.slice(1) },
      { ...cmd, sig: cmd.sig.replace(/.$/, '+') },
      { ...cmd, sig: toBase64Url(p256.Signature.fromBytes(fromBase64Url(cmd.sig)!).toBytes('der')) },
      { ...cmd, sig: fromBase64Url(cmd.sig) },
    ];
    for (const [i, input] of inputs.entries()) {
      let result: unknown;
      expect(() => (result = verifyHostCommand(input, ctx)), `input ${i}`).to.not.throw();
      expect(result, `input ${i}`).to.deep.equal({ ok: false, reason: 'malformed' });
    }
    expect(ctx.seen.size).to.equal(0);
  });

  it('never throws even when the verifier context is broken', () => {
    const { sign, ctx } = fixture();
    const broken = { ...ctx, seen: null as unknown as ReplayGuard };
    expect(() => verifyHostCommand(sign(), broken)).to.not.throw();
    expect(verifyHostCommand(sign(), broken).ok).to.equal(false);
  });
});

describe('ReplayGuard', () => {
  it('forgets ids once they are older than its window and keeps younger ones', () => {
    const guard = new ReplayGuard(180_000);
    guard.remember('old', NOW - 180_001);
    guard.remember('edge', NOW - 180_000);
    guard.remember('new', NOW);
    guard.prune(NOW);
    expect([guard.has('old'), guard.has('edge'), guard.has('new')]).to.deep.equal([false, true, true]);
    expect(guard.size).to.equal(2);
  });

  it('stays bounded under a steady stream of accepted commands', () => {
    const { sign, ctx } = fixture();
    for (let t = 0; t < 600; t++) {
      const now = NOW + t * 1_000;
      expect(verifyHostCommand(sign({ now }), { ...ctx, now }).ok).to.equal(true);
    }
    expect(ctx.seen.size).to.be.at.most(181);
  });

  it('refuses a window shorter than the freshness window it must cover', () => {
    expectCode(() => new ReplayGuard(COMMAND_MAX_AGE_MS - 1), 'ERR_BAD_COMMAND');
    expect(() => new ReplayGuard(COMMAND_MAX_AGE_MS)).to.not.throw();
  });
});
