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
