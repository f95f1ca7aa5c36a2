// coturn REST credentials as the demo server and the relay tests mint them: checked against a
// vector computed outside this code (openssl) and against a second HMAC-SHA1 implementation
// (@noble/hashes), never against node:crypto, which the minting itself uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { iceServersAnswer, mintTurnCredential, turnEnv } from '../../scripts/turn-credentials.mjs';

const independent = (secret, username) =>
  Buffer.from(hmac(sha1, new TextEncoder().encode(secret), new TextEncoder().encode(username))).toString('base64');

describe('TURN REST credentials', () => {
  it('match a known vector: username <expiry>:kibitz, credential base64(HMAC-SHA1(secret, username))', () => {
    const minted = mintTurnCredential({ secret: 'kibitz-secret', ttl: 3600, now: 1_700_000_000_000 });
    assert.equal(minted.username, '1700003600:kibitz');
    assert.equal(minted.expires, 1_700_003_600);
    // printf '1700003600:kibitz' | openssl dgst -sha1 -hmac kibitz-secret -binary | base64
    assert.equal(minted.credential, 'KRyOijOvymXiGe4rBiALW6VPqQA=');
  });

  it('agree with an independent HMAC-SHA1 for any secret, TTL and label; a different secret gives another credential', () => {
    const now = Date.now();
    for (const [secret, ttl, label] of [
      ['s3cr3t', 60, 'kibitz'],
      ['ünïcode secret', 86_400, 'alice'],
      ['x'.repeat(200), 3600, 'k'],
    ]) {
      const minted = mintTurnCredential({ secret, ttl, label, now });
      assert.equal(minted.username, `${Math.floor(now / 1000) + ttl}:${label}`);
      assert.equal(minted.credential, independent(secret, minted.username));
      assert.notEqual(mintTurnCredential({ secret: `${secret}!`, ttl, label, now }).credential, minted.credential);
    }
  });

  it('refuse to mint without a secret or with a label that would break the username', () => {
    assert.throws(() => mintTurnCredential({ secret: '' }), /secret/);
    assert.throws(() => mintTurnCredential({ secret: 's', label: 'a:b' }), /label/);
    assert.throws(() => mintTurnCredential({ secret: 's', ttl: 1.5 }), /TTL/);
  });

  it('read the environment: both or neither of secret and URLs, turn: URLs only, TTL in bounds', () => {
    assert.equal(turnEnv({}), null);
    assert.deepEqual(iceServersAnswer(turnEnv({})), { iceServers: [] });
    assert.deepEqual(turnEnv({ KIBITZ_TURN_SECRET: 's', KIBITZ_TURN_URL: 'turn:a:3478, turns:b:443?transport=tcp' }), {
      secret: 's',
      urls: ['turn:a:3478', 'turns:b:443?transport=tcp'],
      ttl: 3600,
    });
    assert.equal(turnEnv({ KIBITZ_TURN_SECRET: 's', KIBITZ_TURN_URL: 'turn:a', KIBITZ_TURN_TTL: '120' }).ttl, 120);
    assert.throws(() => turnEnv({ KIBITZ_TURN_SECRET: 's' }), /go together/);
    assert.throws(() => turnEnv({ KIBITZ_TURN_URL: 'turn:a' }), /go together/);
    assert.throws(() => turnEnv({ KIBITZ_TURN_SECRET: 's', KIBITZ_TURN_URL: 'stun:a' }), /not a turn/);
    assert.throws(() => turnEnv({ KIBITZ_TURN_SECRET: 's', KIBITZ_TURN_URL: 'turn:a', KIBITZ_TURN_TTL: '-5' }), /KIBITZ_TURN_TTL/);
    assert.throws(() => turnEnv({ KIBITZ_TURN_SECRET: 's', KIBITZ_TURN_URL: 'turn:a', KIBITZ_TURN_TTL: '1h' }), /KIBITZ_TURN_TTL/);

    const now = 1_700_000_000_000;
    const answer = iceServersAnswer(turnEnv({ KIBITZ_TURN_SECRET: 'kibitz-secret', KIBITZ_TURN_URL: 'turn:a:3478' }), { now });
    assert.deepEqual(answer, {
      iceServers: [{ urls: ['turn:a:3478'], username: '1700003600:kibitz', credential: 'KRyOijOvymXiGe4rBiALW6VPqQA=' }],
    });
  });
});
