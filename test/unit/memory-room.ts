// Whole rooms in memory for deterministic engine tests: a manual clock, the in-memory bus
// (broker semantics) and in-memory links.
import { ManualClock } from '../../src/engine/clock.js';
import { MemoryNetwork } from '../../src/engine/memory-link.js';
import { Room, type RoomEvents } from '../../src/engine/room.js';
import { MemoryBus } from '../../src/signaling/memory.js';

export interface Harness {
  clock: ManualClock;
  bus: MemoryBus;
  net: MemoryNetwork;
  make(name: string): Room;
}

export function harness(roomName: string): Harness {
  const clock = new ManualClock();
  const bus = new MemoryBus(() => clock.now());
  const net = new MemoryNetwork();
  return { clock, bus, net, make: (name) => new Room({ room: roomName, name, transport: bus.transport(), links: net.factory(), clock }) };
}

export async function joinAll(h: Harness, ...rooms: Room[]): Promise<void> {
  for (const room of rooms) {
    const joined = room.join();
    await h.clock.advance(50);
    await joined;
  }
  await h.clock.advance(100);
}

export function record<K extends keyof RoomEvents>(room: Room, type: K): RoomEvents[K][] {
  const seen: RoomEvents[K][] = [];
  room.on(type, (d) => seen.push(d));
  return seen;
}

export const ids = (room: Room) => room.participants.map((p) => p.id);
