// The built-in UI by keyboard alone: real key presses (Tab, Shift+Tab, Enter, Space and typed
// text, sent by the browser driver) give a name and join a call, mute the microphone, send a
// chat message and leave. Each step is checked by its effect, on this element and on the other
// participant's.
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { brokerUrl, cleanup, inFirefox, makeRoom, uniqueRoom, until } from './helpers.js';

/** The element that has the keyboard focus, through open shadow roots. */
function focused(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

const describe_ = (node: Element | null) => (node ? `${node.localName}[part=${node.getAttribute('part') ?? ''}]` : 'nothing');

/** Press Tab (or Shift+Tab) until the focused control matches `selector`; fail, naming the stops, if it never does. */
async function tabTo(selector: string, { back = false } = {}): Promise<HTMLElement> {
  const stops: string[] = [];
  for (let presses = 0; presses < 40; presses++) {
    const node = focused();
    if (node?.matches(selector)) return node as HTMLElement;
    stops.push(describe_(node));
    if (back) await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    if (back) await sendKeys({ up: 'Shift' });
  }
  throw new Error(`${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}; it stopped at: ${stops.slice(0, 12).join(', ')}`);
}

describe('the built-in UI by keyboard alone', function () {
  this.timeout(60_000);
  afterEach(cleanup);

  it('joins, mutes, sends a chat message and leaves with key presses only', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('keyboard');
    const ada = makeRoom({ room, name: '', media: 'audio', signaling });
    // The other participant draws nothing, so every focus stop on the page is Ada's.
    const bob = makeRoom({ room, name: 'Bob', signaling, headless: '' });
    const heard: string[] = [];
    for (const type of ['kibitz-chat', 'kibitz-message'])
      bob.addEventListener(type, (e) => heard.push(JSON.stringify((e as CustomEvent).detail)));
    await bob.join();
    await ada.updateComplete;

    // Name and join: Tab to the name field, type, Tab to the Join button, Enter.
    (document.activeElement as HTMLElement | null)?.blur();
    await tabTo('[part~="name-input"]');
    await sendKeys({ type: 'Ada' });
    await tabTo('[part~="join"]');
    await sendKeys({ press: 'Enter' });
    await until(() => ada.state === 'joined' && ada.participants.length === 2, 'Ada joined Bob');
    await until(() => bob.participants.some((p) => p.name === 'Ada'), 'Bob sees Ada by the name she typed');
    await until(() => ada.participants.find((p) => p.self)!.audio, "Ada's microphone on");

    // Mute: Tab to the microphone button, Space.
    await tabTo('[part~="mic"]');
    expect(focused()!.getAttribute('aria-pressed')).to.equal('true');
    // The space bar, by its key value (WebDriver BiDi knows no `Space`).
    await sendKeys({ press: ' ' });
    await until(() => ada.participants.find((p) => p.self)!.audio === false, 'Ada muted');
    await until(() => bob.participants.find((p) => p.name === 'Ada')?.audio === false, 'Bob sees Ada muted');
    expect(focused()!.getAttribute('aria-pressed')).to.equal('false');

    // Chat: Tab to the Chat button, Enter opens the panel; type, Enter sends.
    await tabTo('[part~="chat-toggle"]');
    await sendKeys({ press: 'Enter' });
    await tabTo('[part~="chat-input"]');
    await sendKeys({ type: 'Hello from the keyboard' });
    await sendKeys({ press: 'Enter' });
    await until(() => heard.some((detail) => detail.includes('Hello from the keyboard')), 'Bob got the message');
    expect((focused() as HTMLTextAreaElement).value, 'the field is empty again').to.equal('');

    // Leave: back to the Leave button (Shift+Tab), Enter. In Firefox driven over WebDriver BiDi, a
    // button reached with the driver's Shift+Tab (Shift down, Tab, Shift up) then ignores Enter and
    // Space: the keydown reaches it and no click follows. There, Tab goes forward to Leave instead.
    await tabTo('[part~="leave"]', { back: !inFirefox });
    await sendKeys({ press: 'Enter' });
    await until(() => ada.state === 'left', 'Ada left');
    await until(() => bob.participants.length === 1, 'Bob sees Ada gone');
  });
});
