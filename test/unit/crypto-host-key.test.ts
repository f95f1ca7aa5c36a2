import { expect } from '@open-wc/testing';
import { p256 } from '@noble/curves/nist.js';
import { fromBase64Url, fromHex, toBase64Url, toHex } from '../../src/crypto/bytes.js';
import {
  MIN_SEAL_ITERATIONS,
  decodeHostPublicKey,
  generateHostKey,
  isHostSecretKey,
  sealHostKey,
  uncompressHostPublicKey,
  unsealHostKey,
} from '../../src/crypto/host-key.js';
import { KibitzError } from '../../src/errors.js';
import { codeOf } from '../support/error-code.js';

function syncCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(KibitzError);
    return (err as KibitzError).code;
  }
  return 'returned';
}

// P-256 field prime and group order.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const toBytes32 = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(64, '0'))!;
const compressed = (prefix: number, x: Uint8Array): string => toBase64Url(new Uint8Array([prefix, ...x]));

describe('host key pairs', () => {
  it('generates a 33-byte compressed public key that decodes and matches its secret key', async () => {
    const { publicKey, secretKey } = await generateHostKey();
    expect(publicKey).to.match(/^[A-Za-z0-9_-]{44}$/);
    const point = decodeHostPublicKey(publicKey);
    expect(point.length).to.equal(33);
    expect([2, 3]).to.include(point[0]);
    expect(secretKey.length).to.equal(32);
    expect(toBase64Url(p256.getPublicKey(secretKey, true))).to.equal(publicKey);
    expect((await generateHostKey()).publicKey).to.not.equal(publicKey);
  });

  it('decompresses points of both parities to the same (x, y) as noble', () => {
    const parities = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const point = p256.getPublicKey(p256.utils.randomSecretKey(), true);
      parities.add(point[0]);
      const text = toBase64Url(point);
      expect(toHex(uncompressHostPublicKey(text)), text).to.equal(toHex(p256.Point.fromBytes(point).toBytes(false)));
      expect(toHex(decodeHostPublicKey(text)), text).to.equal(toHex(point));
    }
    expect([...parities].sort()).to.deep.equal([2, 3]);
    // The generator: a fixed, well-known point.
    const g = p256.Point.BASE;
    expect(toHex(uncompressHostPublicKey(toBase64Url(g.toBytes(true))))).to.equal(toHex(g.toBytes(false)));
  });

  it('refuses public keys that are not compressed points on the curve', async () => {
    const good = fromBase64Url((await generateHostKey()).publicKey)!;
    const x = good.subarray(1);
    const uncompressed = p256.Point.fromBytes(good).toBytes(false);
    // Some x have no point; find one so the test does not rely on a magic constant.
    let notOnCurve = new Uint8Array(32);
    for (let n = 1; ; n++) {
      const candidate = new Uint8Array(32);
      candidate[31] = n;
      if (!p256.utils.isValidPublicKey(new Uint8Array([2, ...candidate]), true)) {
        notOnCurve = candidate;
        break;
      }
    }
    const bad = [
      '',
      'not base64!',
      toBase64Url(good.subarray(1)),
      toBase64Url(uncompressed),
      // x off the curve, under either parity
      compressed(2, notOnCurve),
      compressed(3, notOnCurve),
      // x not a field element: p itself and 2^256 - 1
      compressed(2, toBytes32(P)),
      compressed(3, new Uint8Array(32).fill(0xff)),
      // every prefix but 02 and 03 on a valid x
      ...[0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0x12, 0x82, 0xff].map((prefix) => compressed(prefix, x)),
      toBase64Url(good) + 'A',
      null as unknown as string,
    ];
    for (const text of bad) {
      expect(
        syncCodeOf(() => decodeHostPublicKey(text)),
        String(text),
      ).to.equal('ERR_BAD_KEY');
      expect(
        syncCodeOf(() => uncompressHostPublicKey(text)),
        String(text),
      ).to.equal('ERR_BAD_KEY');
    }
  });

  it('accepts as secret keys exactly the 32-byte scalars from 1 to n - 1', () => {
    expect(isHostSecretKey(toBytes32(1n))).to.equal(true);
    expect(isHostSecretKey(toBytes32(N - 1n))).to.equal(true);
    for (const bad of [
      new Uint8Array(32),
      toBytes32(N),
      new Uint8Array(32).fill(0xff),
      new Uint8Array(16).fill(1),
      new Uint8Array(33).fill(1),
      [1, 2, 3],
      'key',
      null,
    ]) {
      expect(isHostSecretKey(bad), String(bad)).to.equal(false);
    }
  });
});

