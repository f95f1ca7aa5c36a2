// Recent host command ids per room in localStorage, so a command captured before a reload
// cannot be replayed after it. Keyed by the room's committed host key (public, one per room);
// entries expire with the replay window, so the stored list stays small.
import type { ReplayStore } from '../engine/room.js';

const PREFIX = 'kibitz-replay:';
/** As long as a command could still pass the freshness check (see COMMAND_MAX_AGE_MS), with margin. */
const KEEP_MS = 180_000;

/** A store for one room; null where there is no host key or no usable localStorage. */
export function localReplayStore(hostKey: string): ReplayStore | null {
  if (!hostKey) return null;
  let storage: Storage;
  try {
    storage = window.localStorage;
  } catch {
    return null;
  }
  const key = PREFIX + hostKey;
  return {
    load: () => JSON.parse(storage.getItem(key) ?? '[]') as unknown,
    save: (entries) => {
      const now = Date.now();
      const fresh = entries.filter(([, iat]) => now - iat < KEEP_MS);
      if (fresh.length) storage.setItem(key, JSON.stringify(fresh));
      else storage.removeItem(key);
    },
  };
}
