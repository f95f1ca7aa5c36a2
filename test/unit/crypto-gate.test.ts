// The gate's crypto on its own: descriptors in one canonical spelling, join-code strength,
// commitments and proofs, the descriptor as an input to the room's keys (a stripped or altered
// gate is another room), personal invites against forgery, and the links that carry them.
import { expect } from '@open-wc/testing';
import { randomBytes } from '../../src/crypto/bytes.js';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { createJoinCode, emailAllowed, formatGate, parseGate, tokenNonce } from '../../src/crypto/gate.js';
import { codeBits, codeProof, commitJoinCode, openJoinCode, verifyCodeProof, MIN_CODE_BITS } from '../../src/crypto/join-code.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { holderProof, parseInviteSecret, signInvite, verifyInvite, formatInviteSecret } from '../../src/crypto/invite.js';
import { deriveRoomKeys } from '../../src/crypto/room-keys.js';
import { createInvite, createRoom, parseRoomLink } from '../../src/crypto/room-link.js';
import { formatFingerprint } from '../../src/engine/rtc-link.js';
import { codeOf } from '../support/error-code.js';

const fp = () => formatFingerprint(randomBytes(32));
const BASE = 'https://example.com/call';

describe('gate descriptors', () => {
  it('read into one canonical spelling whatever the key order and spacing', () => {
    const a = parseGate('{ "allow": ["ADA@example.org", "@Example.com"], "issuer": "https://id.example.com/", "method": "email" }');
    expect(formatGate(a)).to.equal('{"method":"email","issuer":"https://id.example.com","allow":["ada@example.org","@example.com"]}');
    expect(formatGate(parseGate(formatGate(a)))).to.equal(formatGate(a));
  });

  it('refuse what is not a gate with ERR_BAD_GATE: unknown method, plain-http issuer, empty lists, bad commitments, junk', async () => {
    for (const text of [
      '{"method":"vibes"}',
      '{"method":"oidc","issuer":"http://id.example.com","clientId":"x","allow":["@a.b"]}',
      '{"method":"oidc","issuer":"https://id.example.com","allow":["@a.b"]}',
      '{"method":"email","issuer":"https://id.example.com","allow":[]}',
      '{"method":"email","issuer":"https://id.example.com","allow":["not an address"]}',
      '{"method":"names","names":[]}',
      '{"method":"code","commit":"short"}',
      'null',
      '[',
      'x'.repeat(5000),
    ]) {
      expect(await codeOf((async () => parseGate(text))()), text.slice(0, 40)).to.equal('ERR_BAD_GATE');
    }
  });

  it('allow-lists match exact addresses and whole @domains only', () => {
    const allow = ['ada@example.org', '@example.com'];
    expect(emailAllowed('Ada@Example.org', allow)).to.equal(true);
    expect(emailAllowed('bob@example.com', allow)).to.equal(true);
    expect(emailAllowed('bob@sub.example.com', allow)).to.equal(false);
    expect(emailAllowed('bob@example.com.evil.test', allow)).to.equal(false);
    expect(emailAllowed('eve@example.org', allow)).to.equal(false);
  });

  it('are part of the room: a stripped or altered gate derives another signaling id, seal key and room id', async () => {
    const gated = await deriveRoomKeys('gate test room', '{"method":"invite"}');
    const stripped = await deriveRoomKeys('gate test room');
    const altered = await deriveRoomKeys('gate test room', '{"method":"names","names":["Ada"]}');
    expect(new Set([gated.signalingId, stripped.signalingId, altered.signalingId]).size).to.equal(3);
    expect(new Set([gated.roomId, stripped.roomId, altered.roomId]).size).to.equal(3);
    // The seal key differs too: a handshake sealed for the gated room does not open elsewhere.
    const { sealHandshake, openHandshake } = await import('../../src/crypto/room-keys.js');
    const sealed = await sealHandshake(gated, 'ctx', { hello: 1 });
    expect(await openHandshake(gated, 'ctx', sealed)).to.deep.equal({ hello: 1 });
    expect(await openHandshake(stripped, 'ctx', sealed)).to.equal(null);
  });
});

