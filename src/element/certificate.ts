// One DTLS certificate per browser profile and origin, kept in IndexedDB, so this browser
// shows the same fingerprint across reloads and tabs. A host's ban follows the
// certificate, not the throw-away peer id.

const DB = 'kibitz';
const STORE = 'certificates';
const KEY = 'dtls';
/** Renew well before expiry so a call never starts with a certificate about to lapse. */
const RENEW_BEFORE_MS = 24 * 60 * 60 * 1000;

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run<T>(db: IDBDatabase, mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = action(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

const generate = () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);

/**
 * The persistent certificate for this origin, created on first use. Where IndexedDB is
 * unavailable (some private modes) a certificate for this session only is used: every link
 * still shares it, so host commands bind to one fingerprint. Null only if the browser
 * cannot generate certificates at all.
 */
export function persistentCertificate(): Promise<RTCCertificate | null> {
  // One lookup per page: every element, and every join after the first, reuses it.
  cached ??= storedCertificate().catch(() => generate().catch(() => null));
  return cached;
}

let cached: Promise<RTCCertificate | null> | null = null;

async function storedCertificate(): Promise<RTCCertificate> {
  const db = await openDb();
  try {
    const stored = await run<RTCCertificate | undefined>(db, 'readonly', (s) => s.get(KEY));
    if (stored && stored.expires - Date.now() > RENEW_BEFORE_MS) return stored;
    const fresh = await generate();
    await run(db, 'readwrite', (s) => s.put(fresh, KEY));
    return fresh;
  } finally {
    db.close();
  }
}
