// A call's code (the engine and what only a call uses, call-parts.ts) is fetched when the
// element first joins, not with the page: in the script-tag build it is `kibitz-engine.js`
// beside the bundle. A failed fetch is tried again at the next join().
import { KibitzError } from '../errors.js';
import type * as CallParts from './call-parts.js';

export type CallPartsModule = typeof CallParts;

let loading: Promise<CallPartsModule> | null = null;
let loaded: CallPartsModule | null = null;

/** The call's code once it has arrived (it has whenever a Room exists); null before. */
export const loadedCall = (): CallPartsModule | null => loaded;

/** The call's code, loaded once per page; a failure is an ERR_LOAD that names what failed. */
export function loadCall(): Promise<CallPartsModule> {
  // The engine imports the room-making code (signing, invites), a chunk of its own in the
  // script-tag build; asking for both at once fetches them side by side, not one after the other.
  loading ??= Promise.all([import('./call-parts.js'), import('../crypto/room-link.js')]).then(
    ([parts]) => (loaded = parts),
    (err: unknown) => {
      loading = null;
      throw new KibitzError('ERR_LOAD', `could not load the call's code (kibitz-engine.js beside the bundle): ${String(err)}`, {
        cause: err,
      });
    },
  );
  return loading;
}
