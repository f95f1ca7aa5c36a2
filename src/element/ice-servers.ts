// `ice-servers-url`: short-lived TURN credentials from the page's own server. Before every
// join the element fetches `{ "iceServers": [...] }` from that URL, checks it with the same
// rules as the `ice-servers` attribute, and puts those servers first, before the ones
// `ice-servers` lists. Every failure (network, status, JSON, shape, timeout) is a KibitzError
// with code ERR_ICE_SERVERS that says which.
import { KibitzError } from '../errors.js';
import { checkIceServers, hasRelay, parseIceServers } from './config.js';

/** How long the endpoint may take to answer, body included. */
export const ICE_SERVERS_TIMEOUT_MS = 10_000;

const failure = (message: string, cause?: unknown) =>
  new KibitzError('ERR_ICE_SERVERS', `ice-servers-url: ${message}`, cause === undefined ? undefined : { cause });

const noRelay = (where: string) =>
  new KibitzError('ERR_NO_RELAY', `relay-only needs a TURN server in ${where}; refusing to connect directly`);

/**
 * Fetch and check the endpoint's `{ iceServers }`. Same-origin cookies go with the request
 * (`credentials: 'same-origin'`); a cross-origin endpoint must answer with CORS headers.
 * Rejects with ERR_ICE_SERVERS naming the reason.
 */
export async function fetchIceServers(url: string, { timeoutMs = ICE_SERVERS_TIMEOUT_MS } = {}): Promise<RTCIceServer[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  let text: string;
  try {
    const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' }, signal });
    if (!response.ok) {
      // The body is not needed; let the connection go.
      void response.body?.cancel().catch(() => undefined);
      throw failure(`the endpoint answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    text = await response.text();
  } catch (err) {
    if (err instanceof KibitzError) throw err;
    if (signal.aborted) throw failure(`no answer within ${timeoutMs / 1000} s`, err);
    throw failure(`could not be fetched (network error, or a cross-origin endpoint without CORS): ${errorText(err)}`, err);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw failure('the answer is not JSON', err);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('iceServers' in body)) {
    throw failure('the answer must be a JSON object with an "iceServers" array');
  }
  return checkIceServers((body as { iceServers: unknown }).iceServers, (message) => failure(`iceServers ${message}`));
}

/**
 * The ICE servers for one join. `ice-servers` is checked at once (a bad attribute fails before
 * any device opens); so is `relay-only` when there is no `ice-servers-url`. With a URL the
 * servers are fetched afresh (credentials are short-lived), the fetched ones first, then
 * those of `ice-servers`, and `relay-only` needs a TURN server among them all. The promise is
 * marked handled, so a caller may await it after other work without an unhandled rejection.
 */
export function iceServersFor(inline: string, url: string, relayOnly: boolean): Promise<RTCIceServer[]> {
  const listed = parseIceServers(inline);
  const endpoint = url.trim();
  if (!endpoint) {
    if (relayOnly && !hasRelay(listed)) throw noRelay('ice-servers');
    return Promise.resolve(listed);
  }
  let target: URL;
  try {
    target = new URL(endpoint, document.baseURI);
  } catch {
    throw failure(`"${endpoint}" is not a URL`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw failure(`"${endpoint}" is not an http(s) URL`);
  const servers = fetchIceServers(target.href).then((fetched) => {
    const all = [...fetched, ...listed];
    if (relayOnly && !hasRelay(all)) throw noRelay('ice-servers or from ice-servers-url (the endpoint gave none)');
    return all;
  });
  servers.catch(() => undefined);
  return servers;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Never refresh sooner than this, nor retry a failed refresh sooner than RETRY_MS. */
const MIN_REFRESH_MS = 5_000;
const RETRY_MS = 60_000;
/** setTimeout's longest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * When the earliest TURN REST credential among `servers` expires (ms since the epoch): their
 * usernames are `<unix seconds>:<label>`. Null when none is such a credential.
 */
export function credentialExpiry(servers: RTCIceServer[]): number | null {
  let earliest: number | null = null;
  for (const server of servers) {
    const match = /^(\d{9,12})(?::|$)/.exec(server.username ?? '');
    if (!match) continue;
    const expiry = Number(match[1]) * 1000;
    if (earliest === null || expiry < earliest) earliest = expiry;
  }
  return earliest;
}

/**
 * Keeps short-lived TURN credentials fresh while a call lasts: after three quarters of their
 * remaining lifetime it fetches new ones and hands them on (to links made later, and to live
 * links' ICE restarts). A failed refresh is reported, never fatal, and tried again a minute later.
 */
export class IceRefresh {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly load: () => Promise<RTCIceServer[]>,
    private readonly apply: (servers: RTCIceServer[]) => void,
    private readonly report: (err: unknown) => void,
  ) {}

  /** Plan the next refresh for the credentials in `servers` (none when they carry no expiry). */
  schedule(servers: RTCIceServer[]): void {
    clearTimeout(this.timer);
    const expiry = credentialExpiry(servers);
    if (this.stopped || expiry === null) return;
    const left = expiry - Date.now();
    this.wait(left > 0 ? Math.max(MIN_REFRESH_MS, left * 0.75) : RETRY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private wait(ms: number): void {
    this.timer = setTimeout(() => void this.refresh(), Math.min(ms, MAX_DELAY_MS));
  }

  private async refresh(): Promise<void> {
    try {
      const servers = await this.load();
      if (this.stopped) return;
      this.apply(servers);
      this.schedule(servers);
    } catch (err) {
      if (this.stopped) return;
      this.report(err);
      this.wait(RETRY_MS);
    }
  }
}
