// Accessibility, checked by axe-core in the real browser over every state of the built-in UI:
// before joining (preview and device menus), connecting, in a call with the host's controls and
// the participant list, the waiting room (the waiting guest and the host's knock list), the
// safety-code panel and the file prompt open, and the chat panel open with messages. axe reads
// the element's open shadow roots itself. Each test asserts that axe found nothing in any state
// it went through, and prints what it found, rule by rule, when it did.
import { expect } from '@open-wc/testing';
import 'axe-core/axe.min.js';
import type { AxeResults, Result, RunOptions } from 'axe-core';
import { createRoom } from '../../src/crypto/room-link.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, makeRoom, uniqueRoom, until } from './helpers.js';

declare global {
  interface Window {
    axe: { run(context: Element, options: RunOptions): Promise<AxeResults> };
  }
}

const PASS = 'correct horse battery staple';

/** Every element under `root` matching `selector`, through open shadow roots. */
function deepAll(root: ParentNode, selector: string): HTMLElement[] {
  const found = [...root.querySelectorAll<HTMLElement>(selector)];
  for (const node of root.querySelectorAll('*')) if (node.shadowRoot) found.push(...deepAll(node.shadowRoot, selector));
  return found;
}

/** The first rendered, visible element of the built-in UI matching `selector`. */
const part = (el: KibitzRoomElement, selector: string) =>
  deepAll(el.shadowRoot!, selector).find((node) => node.getClientRects().length > 0) ?? null;

/** One violation as a reader can act on it: the rule, why, and each element with axe's fix. */
function describeViolation(v: Result): string {
  const nodes = v.nodes.map(
    (n) =>
      `    ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(', ')}\n      ${n.html}\n      ${n.failureSummary?.replace(/\n/g, '\n      ')}`,
  );
  return `  ${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}\n${nodes.join('\n')}`;
}

/**
 * The violations axe found in one test, state by state: every state is checked before the test
 * fails, so one run lists them all.
 */
class Audit {
  private readonly found: string[] = [];

  /** Run axe over one element in its current state. */
  async check(el: KibitzRoomElement, state: string): Promise<void> {
    await el.updateComplete;
    const { violations } = await window.axe.run(el, {
      resultTypes: ['violations'],
      // Landmarks are the embedding page's choice: the element sits wherever the page puts it.
      rules: { region: { enabled: false } },
    });
    if (violations.length) this.found.push(`${state} (${el.name}):\n${violations.map(describeViolation).join('\n')}`);
  }

  /** Fail with every violation spelt out (as text: axe's own objects are too large to read in a diff). */
  expectNone(): void {
    expect(this.found.length, `axe found violations\n${this.found.join('\n')}\n`).to.equal(0);
  }
}

/** A host who claimed the room's host key, and a guest, in one call with media. */
async function hostCall(): Promise<{ host: KibitzRoomElement; guest: KibitzRoomElement; attrs: { room: string; [attr: string]: string } }> {
  const made = await createRoom({ hostPassphrase: PASS, base: 'https://example.test/' });
  const attrs = { room: made.room, signaling: await brokerUrl(), 'host-key': made.hostKey!, 'host-seal': made.hostSeal! };
  const host = makeRoom({ ...attrs, name: 'Hana Host', media: 'audio video' });
  const guest = makeRoom({ ...attrs, name: 'Gus Guest', media: 'audio video' });
  await host.claimHost(PASS);
  await host.join();
  await guest.join();
  for (const el of [host, guest]) {
    await until(() => el.participants.length === 2 && el.hostId === host.selfId, `${el.name} sees both and the host`);
  }
  return { host, guest, attrs };
}

