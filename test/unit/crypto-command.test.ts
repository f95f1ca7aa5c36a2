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
import { generateHostKey, uncompressHostPublicKey } from '../../src/crypto/host-key.js';
import { KibitzError } from '../../src/errors.js';
import { codeOf } from '../support/error-code.js';

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

// P-256 group order: a signature (r, s) also verifies as (r, n - s).
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const toBigInt = (bytes: Uint8Array): bigint => BigInt('0x' + toHex(bytes));
const toBytes32 = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(64, '0'))!;

async function fixture(overrides: Partial<Parameters<typeof createHostCommand>[0]> = {}) {
  const host = await generateHostKey();
  const seen = new ReplayGuard();
  const sign = (more: Partial<Parameters<typeof createHostCommand>[0]> = {}): Promise<SignedHostCommand> =>
    signHostCommand(
      createHostCommand({ room: 'Team Standup', op: 'kick', target: 'peer-2', fp: FP, now: NOW, ...overrides, ...more }),
      host.secretKey,
      host.publicKey,
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

  it('decompresses the vector public key to the same point as noble', () => {
    expect(toHex(uncompressHostPublicKey(file.publicKey))).to.equal(
      toHex(p256.Point.fromBytes(fromBase64Url(file.publicKey)!).toBytes(false)),
    );
  });

  it('creates each vector command from its raw input, normalising room and fingerprint', () => {
    for (const v of file.vectors) expect(createHostCommand(v.input), v.description).to.deep.equal(v.command);
  });

  it('reproduces each frozen encoding byte for byte', () => {
    for (const v of file.vectors) expect(toHex(encodeHostCommand(v.command)), v.description).to.equal(v.encoding);
  });

  it('were made by noble, which reproduces each frozen signature exactly from the fixed key (RFC 6979)', () => {
    const secretKey = fromHex(file.secretKey)!;
    for (const v of file.vectors) {
      expect(toBase64Url(p256.sign(fromHex(v.encoding)!, secretKey)), v.description).to.equal(v.sig);
    }
  });

  it('accepts every vector when room, fingerprint and clock match', async () => {
    for (const v of file.vectors) {
      const result = await verifyHostCommand(
        { ...v.command, sig: v.sig },
        { hostKey: file.publicKey, room: v.input.room, liveFingerprint: v.input.fp, now: v.command.iat, seen: new ReplayGuard() },
      );
      expect(result, v.description).to.deep.equal({ ok: true, command: { ...v.command, sig: v.sig } });
    }
  });

  it('signs each vector command with the fixed key so that the product and noble both accept the signature', async () => {
    const secretKey = fromHex(file.secretKey)!;
    for (const v of file.vectors) {
      const signed = await signHostCommand(v.command, secretKey, file.publicKey);
      const { sig, ...fields } = signed;
      expect(fields, v.description).to.deep.equal(v.command);
      expect(
        p256.verify(fromBase64Url(sig)!, fromHex(v.encoding)!, fromBase64Url(file.publicKey)!, { lowS: false }),
        v.description,
      ).to.equal(true);
      const result = await verifyHostCommand(signed, {
        hostKey: file.publicKey,
        room: v.command.room,
        liveFingerprint: v.command.fp,
        now: v.command.iat,
        seen: new ReplayGuard(),
      });
      expect(result.ok, v.description).to.equal(true);
    }
  });

  it('accepts the high-S twin (r, n - s) of every vector signature, as WebCrypto signers may produce either', async () => {
    for (const v of file.vectors) {
      const sig = fromBase64Url(v.sig)!;
      const s = toBigInt(sig.subarray(32));
      expect(s <= N / 2n, `${v.description}: the frozen signature is low-S`).to.equal(true);
      const high = toBase64Url(new Uint8Array([...sig.subarray(0, 32), ...toBytes32(N - s)]));
      const result = await verifyHostCommand(
        { ...v.command, sig: high },
        { hostKey: file.publicKey, room: v.command.room, liveFingerprint: v.command.fp, now: v.command.iat, seen: new ReplayGuard() },
      );
      expect(result, v.description).to.deep.equal({ ok: true, command: { ...v.command, sig: high } });
    }
  });

  it('has signatures that WebCrypto, an independent ECDSA implementation, also accepts', async () => {
    const uncompressed = p256.Point.fromBytes(fromBase64Url(file.publicKey)!).toBytes(false);
    const key = await crypto.subtle.importKey('raw', buf(uncompressed), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    for (const v of file.vectors) {
      const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, buf(fromBase64Url(v.sig)!), buf(fromHex(v.encoding)!));
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

  it('refuses to sign with something that is not a P-256 secret key or not a public key', async () => {
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    const { publicKey, secretKey } = await generateHostKey();
    expect(await codeOf(signHostCommand(cmd, new Uint8Array(32), publicKey))).to.equal('ERR_BAD_KEY');
    expect(await codeOf(signHostCommand(cmd, new Uint8Array(31).fill(1), publicKey))).to.equal('ERR_BAD_KEY');
    expect(await codeOf(signHostCommand(cmd, 'key' as unknown as Uint8Array, publicKey))).to.equal('ERR_BAD_KEY');
    expect(await codeOf(signHostCommand(cmd, secretKey, 'not-a-key'))).to.equal('ERR_BAD_KEY');
    expect(await codeOf(signHostCommand({ ...cmd, op: 'nuke' as HostOp }, secretKey, publicKey))).to.equal('ERR_BAD_COMMAND');
  });

  it('never yields an accepted command from a secret key paired with the wrong public key, before or after a good signature', async () => {
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    const mine = await generateHostKey();
    const other = await generateHostKey();
    const refusedOrUnverifiable = async (publicKey: string): Promise<void> => {
      let signed: SignedHostCommand | null = null;
      try {
        signed = await signHostCommand(cmd, mine.secretKey, publicKey);
      } catch (err) {
        expect((err as KibitzError).code).to.equal('ERR_BAD_KEY');
      }
      if (signed) {
        const result = await verifyHostCommand(signed, {
          hostKey: publicKey,
          room: 'r',
          liveFingerprint: FP,
          now: NOW,
          seen: new ReplayGuard(),
        });
        expect(result).to.deep.equal({ ok: false, reason: 'signature' });
      }
    };
    await refusedOrUnverifiable(other.publicKey);
    const good = await signHostCommand(cmd, mine.secretKey, mine.publicKey);
    const ctx = { hostKey: mine.publicKey, room: 'r', liveFingerprint: FP, now: NOW, seen: new ReplayGuard() };
    expect((await verifyHostCommand(good, ctx)).ok).to.equal(true);
    await refusedOrUnverifiable(other.publicKey);
  });

  it('signs a fresh, valid signature each time (WebCrypto ECDSA is randomised)', async () => {
    const { host } = await fixture();
    const cmd = createHostCommand({ room: 'r', op: 'lock', fp: FP, now: NOW });
    const [a, b] = await Promise.all([
      signHostCommand(cmd, host.secretKey, host.publicKey),
      signHostCommand(cmd, host.secretKey, host.publicKey),
    ]);
    expect(a.sig).to.match(/^[A-Za-z0-9_-]{86}$/);
    expect(a.sig).to.not.equal(b.sig);
    for (const signed of [a, b]) {
      expect(p256.verify(fromBase64Url(signed.sig)!, encodeHostCommand(cmd), fromBase64Url(host.publicKey)!, { lowS: false })).to.equal(
        true,
      );
    }
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
    for (const bad of [
      '',
      'sha-256',
      hex.slice(2),
      hex + 'ab',
      hex.replace('0', 'g'),
      'sha-1 ' + hex,
      hex.slice(0, 4) + ':' + hex.slice(4),
    ]) {
      expect(normalizeFingerprint(bad), bad).to.equal('');
    }
    expect(normalizeFingerprint(null as unknown as string)).to.equal('');
  });
});

describe('host commands: verification', () => {
  it('accepts a genuine command and returns only the signed fields', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
    const result = await verifyHostCommand({ ...cmd, extra: 'ignored', admin: true }, ctx);
    expect(result).to.deep.equal({ ok: true, command: cmd });
  });

  it('accepts the host key as bytes as well as base64url', async () => {
    const { sign, ctx, host } = await fixture();
    expect((await verifyHostCommand(await sign(), { ...ctx, hostKey: fromBase64Url(host.publicKey)! })).ok).to.equal(true);
  });

  it('rejects a command signed by another key as a bad signature', async () => {
    const { ctx } = await fixture();
    const forger = await generateHostKey();
    const forged = await signHostCommand(
      createHostCommand({ room: 'team standup', op: 'kick', target: 'peer-2', fp: FP, now: NOW }),
      forger.secretKey,
      forger.publicKey,
    );
    expect(await verifyHostCommand(forged, ctx)).to.deep.equal({ ok: false, reason: 'signature' });
    expect(await verifyHostCommand({ ...forged }, { ...ctx, hostKey: forger.publicKey })).to.deep.include({ ok: true });
  });

  it('rejects everything when the committed host key is unusable', async () => {
    const { sign, ctx } = await fixture();
    for (const hostKey of ['not-a-key', new Uint8Array(33), new Uint8Array(65), 42 as unknown as string]) {
      expect(await verifyHostCommand(await sign(), { ...ctx, hostKey }), String(hostKey)).to.deep.equal({ ok: false, reason: 'signature' });
    }
  });

  it('rejects a command signed for another room', async () => {
    const { sign, ctx } = await fixture({ room: 'other room' });
    expect(await verifyHostCommand(await sign(), ctx)).to.deep.equal({ ok: false, reason: 'room' });
  });

  it('matches the room after normalising the verifier room name', async () => {
    const { sign, ctx } = await fixture();
    expect((await verifyHostCommand(await sign(), { ...ctx, room: '  TEAM   Standup' })).ok).to.equal(true);
  });

  it('rejects a command bound to a different certificate than the live connection', async () => {
    const { sign, ctx } = await fixture();
    expect(await verifyHostCommand(await sign(), { ...ctx, liveFingerprint: OTHER_FP })).to.deep.equal({ ok: false, reason: 'binding' });
  });

  it('rejects any command while the live fingerprint is unknown', async () => {
    for (const liveFingerprint of [null, undefined, '', 'garbage']) {
      const { sign, ctx } = await fixture();
      expect(await verifyHostCommand(await sign(), { ...ctx, liveFingerprint })).to.deep.equal({ ok: false, reason: 'binding' });
    }
  });

  it('compares fingerprints after normalising both spellings', async () => {
    const { sign, ctx } = await fixture();
    const liveFingerprint = FP_NORMAL.replace(/:/g, '').toUpperCase();
    expect((await verifyHostCommand(await sign(), { ...ctx, liveFingerprint })).ok).to.equal(true);
  });

  it('rejects a command issued 121 s ago as stale and accepts one exactly 120 s old', async () => {
    const { sign, ctx } = await fixture();
    expect(await verifyHostCommand(await sign({ now: NOW - 121_000 }), ctx)).to.deep.equal({ ok: false, reason: 'stale' });
    expect((await verifyHostCommand(await sign({ now: NOW - COMMAND_MAX_AGE_MS }), ctx)).ok).to.equal(true);
  });

  it('rejects a command issued 61 s in the future and accepts one exactly 60 s ahead', async () => {
    const { sign, ctx } = await fixture();
    expect(await verifyHostCommand(await sign({ now: NOW + 61_000 }), ctx)).to.deep.equal({ ok: false, reason: 'future' });
    expect((await verifyHostCommand(await sign({ now: NOW + COMMAND_MAX_FUTURE_MS }), ctx)).ok).to.equal(true);
  });

  it('rejects everything as stale when the verifier clock is not a number', async () => {
    const { sign, ctx } = await fixture();
    expect(await verifyHostCommand(await sign(), { ...ctx, now: Number.NaN })).to.deep.equal({ ok: false, reason: 'stale' });
  });

  it('accepts a command once and rejects the same id again as a replay', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
    expect((await verifyHostCommand(cmd, ctx)).ok).to.equal(true);
    expect(await verifyHostCommand(cmd, { ...ctx, now: NOW + 1 })).to.deep.equal({ ok: false, reason: 'replay' });
    expect(await verifyHostCommand(cmd, { ...ctx, now: NOW + COMMAND_MAX_AGE_MS })).to.deep.equal({ ok: false, reason: 'replay' });
  });

  it('accepts exactly one of several concurrent verifications of one command and rejects the rest as replays', async () => {
    const { host, sign, ctx } = await fixture();
    const cmd = await sign();
    // A second signature over the same fields has the same id: a replay with a new signature.
    const twin = await signHostCommand({ ...cmd }, host.secretKey, host.publicKey);
    const results = await Promise.all([cmd, twin, cmd, twin].map((input) => verifyHostCommand(input, ctx)));
    expect(results.filter((r) => r.ok).length).to.equal(1);
    expect(results.filter((r) => !r.ok)).to.deep.equal(Array(3).fill({ ok: false, reason: 'replay' }));
    expect(ctx.seen.size).to.equal(1);
  });

  it('does not remember a rejected command, so a forgery cannot burn a genuine id', async () => {
    const { sign, ctx } = await fixture();
    const genuine = await sign();
    const forger = await generateHostKey();
    const forged = await signHostCommand({ ...genuine }, forger.secretKey, forger.publicKey);
    expect(await verifyHostCommand(forged, ctx)).to.deep.equal({ ok: false, reason: 'signature' });
    expect(await verifyHostCommand(genuine, { ...ctx, liveFingerprint: OTHER_FP })).to.deep.equal({ ok: false, reason: 'binding' });
    expect(await verifyHostCommand(genuine, { ...ctx, now: NOW - 61_000 })).to.deep.equal({ ok: false, reason: 'future' });
    expect(ctx.seen.has(genuine.id)).to.equal(false);
    expect((await verifyHostCommand(genuine, ctx)).ok).to.equal(true);
  });

  it('rejects any single flipped byte of the signature', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
    const sig = fromBase64Url(cmd.sig)!;
    for (let i = 0; i < sig.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const flipped = sig.slice();
        flipped[i] ^= mask;
        const result = await verifyHostCommand({ ...cmd, sig: toBase64Url(flipped) }, ctx);
        expect(result, `byte ${i} ^ ${mask}`).to.deep.equal({ ok: false, reason: 'signature' });
      }
    }
    expect(ctx.seen.size).to.equal(0);
  });

  it('rejects a signature whose r or s is zero or at least the group order', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
    const sig = fromBase64Url(cmd.sig)!;
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const zero = new Uint8Array(32);
    const order = toBytes32(N);
    const max = new Uint8Array(32).fill(0xff);
    for (const [a, b] of [
      [zero, s],
      [r, zero],
      [order, s],
      [r, order],
      [max, s],
      [r, max],
    ]) {
      const result = await verifyHostCommand({ ...cmd, sig: toBase64Url(new Uint8Array([...a, ...b])) }, ctx);
      expect(result).to.deep.equal({ ok: false, reason: 'signature' });
    }
  });

  it('rejects any single changed character of the signature text, including non-canonical spellings', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
    for (let i = 0; i < cmd.sig.length; i++) {
      for (const c of ['A', 'B', 'f', 'g', '-', '_', '0']) {
        if (cmd.sig[i] === c) continue;
        const sig = cmd.sig.slice(0, i) + c + cmd.sig.slice(i + 1);
        expect((await verifyHostCommand({ ...cmd, sig }, ctx)).ok, `char ${i} -> ${c}`).to.equal(false);
      }
    }
  });

  it('rejects a change to any signed field', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
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
      expect(await verifyHostCommand({ ...cmd, [field]: value }, ctx), `${field} = ${String(value)}`).to.deep.equal({
        ok: false,
        reason,
      });
    }
    for (const op of HOST_OPS.filter((o) => o !== cmd.op)) {
      expect(await verifyHostCommand({ ...cmd, op }, ctx), op).to.deep.equal({ ok: false, reason: 'signature' });
    }
    expect((await verifyHostCommand(cmd, ctx)).ok).to.equal(true);
  });

  it('rejects malformed input as malformed and never rejects', async () => {
    const { sign, ctx } = await fixture();
    const cmd = await sign();
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
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('boom');
          },
        },
      ),
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
      let rejected = false;
      await verifyHostCommand(input, ctx).then(
        (r) => (result = r),
        () => (rejected = true),
      );
      expect(rejected, `input ${i}`).to.equal(false);
      expect(result, `input ${i}`).to.deep.equal({ ok: false, reason: 'malformed' });
    }
    expect(ctx.seen.size).to.equal(0);
  });

  it('never rejects even when the verifier context is broken', async () => {
    const { sign, ctx } = await fixture();
    const broken = { ...ctx, seen: null as unknown as ReplayGuard };
    let rejected = false;
    const result = await verifyHostCommand(await sign(), broken).catch(() => ((rejected = true), null));
    expect(rejected).to.equal(false);
    expect(result!.ok).to.equal(false);
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

  it('stays bounded under a steady stream of accepted commands', async () => {
    const { sign, ctx } = await fixture();
    for (let t = 0; t < 600; t++) {
      const now = NOW + t * 1_000;
      expect((await verifyHostCommand(await sign({ now }), { ...ctx, now })).ok).to.equal(true);
    }
    expect(ctx.seen.size).to.be.at.most(181);
  });

  it('refuses a window shorter than the freshness window it must cover', () => {
    expectCode(() => new ReplayGuard(COMMAND_MAX_AGE_MS - 1), 'ERR_BAD_COMMAND');
    expect(() => new ReplayGuard(COMMAND_MAX_AGE_MS)).to.not.throw();
  });
});
