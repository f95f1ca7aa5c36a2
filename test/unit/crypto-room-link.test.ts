import { expect } from '@open-wc/testing';
import { p256 } from '@noble/curves/nist.js';
import { toBase64Url } from '../../src/crypto/bytes.js';
import { generateHostKey, unsealHostKey } from '../../src/crypto/host-key.js';
import { createRoom, formatRoomLink, parseRoomLink } from '../../src/crypto/room-link.js';
import type { RoomLinkAttributes } from '../../src/crypto/room-link.js';
import { KibitzError } from '../../src/errors.js';
import { codeOf } from '../support/error-code.js';

const BASE = 'https://example.com/call/?lang=en&x=1#old=fragment';
// A syntactically valid seal (81 bytes); these tests never open it.
const FAKE_SEAL = 'AQAJJ8' + 'A'.repeat(102);

function syncCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(KibitzError);
    return (err as KibitzError).code;
  }
  return 'returned';
}

describe('room links: codec', () => {
  it('round-trips every field, including Unicode and the characters & = # + % and spaces', async () => {
    const attrs: RoomLinkAttributes = {
      room: 'Café ☕ 東京 & friends = #1 + 100%',
      'host-key': (await generateHostKey()).publicKey,
      'host-seal': FAKE_SEAL,
      'host-name': 'Ada & Bob = #host?',
    };
    const link = formatRoomLink(BASE, attrs);
    expect(parseRoomLink(link)).to.deep.equal(attrs);
  });

  it('puts everything in the fragment and keeps the base path and query', async () => {
    const key = (await generateHostKey()).publicKey;
    const link = formatRoomLink(BASE, { room: 'secret room', 'host-key': key, 'host-seal': FAKE_SEAL, 'host-name': 'Ada' });
    const url = new URL(link);
    expect(url.origin + url.pathname).to.equal('https://example.com/call/');
    expect(url.search).to.equal('?lang=en&x=1');
    expect(url.hash.startsWith('#room=secret%20room&host-key=')).to.equal(true);
    expect(url.hash).to.not.contain('old=fragment');
    expect(url.search + url.pathname).to.not.match(/secret|host|Ada/);
    expect(link.split('#').length).to.equal(2);
  });

  it('writes fields in a fixed order and leaves out absent ones', () => {
    expect(formatRoomLink('https://example.com/', { 'host-name': 'Ada', room: 'r' })).to.equal('https://example.com/#room=r&host-name=Ada');
  });

  it('parses a bare fragment the same way as a full link', () => {
    const link = formatRoomLink(BASE, { room: 'Café ☕', 'host-name': 'Zoë' });
    expect(parseRoomLink('#' + link.split('#')[1])).to.deep.equal(parseRoomLink(link));
    expect(parseRoomLink('#room=Caf%C3%A9%20%E2%98%95')).to.deep.equal({ room: 'Café ☕' });
    expect(parseRoomLink('#room=Café ☕')).to.deep.equal({ room: 'Café ☕' });
  });

  it('ignores unknown keys and empty segments but refuses a repeated known key', () => {
    expect(parseRoomLink('#future=1&&room=r&future=2&')).to.deep.equal({ room: 'r' });
    expect(syncCodeOf(() => parseRoomLink('#room=a&room=b'))).to.equal('ERR_BAD_LINK');
    expect(syncCodeOf(() => parseRoomLink('#room=a&host-name=x&host-name=y'))).to.equal('ERR_BAD_LINK');
  });

  it('never reads room fields from the query', () => {
    expect(syncCodeOf(() => parseRoomLink('https://example.com/?room=r'))).to.equal('ERR_BAD_LINK');
  });

  it('refuses malformed links with ERR_BAD_LINK', async () => {
    const key = (await generateHostKey()).publicKey;
    const bad = [
      'not a url',
      '',
      'https://example.com/',
      'https://example.com/#',
      '#host-name=Ada',
      '#room=',
      '#room=%20%20',
      '#room=%E0%A4%A',
      '#room=' + 'x'.repeat(257),
      '#room=a%00b',
      '#room=r&host-name=' + 'n'.repeat(65),
      '#room=r&host-name=',
      '#room=r&host-key=',
      '#room=r&host-key=AAAA',
      `#room=r&host-key=${key}A`,
      `#room=r&host-key=${key}&host-seal=short`,
      `#room=r&host-key=${key}&host-seal=${FAKE_SEAL}!`,
      `#room=r&host-key=${key}&host-seal=${'A'.repeat(2000)}`,
      `#room=r&host-seal=${FAKE_SEAL}`,
      '#room=' + 'x'.repeat(9000),
      42 as unknown as string,
    ];
    for (const link of bad)
      expect(
        syncCodeOf(() => parseRoomLink(link)),
        String(link).slice(0, 60),
      ).to.equal('ERR_BAD_LINK');
  });

  it('accepts the length limits exactly: 256-character room, 64-character name, counted in code points', () => {
    const room = '😀'.repeat(256);
    const name = 'é'.repeat(64);
    expect(parseRoomLink(formatRoomLink(BASE, { room, 'host-name': name }))).to.deep.equal({ room, 'host-name': name });
  });

  it('refuses to format a link that could not be parsed back', () => {
    expect(syncCodeOf(() => formatRoomLink('relative/path', { room: 'r' }))).to.equal('ERR_BAD_LINK');
    expect(syncCodeOf(() => formatRoomLink(BASE, { room: '' }))).to.equal('ERR_BAD_LINK');
    expect(syncCodeOf(() => formatRoomLink(BASE, { room: 'r', 'host-key': 'nope' }))).to.equal('ERR_BAD_LINK');
  });
});