describe('sealed host keys', () => {
  const passphrase = 'correct horse battery staple';
  let pair: Awaited<ReturnType<typeof generateHostKey>>;
  let seal: string;

  before(async () => {
    pair = await generateHostKey();
    seal = await sealHostKey(pair.secretKey, passphrase);
  });

  it('round-trips with the default 600,000 PBKDF2 iterations recorded in the header', async () => {
    const bytes = fromBase64Url(seal)!;
    expect(bytes.length).to.equal(1 + 4 + 16 + 12 + 32 + 16);
    expect(bytes[0]).to.equal(1);
    expect(new DataView(bytes.buffer).getUint32(1, false)).to.equal(MIN_SEAL_ITERATIONS);
    const opened = await unsealHostKey(seal, passphrase, pair.publicKey);
    expect(toBase64Url(opened)).to.equal(toBase64Url(pair.secretKey));
  });

  it('reports a wrong passphrase as ERR_BAD_PASSPHRASE', async () => {
    expect(await codeOf(unsealHostKey(seal, passphrase + '!'))).to.equal('ERR_BAD_PASSPHRASE');
  });

  it('reports a flipped ciphertext byte as ERR_BAD_PASSPHRASE (GCM cannot tell the two apart)', async () => {
    const bytes = fromBase64Url(seal)!;
    bytes[bytes.length - 20] ^= 1;
    expect(await codeOf(unsealHostKey(toBase64Url(bytes), passphrase))).to.equal('ERR_BAD_PASSPHRASE');
  });

  it('refuses a seal for another room key as ERR_BAD_KEY', async () => {
    expect(await codeOf(unsealHostKey(seal, passphrase, (await generateHostKey()).publicKey))).to.equal('ERR_BAD_KEY');
  });

  it('refuses a seal opened against the negated public key (same x, other y) as ERR_BAD_KEY', async () => {
    const point = fromBase64Url(pair.publicKey)!;
    const negated = toBase64Url(new Uint8Array([point[0] ^ 1, ...point.subarray(1)]));
    expect(await codeOf(unsealHostKey(seal, passphrase, negated))).to.equal('ERR_BAD_KEY');
  });

  it('refuses truncated, padded, garbage and unknown-version seals as ERR_BAD_SEAL without deriving', async () => {
    const bytes = fromBase64Url(seal)!;
    const version2 = bytes.slice();
    version2[0] = 2;
    const weakened = bytes.slice();
    new DataView(weakened.buffer).setUint32(1, MIN_SEAL_ITERATIONS - 1, false);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(1, 0xffffffff, false);
    const bad = [
      '',
      'garbage!',
      seal.slice(0, -4),
      seal + 'AAAA',
      toBase64Url(bytes.subarray(0, 40)),
      toBase64Url(version2),
      toBase64Url(weakened),
      toBase64Url(huge),
      42 as unknown as string,
    ];
    for (const text of bad) expect(await codeOf(unsealHostKey(text, passphrase)), String(text)).to.equal('ERR_BAD_SEAL');
  });

  it('refuses an empty passphrase and a malformed expected key before deriving', async () => {
    expect(await codeOf(unsealHostKey(seal, ''))).to.equal('ERR_BAD_PASSPHRASE');
    expect(await codeOf(unsealHostKey(seal, passphrase, 'nope'))).to.equal('ERR_BAD_KEY');
  });

  it('refuses to seal with fewer than 600,000 iterations, an empty passphrase or a bad key', async () => {
    expect(await codeOf(sealHostKey(pair.secretKey, passphrase, { iterations: 100_000 }))).to.equal('ERR_BAD_SEAL');
    expect(await codeOf(sealHostKey(pair.secretKey, passphrase, { iterations: 600_000.5 }))).to.equal('ERR_BAD_SEAL');
    expect(await codeOf(sealHostKey(pair.secretKey, ''))).to.equal('ERR_BAD_PASSPHRASE');
    expect(await codeOf(sealHostKey(new Uint8Array(32), passphrase))).to.equal('ERR_BAD_KEY');
  });

  it('uses a fresh salt and IV for every seal of the same key', async () => {
    const again = await sealHostKey(pair.secretKey, passphrase);
    expect(again).to.not.equal(seal);
    expect(again.slice(7, 50)).to.not.equal(seal.slice(7, 50));
  });
});
