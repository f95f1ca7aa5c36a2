// A coordinator that sits in the middle of other members' links: the attack safety codes exist
// to expose. Test-only; nothing here is in the shipped bundle. It wraps the coordinator's own
// link factory, so every handshake one member sends another through it is swallowed; it
// answers each side itself, as the other, on links of its own (its own certificate), and
// forwards every frame between them. Works over memory links and over real RTCPeerConnections.
import type { Link, LinkFactory } from '../../src/engine/link.js';
import { decodeControl, encodeControl, type SignalData } from '../../src/engine/protocol.js';
import { SafetyExchange, type SafetyFrame } from '../../src/engine/safety.js';
import { normalizeRoomName } from '../../src/crypto/room-keys.js';
import { randomBytes } from '../../src/crypto/bytes.js';

/**
 * `forward`: pass the pair's safety frames through untouched (the victims' own exchange runs
 * across the attacker). `terminate`: run an honest exchange on each side as the other end,
 * so each victim derives a code with the attacker.
 */
export type MitmMode = 'forward' | 'terminate';

export interface ManInTheMiddle {
  /** Give this to the coordinator's Room as its link factory. */
  readonly links: LinkFactory;
  /** The coordinator's Room, once made (its links carry the attacker's frames). */
  bind(coordinator: { selfId: string; link(id: string): Link | null }): void;
  /** The pairs the attacker sits between, `x>y` with x the one that dialled. */
  readonly pairs: string[];
  /** Terminate mode: the code the attacker derived with each victim, by `victim<posing as`. */
  readonly codes: Map<string, string>;
  /** The attacker's own faces, for leak-free teardown. */
  close(): void;
}

export interface MitmOptions {
  /** The coordinator's real link factory. */
  inner: LinkFactory;
  /** Links the attacker makes for its faces (with the attacker's certificate). */
  own: LinkFactory;
  /** The attacker's certificate fingerprint (its faces' own). */
  ownFingerprint: string;
  room: string;
  mode: MitmMode;
}

interface Session {
  /** The face toward each victim, keyed by the victim's id. */
  faces: Map<string, Link>;
  exchanges: Map<string, Promise<SafetyExchange | null>>;
}

export function manInTheMiddle(options: MitmOptions): ManInTheMiddle {
  let coordinator: { selfId: string; link(id: string): Link | null } | null = null;
  const sessions = new Map<string, Session>();
  const pairs: string[] = [];
  const codes = new Map<string, string>();
  const key = (x: string, y: string) => (x < y ? `${x}|${y}` : `${y}|${x}`);

  /** A frame from `victim`, meant for `other`, arrived on the attacker's face toward `victim`. */
  const fromFace = (session: Session, victim: string, other: string, raw: unknown) => {
    if (options.mode === 'terminate' && typeof raw === 'string') {
      const frame = decodeControl(raw);
      if (frame?.t === 'safety') {
        const ready = session.exchanges.get(victim);
        void ready?.then(async (exchange) => {
          if (!exchange) return;
          await exchange.receive(frame as SafetyFrame);
          if (exchange.code) codes.set(`${victim}<${other}`, exchange.code);
        });
        return;
      }
    }
    if (typeof raw === 'string') session.faces.get(other)?.sendControl(raw);
  };

  /** A face toward `victim` that poses as `posingAs`. */
  const face = (session: Session, victim: string, posingAs: string, dialer: boolean): Link => {
    const link: Link = options.own({
      remoteId: victim,
      dialer,
      polite: posingAs < victim,
      tracks: {},
      media: false,
      handlers: {
        signal: (data) => coordinator?.link(victim)?.sendControl(encodeControl({ t: 'signal', from: posingAs, to: victim, data })),
        open: () => {
          if (options.mode !== 'terminate') return;
          session.exchanges.set(
            victim,
            (async () => {
              const seen = await link.fingerprint();
              if (!seen) return null;
              const exchange = new SafetyExchange({
                committer: posingAs < victim,
                own: options.ownFingerprint,
                seen,
                room: normalizeRoomName(options.room),
                random: randomBytes,
                send: (frame) => link.sendControl(encodeControl(frame)),
              });
              await exchange.start();
              return exchange;
            })(),
          );
        },
        close: () => undefined,
        control: (raw) => fromFace(session, victim, posingAs, raw),
        content: (raw) => {
          const other = session.faces.get(posingAs);
          if (typeof raw === 'string') other?.sendContent(raw);
          else if (raw instanceof ArrayBuffer) other?.sendContent(new Uint8Array(raw));
        },
      },
    });
    return link;
  };

  /** A member's handshake for another member, swallowed from the coordinator's link. */
  const intercept = (from: string, to: string, data: SignalData) => {
    let session = sessions.get(key(from, to));
    if (!session) {
      session = { faces: new Map(), exchanges: new Map() };
      sessions.set(key(from, to), session);
      pairs.push(`${from}>${to}`);
      // The one who dialled gets an answer from us; we dial the other as the dialler.
      session.faces.set(from, face(session, from, to, false));
      session.faces.set(to, face(session, to, from, true));
    }
    void session.faces.get(from)!.handleSignal(data);
  };

  const links: LinkFactory = (linkOptions) => {
    const link: Link = options.inner({
      ...linkOptions,
      handlers: {
        ...linkOptions.handlers,
        control: (raw) => {
          if (coordinator && typeof raw === 'string') {
            const frame = decodeControl(raw);
            if (frame?.t === 'signal' && frame.from === undefined && frame.to !== coordinator.selfId) {
              return intercept(link.remoteId, frame.to, frame.data);
            }
          }
          linkOptions.handlers.control(raw);
        },
      },
    });
    return link;
  };

  return {
    links,
    bind: (room) => void (coordinator = room),
    pairs,
    codes,
    close: () => {
      for (const session of sessions.values()) for (const link of session.faces.values()) link.close();
      sessions.clear();
    },
  };
}
