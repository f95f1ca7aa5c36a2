// Every word the built-in UI shows, in English. A page translates or rewords the UI by setting
// the element's `strings` property to a partial object: the keys it gives replace these, the
// rest stay. Strings that carry values are functions of them.
import type { RoomState } from '../../engine/room.js';
import type { SafetyAlarm } from '../../engine/safety.js';
import type { DeviceKind, LinkQuality } from '../call-types.js';
import type { Act } from '../../engine/grants.js';
import { formatBytes } from '../../engine/format-bytes.js';

export const defaultStrings = {
  // The status line.
  notInCall: 'Not in the call',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  inCallWith: (others: number) => `In the call with ${others} other${others === 1 ? '' : 's'}`,
  inCallAlone: 'In the call — waiting for others',
  waiting: 'Waiting for the host to let you in…',
  refused: 'The room did not let you in.',
  kicked: 'You were removed from the call.',
  left: 'You left the call.',
  failed: (reason: string | null) => `Could not connect${reason ? `: ${reason}` : '.'}`,

  // The toolbar.
  controls: 'Call controls',
  join: 'Join call',
  joining: 'Joining…',
  leave: 'Leave',
  mute: 'Mute',
  unmute: 'Unmute',
  cameraOff: 'Camera off',
  cameraOn: 'Camera on',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  chat: 'Chat',
  /** The chat toggle's accessible name while messages are unread. */
  chatUnread: (unread: number) => `Chat, ${unread} unread`,
  people: 'People',
  sendFile: 'Send file',

  // Before joining.
  preJoin: 'Before you join',
  preview: 'Your camera preview',
  previewOff: 'Camera is off',
  startPreview: 'Check camera and microphone',
  microphone: 'Microphone',
  camera: 'Camera',
  speaker: 'Speaker',
  micLevel: 'Microphone level',
  yourName: 'Your name',
  /** A device the browser does not name yet (before media permission). */
  deviceFallback: (kind: DeviceKind, n: number) =>
    `${kind === 'camera' ? 'Camera' : kind === 'microphone' ? 'Microphone' : 'Speaker'} ${n}`,

  // Tiles.
  participantsGrid: 'Participants',
  guest: 'Guest',
  you: ' (you)',
  screenSuffix: ' — screen',
  screenLabel: (name: string) => `${name} (screen)`,
  hostBadge: 'host',
  muted: 'muted',
  mutedLabel: 'microphone off',
  cameraIsOff: 'camera off',
  speaking: 'speaking',
  quality: (quality: LinkQuality) => `${quality} connection`,
  pin: (name: string) => `Pin ${name}`,
  pinText: 'Pin',
  fullScreen: (name: string) => `Full screen: ${name}`,
  fullScreenText: 'Full screen',
  remove: 'Remove',
  removeLabel: (name: string) => `Remove ${name} from the call`,

  // Safety codes.
  verify: 'Verify',
  verifying: 'Verifying…',
  verifyLabel: (name: string) => `Verify ${name}: compare your safety code`,
  safetyGroup: (name: string) => `Safety code with ${name}`,
  safetyHelp: (name: string) => `Read this aloud with ${name}. Their screen must show the same code for you.`,
  match: 'Match',
  noMatch: 'No match',
  verified: '✓ verified',
  newDevice: (name: string) => `⚠ ${name} is on a new device: verify again`,
  notSafe: (alarm: SafetyAlarm) =>
    `⚠ not safe: ${alarm === 'commitment' ? 'the safety check was tampered with' : 'the safety codes did not match'}`,

  // The host's panel.
  hostControls: 'Host controls',
  lockRoom: 'Lock room',
  unlockRoom: 'Unlock room',
  lobbyOn: 'Waiting room on',
  lobbyOff: 'Waiting room off',
  waitingList: 'Waiting to join',
  nobodyWaiting: 'Nobody is waiting.',
  admit: 'Admit',
  admitLabel: (name: string) => `Admit ${name}`,
  deny: 'Deny',
  denyLabel: (name: string) => `Deny ${name}`,

  // The participant list.
  peopleHeading: (n: number) => `People (${n})`,
  coordinator: 'coordinator',
  grantsLegend: (name: string) => `${name} may`,
  actName: (act: Act) => ({ speak: 'speak', camera: 'use the camera', screen: 'share the screen', chat: 'chat', files: 'send files' })[act],

  // Chat.
  chatHeading: 'Chat',
  chatLog: 'Messages',
  chatEmpty: 'No messages yet.',
  chatInput: 'Message everyone',
  chatSend: 'Send',
  chatHint: 'Enter sends, Shift+Enter starts a new line.',
  chatFailed: (reason: string) => `Not sent: ${reason}`,
  /** The time shown beside a message. */
  time: (at: Date) => at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),

  // Files.
  files: 'Files',
  chooseFile: 'Choose a file to send to everyone',
  sending: (name: string) => `Sending ${name}`,
  sent: (name: string) => `Sent ${name}`,
  sendFailed: (name: string) => `${name} was not sent to everyone`,
  fileOffer: (from: string, what: string) => `${from} wants to send you ${what}`,
  fileWhat: (name: string, size: number) => `${name || 'a file'} (${formatBytes(size)})`,
  accept: 'Accept',
  acceptLabel: (what: string) => `Accept ${what}`,
  decline: 'Decline',
  declineLabel: (what: string) => `Decline ${what}`,
  fileFrom: (name: string, from: string) => `${name} from ${from}`,
  download: 'Download',
  downloadLabel: (name: string) => `Download ${name}`,
  dismiss: 'Dismiss',
  dismissLabel: (name: string) => `Dismiss ${name}`,

  // The admission gate's form.
  joinCode: 'Join code',
  gateJoin: 'Join',
  signIn: 'Sign in',
  signedIn: 'Signed in.',
  email: 'Email',
  emailCode: 'Code from the email',
  sendCode: 'Send code',
  verifyCode: 'Verify',
  emailVerified: 'Email verified.',
  otherAddress: 'Use another address',
  byInvitation: 'This room is by invitation: open your personal invite link.',
  namesOnly: 'Only listed names may join: use yours.',
};

/** Every string of the built-in UI; the `strings` property takes any part of it. */
export type KibitzStrings = typeof defaultStrings;

/** The status line (an ARIA live region): where this peer stands in the call. */
export function stateLine(s: KibitzStrings, state: RoomState, others: number, reconnecting: boolean, lastError: string | null): string {
  switch (state) {
    case 'idle':
      return s.notInCall;
    case 'connecting':
      return s.connecting;
    case 'joined':
      if (reconnecting) return s.reconnecting;
      return others > 0 ? s.inCallWith(others) : s.inCallAlone;
    case 'waiting':
      return s.waiting;
    case 'refused':
      return s.refused;
    case 'kicked':
      return s.kicked;
    case 'left':
      return s.left;
    case 'failed':
      return s.failed(lastError);
  }
}

/** The page's overrides over the defaults; a key whose value has the wrong type is ignored. */
export function mergeStrings(overrides: Partial<KibitzStrings> | null | undefined): KibitzStrings {
  const merged = { ...defaultStrings };
  if (!overrides || typeof overrides !== 'object') return merged;
  for (const key of Object.keys(defaultStrings) as (keyof KibitzStrings)[]) {
    const value = overrides[key];
    if (typeof value === typeof defaultStrings[key]) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}
