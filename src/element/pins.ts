// Trust on first confirm, per browser profile: the devices whose safety code this browser's
// user confirmed, each a DTLS fingerprint with the name it had, kept in IndexedDB so a reload
// (or another tab) still knows them. Every Room reads them afresh when it is made.
import type { Pin, PinStore } from '../engine/room.js';

const DB = 'kibitz-pins';
const STORE = 'pins';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'fingerprint' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      // A write counts once its transaction committed, not when the request succeeded.
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const isPin = (value: unknown): value is Pin => {
  const pin = value as Pin;
  return typeof pin?.fingerprint === 'string' && typeof pin.name === 'string' && typeof pin.pinnedAt === 'number';
};

/**
 * The pins of this browser profile and origin. Where IndexedDB is unavailable (some private
 * modes) pins live for this page only: a confirmation still counts until the page goes.
 */
export class IndexedDbPinStore implements PinStore {
  private readonly fallback = new Map<string, Pin>();
  private usable = typeof indexedDB !== 'undefined';

  async load(): Promise<Pin[]> {
    if (this.usable) {
      try {
        return (await run<unknown[]>('readonly', (s) => s.getAll())).filter(isPin);
      } catch {
        this.usable = false;
      }
    }
    return [...this.fallback.values()];
  }

  async save(pin: Pin): Promise<void> {
    this.fallback.set(pin.fingerprint, { ...pin });
    if (this.usable) await run('readwrite', (s) => s.put({ ...pin })).catch(() => undefined);
  }

  async remove(fingerprint: string): Promise<void> {
    this.fallback.delete(fingerprint);
    if (this.usable) await run('readwrite', (s) => s.delete(fingerprint)).catch(() => undefined);
  }
}
