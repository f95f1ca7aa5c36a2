// The mesh: one link per member, who dials whom, redials, content queued for links still being
// made, and peers cut off for flooding. It is the one place that maps links to members: a
// frame's sender is the link it came from, never what the frame claims.
import type { Clock } from './clock.js';
import type { Link } from './link.js';
import type { RosterEntry } from './protocol.js';

export interface MeshOptions {
  selfId: string;
  clock: Clock;
  /** How long a link may take to open before that pair is started over. */
  linkOpenMs: number;
  /** Make a link to a member; its handshake travels through the coordinator. */
  makeLink(remoteId: string, dialer: boolean): Link;
  /** The current roster, in any order. */
  roster(): RosterEntry[];
}

export type Frame = string | Uint8Array;

export class Mesh {
  private readonly links = new Map<string, Link>();
  /** Content sent before a member's link existed, delivered when it does. */
  private readonly unsent = new Map<string, Frame[]>();
  private readonly lastSeen = new Map<string, number>();
  /** Members whose pair link this peer cut for flooding: not redialled while rostered. */
  private readonly cutOff = new Set<string>();
  /** Live fingerprints of members' links, read once each link is open. */
  private readonly fingerprints = new Map<string, string>();

  constructor(private readonly options: MeshOptions) {}

  link(id: string): Link | null {
    return this.links.get(id) ?? null;
  }

  isOpen(id: string): boolean {
    return this.links.get(id)?.isOpen ?? false;
  }

  /** The member `link` is the current link of, or null (a stale, guest or entry link). */
  memberOf(link: Link): string | null {
    return this.links.get(link.remoteId) === link ? link.remoteId : null;
  }

  /** Every current link with its member id. */
  entries(): [string, Link][] {
    return [...this.links.entries()];
  }

  /** Make `link` the link to member `id` and deliver what waited for it. */
  attach(id: string, link: Link): void {
    link.remoteId = id;
    this.links.set(id, link);
    const waiting = this.unsent.get(id);
    this.unsent.delete(id);
    for (const frame of waiting ?? []) link.sendContent(frame);
  }

  /** Forget a member's link without closing it. */
  detach(id: string): Link | null {
    const link = this.links.get(id) ?? null;
    this.links.delete(id);
    return link;
  }

  /** Content for a member: now if linked, else once the link exists. */
  sendContent(id: string, frame: Frame): void {
    const link = this.links.get(id);
    if (link) link.sendContent(frame);
    else {
      const queue = this.unsent.get(id) ?? [];
      queue.push(frame);
      this.unsent.set(id, queue);
    }
  }

  sendControl(id: string, frame: string): boolean {
    const link = this.links.get(id);
    if (!link) return false;
    link.sendControl(frame);
    return true;
  }

  /** The live fingerprint of a member's link, once learned (see learnFingerprints). */
  fingerprintOf(id: string): string | null {
    return this.fingerprints.get(id) ?? null;
  }

  /** Read the fingerprint of every open link not yet known; `learned` runs for each one read. */
  learnFingerprints(learned: () => void): void {
    for (const [id, link] of this.links) {
      if (!link.isOpen || this.fingerprints.has(id)) continue;
      void link.fingerprint().then((fp) => {
        if (!fp || this.links.get(id) !== link) return;
        this.fingerprints.set(id, fp);
        learned();
      });
    }
  }

  /** Presence: when a member was last heard on its own link. */
  touch(id: string, now: number): void {
    this.lastSeen.set(id, now);
  }

  silentFor(id: string, now: number): number {
    return now - (this.lastSeen.get(id) ?? now);
  }

  /** Stop linking with a flooder; the coordinator decides whether it stays rostered. */
  cut(id: string): void {
    this.cutOff.add(id);
    this.detach(id)?.close();
  }

  /** A member left: close its link (after `lingerMs`) and forget everything about it. */
  remove(id: string, lingerMs = 0): void {
    const link = this.detach(id);
    this.unsent.delete(id);
    this.lastSeen.delete(id);
    this.cutOff.delete(id);
    this.fingerprints.delete(id);
    if (link && lingerMs) {
      // The link stays only to carry a last control frame or two: no media in the meantime.
      for (const slot of ['audio', 'video', 'screen'] as const) void link.setTrack(slot, null).catch(() => undefined);
      this.options.clock.setTimeout(() => link.close(), lingerMs);
    } else link?.close();
  }

  /** Close every link (saying `farewell` first, if given) and forget everyone. */
  clear(farewell?: string): void {
    for (const link of this.links.values()) {
      if (farewell) link.sendControl(farewell);
      link.close();
    }
    this.links.clear();
    this.unsent.clear();
    this.lastSeen.clear();
    this.cutOff.clear();
    this.fingerprints.clear();
  }

  /**
   * Dial every member that joined before us and that we have no link with; members that
   * joined after us dial us. A handshake lost in a coordinator change never completes: the
   * pair is started over after `linkOpenMs`.
   */
  up(): void {
    const roster = this.options.roster();
    const self = roster.find((e) => e.id === this.options.selfId);
    if (!self) return;
    for (const entry of roster) {
      if (entry.id === self.id || this.links.has(entry.id) || this.cutOff.has(entry.id)) continue;
      if (entry.order < self.order) this.attach(entry.id, this.create(entry.id, true));
    }
  }

  /** An offer from a member that joined after us: answer it on a new link. */
  accept(entry: RosterEntry): Link | null {
    const self = this.options.roster().find((e) => e.id === this.options.selfId);
    if (!self || entry.order < self.order || this.cutOff.has(entry.id)) return null;
    const link = this.create(entry.id, false);
    this.attach(entry.id, link);
    return link;
  }

  private create(remoteId: string, dialer: boolean): Link {
    const { clock, linkOpenMs } = this.options;
    const link = this.options.makeLink(remoteId, dialer);
    const openedBy = clock.now() + linkOpenMs;
    clock.setTimeout(() => {
      if (link.isOpen || this.links.get(remoteId) !== link || clock.now() < openedBy) return;
      this.links.delete(remoteId);
      link.close();
      this.up();
    }, linkOpenMs);
    return link;
  }

  /** Bookkeeping sizes, for leak checks. */
  counts(): { links: number; unsent: number; cutOff: number; fingerprints: number } {
    return { links: this.links.size, unsent: this.unsent.size, cutOff: this.cutOff.size, fingerprints: this.fingerprints.size };
  }
}
