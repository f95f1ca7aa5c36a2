// The words the built-in UI shows. Pure: the same inputs always read the same.
import type { RoomState } from '../engine/room.js';

/** The status line (an ARIA live region): where this peer stands in the call. */
export function stateLine(state: RoomState, others: number, reconnecting: boolean, lastError: string | null): string {
  switch (state) {
    case 'idle':
      return 'Not in the call';
    case 'connecting':
      return 'Connecting…';
    case 'joined':
      if (reconnecting) return 'Reconnecting…';
      return others > 0 ? `In the call with ${others} other${others === 1 ? '' : 's'}` : 'In the call — waiting for others';
    case 'waiting':
      return 'Waiting for the host to let you in…';
    case 'refused':
      return 'The room did not let you in.';
    case 'kicked':
      return 'You were removed from the call.';
    case 'left':
      return 'You left the call.';
    case 'failed':
      return `Could not connect${lastError ? `: ${lastError}` : '.'}`;
  }
}

/** Up to two initials for a tile without video; `?` for a nameless guest. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.slice(0, 2).map((p) => [...p][0]).join('') || '?').toUpperCase();
}
