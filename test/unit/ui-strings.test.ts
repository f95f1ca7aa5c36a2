// The built-in UI's words and its chat envelope, without a browser call: the strings merge
// (overrides of the right type win, the rest stay English), the status line, and which data
// values count as chat.
import { expect } from '@open-wc/testing';
import { MAX_CHAT_TEXT, chatEnvelope, chatText, isChatEnvelope } from '../../src/element/ui/chat.js';
import { defaultStrings, mergeStrings, stateLine, type KibitzStrings } from '../../src/element/ui/strings.js';

describe('UI strings', () => {
  it('merges a partial override over the English defaults, ignoring keys of the wrong type and unknown keys', () => {
    const merged = mergeStrings({
      join: 'Rejoindre',
      inCallWith: (n: number) => `Avec ${n}`,
      leave: 7 as unknown as string,
      mute: (() => 'x') as unknown as string,
      nonsense: 'x',
    } as Partial<KibitzStrings>);
    expect(merged.join).to.equal('Rejoindre');
    expect(merged.inCallWith(3)).to.equal('Avec 3');
    expect(merged.leave).to.equal(defaultStrings.leave);
    expect(merged.mute).to.equal(defaultStrings.mute);
    expect(Object.keys(merged)).to.deep.equal(Object.keys(defaultStrings));
    expect(mergeStrings(null)).to.deep.equal(defaultStrings);
    expect(mergeStrings('join' as unknown as Partial<KibitzStrings>)).to.deep.equal(defaultStrings);
  });

  it('words the status line for every state, with the count and the last error', () => {
    const s = defaultStrings;
    expect(stateLine(s, 'idle', 0, false, null)).to.equal('Not in the call');
    expect(stateLine(s, 'joined', 0, false, null)).to.equal('In the call — waiting for others');
    expect(stateLine(s, 'joined', 1, false, null)).to.equal('In the call with 1 other');
    expect(stateLine(s, 'joined', 2, false, null)).to.equal('In the call with 2 others');
    expect(stateLine(s, 'joined', 2, true, null)).to.equal('Reconnecting…');
    expect(stateLine(s, 'failed', 0, false, 'no broker')).to.equal('Could not connect: no broker');
    expect(stateLine(s, 'failed', 0, false, null)).to.equal('Could not connect.');
    for (const state of ['connecting', 'waiting', 'refused', 'kicked', 'left'] as const) {
      expect(stateLine(s, state, 0, false, null))
        .to.be.a('string')
        .and.not.equal('');
    }
  });
});

describe('chat envelope', () => {
  it('reads only { kibitz: "chat", text } with a non-empty text of at most 4000 characters', () => {
    expect(chatText(chatEnvelope('hi'))).to.equal('hi');
    expect(chatText({ kibitz: 'chat', text: 'a\nb' })).to.equal('a\nb');
    expect(chatText({ kibitz: 'chat', text: 'x'.repeat(MAX_CHAT_TEXT) })).to.have.length(MAX_CHAT_TEXT);
    for (const bad of [
      { kibitz: 'chat', text: 'x'.repeat(MAX_CHAT_TEXT + 1) },
      { kibitz: 'chat', text: '   ' },
      { kibitz: 'chat', text: 5 },
      { kibitz: 'chat' },
    ]) {
      expect(isChatEnvelope(bad), JSON.stringify(bad).slice(0, 40)).to.equal(true);
      expect(chatText(bad)).to.equal(null);
    }
  });

  it("leaves a page's own data alone", () => {
    for (const data of [{ text: 'hi' }, { kibitz: 'other', text: 'hi' }, ['chat'], 'chat', null, 3, new ArrayBuffer(2)]) {
      expect(isChatEnvelope(data)).to.equal(false);
      expect(chatText(data)).to.equal(null);
    }
  });
});