describe('accessibility of the built-in UI (axe-core)', function () {
  this.timeout(90_000);
  afterEach(cleanup);

  it('has no violations before joining, with and without the device preview', async () => {
    const audit = new Audit();
    const el = makeRoom({ room: uniqueRoom('a11y prejoin'), name: 'Ada', media: 'audio video', signaling: await brokerUrl() });
    await until(() => part(el, '[part~="join"]') !== null, 'the Join button');
    await audit.check(el, 'before joining');
    // A click opens the devices: the camera preview, the microphone level and the device menus.
    part(el, '[part~="preview-start"]')!.click();
    await until(() => part(el, '[part~="preview"]') !== null, 'the camera preview');
    await until(() => part(el, '[part~="device-select"]') !== null, 'the device menus');
    await audit.check(el, 'before joining, with the preview open');
    audit.expectNone();
  });

  it('has no violations while connecting', async () => {
    const audit = new Audit();
    // A broker that takes the socket and never answers holds the element in `connecting`.
    const RealWebSocket = window.WebSocket;
    class SilentBroker extends EventTarget {
      readyState = 0;
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      send(): void {}
      close(): void {}
    }
    window.WebSocket = SilentBroker as unknown as typeof WebSocket;
    try {
      const el = makeRoom({ room: uniqueRoom('a11y connecting'), name: 'Ada', signaling: await brokerUrl() });
      const joining = el.join().catch(() => undefined);
      await until(() => el.state === 'connecting', 'connecting');
      await audit.check(el, 'while connecting');
      expect(el.state).to.equal('connecting');
      el.leave();
      await joining;
    } finally {
      window.WebSocket = RealWebSocket;
    }
    audit.expectNone();
  });

  it('has no violations in a call with the host controls, for the host and for a guest', async () => {
    const audit = new Audit();
    const { host, guest } = await hostCall();
    await until(() => part(host, '[part~="host-menu"]') !== null, 'the host panel');
    // The participant list, where the host removes people.
    part(host, '[part~="people-toggle"]')?.click();
    await until(() => part(host, '[part~="kick"]') !== null, 'a Remove button for the guest');
    await until(() => host.participants.every((p) => p.self || p.safetyCode), 'safety codes derived');
    await audit.check(host, 'in a call, as host');
    await audit.check(guest, 'in a call, as guest');
    audit.expectNone();
  });

  it('has no violations in the waiting room: the waiting guest, the host with a knock, and the guest turned away', async () => {
    const audit = new Audit();
    const { host, attrs } = await hostCall();
    await host.setLobby(true);
    const late = makeRoom({ ...attrs, name: 'Lou Late' });
    const joining = late.join().catch(() => undefined);
    await until(() => late.state === 'waiting', 'the late guest waits');
    await until(() => part(host, '[part~="admit"]') !== null, 'the knock with Admit and Deny');
    await audit.check(late, 'for a guest in the waiting room');
    await audit.check(host, 'for the host with someone waiting');
    await host.deny(host.knocks[0].id);
    await joining;
    await until(() => late.state === 'refused', 'the late guest turned away');
    await audit.check(late, 'for a guest turned away');
    audit.expectNone();
  });

  it('has no violations with the safety-code panel open, and with a file offered, sent and received', async () => {
    const audit = new Audit();
    const { host, guest } = await hostCall();
    await until(() => host.participants.every((p) => p.self || p.safetyCode), 'safety codes derived');
    await until(() => part(host, '[part~="verify"]:not([disabled])') !== null, 'the Verify button');
    part(host, '[part~="verify"]')!.click();
    await until(() => part(host, '[part~="safety-code"]') !== null, 'the safety panel');
    await audit.check(host, 'with the safety-code panel open');

    // The guest picks a file in its own Send file picker: an outgoing row with a progress bar.
    const picker = deepAll(guest.shadowRoot!, '[part~="file-input"]')[0] as HTMLInputElement;
    const picked = new DataTransfer();
    picked.items.add(new File(['minutes of the meeting'], 'minutes.txt', { type: 'text/plain' }));
    picker.files = picked.files;
    picker.dispatchEvent(new Event('change', { bubbles: true }));
    await until(() => part(guest, '[part~="file-out"]') !== null, "the guest's outgoing file");
    await until(() => part(host, '[part~="file-offer"]') !== null, 'the file prompt');
    await audit.check(host, 'with a file offered');
    await audit.check(guest, 'while offering a file');
    part(host, '[part~="accept-file"]')!.click();
    await until(() => part(host, '[part~="save-file"]') !== null, 'the received file, ready to save');
    await audit.check(guest, 'with a file sent');
    await audit.check(host, 'with a received file');
    audit.expectNone();
  });

  it('has no violations with the chat panel open and messages in it', async () => {
    const audit = new Audit();
    const { host, guest } = await hostCall();
    for (const el of [host, guest]) {
      await until(() => part(el, '[part~="chat-toggle"]') !== null, `${el.name}'s Chat button`);
      part(el, '[part~="chat-toggle"]')!.click();
      await until(() => part(el, '[part~="chat-input"]') !== null, `${el.name}'s chat panel`);
    }
    for (const [el, text] of [
      [guest, 'Can everyone hear me?'],
      [host, 'Loud and clear. Agenda first, then questions.'],
    ] as const) {
      const input = part(el, '[part~="chat-input"]') as HTMLTextAreaElement;
      input.value = text;
      input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      part(el, '[part~="chat-send"]')!.click();
    }
    for (const el of [host, guest]) {
      await until(() => deepAll(el.shadowRoot!, '[part~="chat-message"]').length === 2, `both messages in ${el.name}'s chat`);
      await audit.check(el, 'with the chat open');
    }
    audit.expectNone();
  });
});
