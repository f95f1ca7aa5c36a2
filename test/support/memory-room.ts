// Whole rooms in memory for deterministic engine tests: a manual clock, the in-memory bus
// (broker semantics) and in-memory links. Each room is one simulated page with its own clock,
// transport and links, so a test can freeze one page the way a paused tab freezes.
import { ManualClock } from '../../src/engine/clock.js';
import { MemoryNetwork, type MemoryLink } from '../../src/engine/memory-link.js';
import { Room, type Participant, type RoomEvents, type RoomOptions } from '../../src/engine/room.js';
import { MemoryBus } from '../../src/signaling/memory.js';
import { randomBytes } from '../../src/crypto/bytes.js';
import { formatFingerprint } from '../../src/engine/rtc-link.js';

export interface Harness {
  clock: ManualClock;
  bus: MemoryBus;
  net: MemoryNetwork;
  make(name: string): Room;
  /** A room with options of its own (timing, flood budget, …; `localFingerprint` is its links' certificate too). */
  makeWith(name: string, options: Partial<RoomOptions>): Room;
  /** Freeze a room's page: no timers, no frames handled, its sockets and links stay open. */
  freeze(room: Room): void;
  /** Crash a room's page: frozen, and its broker sockets close (its links stay silent, as a killed renderer's do). */
  crash(room: Room): void;
  /**
   * `room`'s own end of its link to `peer`. `receiveControl(raw)` / `receiveContent(raw)` on it
   * hand `room` a frame as if `peer` had sent it, synchronously, so a throw reaches the test.
   */
  endOf(room: Room, peer: Room): MemoryLink;
}

export function harness(roomName: string): Harness {
  const clock = new ManualClock();
  const bus = new MemoryBus(() => clock.now());
  const net = new MemoryNetwork();
  const pages = new WeakMap<Room, () => void>();
  const crashes = new WeakMap<Room, () => void>();
  const makeWith = (name: string, options: Partial<RoomOptions>) => {
    const page = clock.view();
    const transport = bus.transport();
    // One certificate per page, as a browser uses one for every link (a reloaded page keeps it).
    const fingerprint = options.localFingerprint ?? formatFingerprint(randomBytes(32));
    const links = net.factory(fingerprint);
    const room = new Room({ room: roomName, name, transport, links, clock: page, localFingerprint: fingerprint, ...options });
    pages.set(room, () => {
      page.freeze();
      transport.freeze();
      links.freeze();
    });
    crashes.set(room, () => {
      page.freeze();
      transport.crash();
      links.freeze();
    });
    return room;
  };
  const freeze = (room: Room) => {
    const page = pages.get(room);
    if (!page) throw new Error(`${room.name} was not made by this harness`);
    page();
  };
  const endOf = (room: Room, peer: Room) => {
    const link = room.link(peer.selfId);
    const end = net.links.find((l) => l === link);
    if (!end) throw new Error(`${room.name} has no link to ${peer.name}`);
    return end;
  };
  const crash = (room: Room) => {
    const page = crashes.get(room);
    if (!page) throw new Error(`${room.name} was not made by this harness`);
    page();
  };
  return { clock, bus, net, make: (name) => makeWith(name, {}), makeWith, freeze, crash, endOf };
}

export async function joinAll(h: Harness, ...rooms: Room[]): Promise<void> {
  for (const room of rooms) {
    const joined = room.join();
    await h.clock.advance(50);
    await joined;
  }
  await h.clock.advance(100);
}

/**
 * Settle until `done` holds, 20 ms of room time a step (at most `steps` of them, 10 s by
 * default): WebCrypto work resolves on macrotasks, and under load it can take more turns than
 * a fixed number of steps gives it.
 */
export async function settleUntil(h: Harness, done: () => boolean, steps = 500): Promise<void> {
  for (let i = 0; i < steps && !done(); i++) await h.clock.advance(20);
}

/** A fixed number of settling steps (20 ms of room time each). */
export const settle = (h: Harness, steps = 10): Promise<void> => settleUntil(h, () => false, steps);

export function record<K extends keyof RoomEvents>(room: Room, type: K): RoomEvents[K][] {
  const seen: RoomEvents[K][] = [];
  room.on(type, (d) => seen.push(d));
  return seen;
}

export const ids = (room: Room) => room.participants.map((p) => p.id);

/**
 * A roster frame as `coordinator` would send it, listing its current participants, with the
 * replicated state given (a forged record, a fake knock…): for tests of what a roster can carry.
 */
export function rosterFrom(
  coordinator: { selfId: string | null; participants: Participant[] },
  state: Record<string, unknown>,
  seq = 10_000,
): string {
  const peers = coordinator.participants.map(({ id, name, kind, audio, video, screen }, order) => ({
    id,
    name,
    kind,
    order,
    audio,
    video,
    screen,
  }));
  return JSON.stringify({ t: 'roster', epoch: 1, seq, coordinator: coordinator.selfId, peers, gone: [], state });
}
