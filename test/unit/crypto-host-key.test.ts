import { expect } from '@open-wc/testing';
import { p256 } from '@noble/curves/nist.js';
import { fromBase64Url, toBase64Url } from '../../src/crypto/bytes.js';
import {
  MIN_SEAL_ITERATIONS,
  decodeHostPublicKey,
  generateHostKey,
  publicKeyOf,
  sealHostKey,
  unsealHostKey,
} from '../../src/crypto/host-key.js';
import { KibitzError } from '../../src/errors.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(KibitzError);
    return (err as KibitzError).code;
  }
  return 'resolved';
}

function syncCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(KibitzError);
    return (err as KibitzError).code;
  }
  return 'returned';
}

describe('host key pairs', () => {
  it('generates a 33-byte compressed public key that decodes and matches its secret key', () => {
    const { publicKey, secretKey } = generateHostKey();
    expect(publicKey).to.match(/^[A-Za-z0-9_-]{44}$/);
    const point = decodeHostPublicKey(publicKey);
    expect(point.length).to.equal(33);
    expect([2, 3]).to.include(point[0]);
    expect(publicKeyOf(secretKey)).to.equal(publicKey);
    expect(generateHostKey().publicKey).to.not.equal(publicKey);
  });

  it('refuses public keys that are not compressed points on the curve', () => {
    const good = fromBase64Url(generateHostKey().publicKey)!;
    const offCurve = good.slice();
    offCurve[0] = 0x04;
    const uncompressed = p256.Point.fromBytes(good).toBytes(false);
    let notOnCurve = '';
    // x = 0..n: some x have no point; find one so the test does not rely on a magic constant.
    for (let x = 1; !notOnCurve; x++) {
      const candidate = new Uint8Array(33);
      candidate[0] = 2;
      candidate[32] = x;
      if (!p256.utils.isValidPublicKey(candidate, true)) notOnCurve = toBase64Url(candidate);
    }
    const bad = [
      '',
      'not base64!',
      toBase64Url(good.subarray(1)),
      toBase64Url(offCurve),
      toBase64Url(uncompressed),
      notOnCurve,
      toBase64Url(good) + 'A',
      null as unknown as string,
    ];
    for (const text of bad) expect(syncCodeOf(() => decodeHostPublicKey(text)), String(text)).to.equal('ERR_BAD_KEY');
  });

  it('refuses secret keys outside the curve order', () => {
    expect(syncCodeOf(() => publicKeyOf(new Uint8Array(32)))).to.equal('ERR_BAD_KEY');
    expect(syncCodeOf(() => publicKeyOf(new Uint8Array(32).fill(0xff)))).to.equal('ERR_BAD_KEY');
    expect(syncCodeOf(() => publicKeyOf(new Uint8Array(16).fill(1)))).to.equal('ERR_BAD_KEY');
  });
});

describe('sealed host keys', () => {
  const passphrase = 'correct horse battery staple';
  let pair: ReturnType<typeof generateHostKey>;
  let seal: string;

  before(async () => {
    pair = generateHostKey();
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
    expect(await codeOf(unsealHostKey(seal, passphrase, generateHostKey().publicKey))).to.equal('ERR_BAD_KEY');
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