describe('join codes', () => {
  it('estimate strength, and refuse codes under 40 bits with ERR_WEAK_CODE', async () => {
    expect(codeBits('123456')).to.be.below(MIN_CODE_BITS);
    expect(codeBits('aaaaaaaaaaaaaaaaaaaa')).to.equal(0);
    expect(codeBits(createJoinCode())).to.be.at.least(MIN_CODE_BITS);
    let code: string | undefined;
    await commitJoinCode('12345678').catch((err: { code: string }) => (code = err.code));
    expect(code).to.equal('ERR_WEAK_CODE');
  });

  it('generated codes are 10 unambiguous characters, grouped, and differ', () => {
    const codes = new Set(Array.from({ length: 50 }, () => createJoinCode()));
    expect(codes.size).to.equal(50);
    for (const c of codes) expect(c).to.match(/^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
  });

  it('open their commitment however they are typed, and a wrong code does not', async () => {
    const code = createJoinCode();
    const commit = await commitJoinCode(code);
    expect(commit).to.not.include(code.replace('-', ''));
    expect(await openJoinCode(` ${code.toLowerCase().replace('-', ' ')} `, commit)).to.be.instanceOf(Uint8Array);
    expect(await openJoinCode('ZZZZZ-ZZZZZ', commit)).to.equal(null);
  });

  it('proofs hold only for the certificate and room they were made for', async () => {
    const code = createJoinCode();
    const stretched = (await openJoinCode(code, await commitJoinCode(code)))!;
    const mine = fp();
    const proof = await codeProof(stretched, 'a'.repeat(32), mine);
    expect(await verifyCodeProof(stretched, 'a'.repeat(32), mine, proof)).to.equal(true);
    expect(await verifyCodeProof(stretched, 'a'.repeat(32), fp(), proof)).to.equal(false);
    expect(await verifyCodeProof(stretched, 'b'.repeat(32), mine, proof)).to.equal(false);
    expect(await verifyCodeProof(stretched, 'a'.repeat(32), mine, 'A'.repeat(43))).to.equal(false);
  });

  it('ID-token nonces bind the certificate and the room', async () => {
    const mine = fp();
    const n = await tokenNonce(mine, 'a'.repeat(32));
    expect(n).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(await tokenNonce(mine, 'b'.repeat(32))).to.not.equal(n);
    expect(await tokenNonce(fp(), 'a'.repeat(32))).to.not.equal(n);
  });
});

describe('personal invites', () => {
  const room = 'c'.repeat(32);
  const now = Date.now();
  it('verify for their holder, and refuse forgeries: another host, altered fields, another device, another room, expiry, other signed objects', async () => {
    const host = await generateHostKey();
    const other = await generateHostKey();
    const secret = await signInvite({ room, name: 'Ada', expiresAt: now + 60_000 }, host.secretKey, host.publicKey);
    const device = fp();
    const proof = await holderProof(secret, room, device);
    const ctx = { hostKey: host.publicKey, roomId: room, fingerprint: device, now };
    const ok = await verifyInvite(secret.token, proof, ctx);
    expect(ok.ok && ok.invite.name).to.equal('Ada');

    expect(await verifyInvite(secret.token, proof, { ...ctx, hostKey: other.publicKey })).to.deep.equal({
      ok: false,
      reason: 'bad-credential',
    });
    expect(await verifyInvite({ ...secret.token, name: 'Admin' }, proof, ctx)).to.deep.equal({ ok: false, reason: 'bad-credential' });
    expect(await verifyInvite({ ...secret.token, exp: now + 10 ** 9 }, proof, ctx)).to.deep.equal({ ok: false, reason: 'bad-credential' });
    expect(await verifyInvite(secret.token, proof, { ...ctx, fingerprint: fp() })).to.deep.equal({ ok: false, reason: 'bad-credential' });
    expect(await verifyInvite(secret.token, proof, { ...ctx, roomId: 'd'.repeat(32) })).to.deep.equal({
      ok: false,
      reason: 'bad-credential',
    });
    expect(await verifyInvite(secret.token, proof, { ...ctx, now: now + 3600_000 })).to.deep.equal({ ok: false, reason: 'expired' });
    const command = await signHostCommand(
      createHostCommand({ room, op: 'claim', target: 'x', fp: device, now }),
      host.secretKey,
      host.publicKey,
    );
    expect(await verifyInvite(command, proof, ctx)).to.deep.equal({ ok: false, reason: 'bad-credential' });
    // The token alone (as every member sees it) cannot be bound to a new device: the holder key is not in it.
    const stolen = await generateHostKey();
    const thief = { token: { ...secret.token, key: stolen.publicKey }, holderSecret: stolen.secretKey };
    expect(await verifyInvite(secret.token, await holderProof(thief, room, device), ctx)).to.deep.equal({
      ok: false,
      reason: 'bad-credential',
    });
  });

  it('travel in links: createInvite needs the host link and passphrase of an invite room; tampered invite fields are refused', async () => {
    const passphrase = 'correct horse battery staple';
    const { link } = await createRoom({ base: BASE, hostPassphrase: passphrase, gate: { method: 'invite' } });
    const invite = await createInvite({ link, passphrase, name: 'Ada', expiresIn: 3600_000 });
    const attrs = parseRoomLink(invite);
    expect(attrs['host-seal']).to.equal(undefined);
    expect(parseInviteSecret(attrs.invite).token.name).to.equal('Ada');
    expect(formatInviteSecret(parseInviteSecret(attrs.invite))).to.equal(attrs.invite);

    let code: string | undefined;
    await createInvite({ link, passphrase: 'wrong passphrase!!', name: 'Ada' }).catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('ERR_BAD_PASSPHRASE');
    const open = await createRoom({ base: BASE, hostPassphrase: passphrase });
    await createInvite({ link: open.link, passphrase, name: 'Ada' }).catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('ERR_BAD_GATE');
    await createRoom({ base: BASE, gate: { method: 'invite' } }).catch((e: { code: string }) => (code = e.code));
    expect(code).to.equal('ERR_BAD_GATE');
    const tampered = invite.replace(/invite=([^&]+)/, (_m, v: string) => `invite=${v.slice(0, -3)}AAA`);
    expect(await codeOf((async () => parseRoomLink(tampered))())).to.equal('ERR_BAD_LINK');
  });

  it('a code-gated room link carries the commitment, never the code', async () => {
    const code = createJoinCode();
    const { link, gate } = await createRoom({ base: BASE, gate: { method: 'code', code } });
    expect(link).to.not.include(code.replace('-', ''));
    expect(parseGate(parseRoomLink(link).gate!)).to.deep.equal(parseGate(gate!));
    expect(parseGate(gate!).method).to.equal('code');
  });
});