describe('createRoom', () => {
  it('with a passphrase, gives the host a key and seal and guests the key only', async () => {
    const created = await createRoom({ hostPassphrase: 'open sesame, please', base: BASE, room: 'Standup' });
    expect(created.room).to.equal('Standup');
    const host = parseRoomLink(created.link);
    const guest = parseRoomLink(created.guestLink);
    expect(host).to.deep.equal({ room: 'Standup', 'host-key': created.hostKey, 'host-seal': created.hostSeal });
    expect(guest).to.deep.equal({ room: 'Standup', 'host-key': created.hostKey });
    expect(created.guestLink).to.not.contain(created.hostSeal!);
    const secretKey = await unsealHostKey(host['host-seal']!, 'open sesame, please', host['host-key']);
    expect(toBase64Url(p256.getPublicKey(secretKey, true))).to.equal(created.hostKey);
  });

  it('with only a host name, puts the soft name in both links and no key', async () => {
    const created = await createRoom({ hostName: 'Ada', base: BASE });
    expect(created.hostKey).to.equal(undefined);
    expect(created.hostSeal).to.equal(undefined);
    expect(created.hostName).to.equal('Ada');
    expect(parseRoomLink(created.link)).to.deep.equal({ room: created.room, 'host-name': 'Ada' });
    expect(created.guestLink).to.equal(created.link);
  });

  it('with nothing, creates an open room with an unguessable name on the current page', async () => {
    const a = await createRoom();
    const b = await createRoom();
    expect(Object.keys(a).sort()).to.deep.equal(['guestLink', 'link', 'room']);
    expect(a.room).to.match(/^[0-9a-f]{32}$/);
    expect(a.room).to.not.equal(b.room);
    expect(a.link.startsWith(location.href.split('#')[0] + '#room=')).to.equal(true);
    expect(parseRoomLink(a.guestLink)).to.deep.equal({ room: a.room });
  });

  it('refuses an empty passphrase, a bad name or a bad base before doing any work', async () => {
    expect(await codeOf(createRoom({ hostPassphrase: '', base: BASE }))).to.equal('ERR_BAD_PASSPHRASE');
    for (const weak of ['x', 'short pass', 'aaaaaaaaaaaaaaaa', 'abababababababab'])
      expect(await codeOf(createRoom({ hostPassphrase: weak, base: BASE })), weak).to.equal('ERR_WEAK_PASSPHRASE');
    expect(await codeOf(createRoom({ hostName: 'n'.repeat(65), base: BASE }))).to.equal('ERR_BAD_LINK');
    expect(await codeOf(createRoom({ base: 'nope' }))).to.equal('ERR_BAD_LINK');
    expect(await codeOf(createRoom({ room: ' ', base: BASE }))).to.equal('ERR_BAD_LINK');
  });
});
