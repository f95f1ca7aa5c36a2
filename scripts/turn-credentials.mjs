// Short-lived TURN credentials for coturn's REST secret mode (`use-auth-secret` with
// `static-auth-secret`): the username is `<expiry in unix seconds>:<label>` and the credential
// is base64(HMAC-SHA1(secret, username)). coturn recomputes the HMAC with the same secret and
// refuses a username whose expiry has passed, so nothing is stored per user and a leaked
// credential stops working by itself. The demo server and the relay tests mint them here.
import { createHmac } from 'node:crypto';

/** How long minted credentials live unless told otherwise: one hour. */
export const DEFAULT_TTL_SECONDS = 3600;

/** One credential: `{ username, credential, expires }` (`expires` in unix seconds). */
export function mintTurnCredential({ secret, ttl = DEFAULT_TTL_SECONDS, label = 'kibitz', now = Date.now() }) {
  if (typeof secret !== 'string' || !secret) throw new Error('a TURN secret is needed');
  if (!Number.isInteger(ttl)) throw new Error('the TTL is a whole number of seconds');
  if (typeof label !== 'string' || label.includes(':')) throw new Error('the label is a string without ":"');
  const expires = Math.floor(now / 1000) + ttl;
  const username = `${expires}:${label}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expires };
}

/**
 * The settings from the environment: `KIBITZ_TURN_SECRET` (coturn's `static-auth-secret`),
 * `KIBITZ_TURN_URL` (comma-separated `turn:`/`turns:` URLs) and `KIBITZ_TURN_TTL` (seconds,
 * default 3600). Null when the secret or the URLs are unset; throws when a value is wrong.
 */
export function turnEnv(env = process.env) {
  const secret = env.KIBITZ_TURN_SECRET ?? '';
  const urls = (env.KIBITZ_TURN_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (!secret || !urls.length) {
    if (secret || urls.length) throw new Error('KIBITZ_TURN_SECRET and KIBITZ_TURN_URL go together: set both, or neither');
    return null;
  }
  const bad = urls.find((u) => !/^turns?:/.test(u));
  if (bad) throw new Error(`KIBITZ_TURN_URL: "${bad}" is not a turn: or turns: URL`);
  const ttlText = env.KIBITZ_TURN_TTL?.trim() || String(DEFAULT_TTL_SECONDS);
  const ttl = Number(ttlText);
  if (!/^\d+$/.test(ttlText) || ttl < 60 || ttl > 7 * 24 * 3600) throw new Error('KIBITZ_TURN_TTL: whole seconds, from 60 to 604800');
  return { secret, urls, ttl };
}

/** The `{ iceServers }` an `ice-servers-url` endpoint answers: empty without settings. */
export function iceServersAnswer(settings, { now = Date.now() } = {}) {
  if (!settings) return { iceServers: [] };
  const { username, credential } = mintTurnCredential({ secret: settings.secret, ttl: settings.ttl, label: settings.label, now });
  return { iceServers: [{ urls: settings.urls, username, credential }] };
}

/**
 * A Node HTTP handler for `GET /ice-servers` (or `path`): answers fresh credentials as JSON,
 * never cached. Returns whether it handled the request.
 */
export function iceServersHandler(settings, { path = '/ice-servers', headers = {} } = {}) {
  return (req, res) => {
    if (new URL(req.url, 'http://x').pathname !== path) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('GET only');
      return true;
    }
    const body = JSON.stringify(iceServersAnswer(settings));
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
