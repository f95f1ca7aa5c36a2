// ID-token verification for the `oidc` and `email` gates, in a chunk of its own: the JOSE code
// loads only in rooms whose gate needs it. The issuer's configuration is discovered once per
// page, its keys fetched and cached by jose; the algorithms are pinned to asymmetric ones the
// issuer declares, so neither `none` nor an HMAC keyed with a public key can pass.
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { emailAllowed, type GateReason } from '../crypto/gate.js';

/** Clock disagreement tolerated on `exp`, `iat` and `nbf`, in seconds. */
export const TOKEN_LEEWAY_S = 60;
/** An ID token older than this is refused even when its `exp` is later. */
export const MAX_TOKEN_AGE_S = 12 * 3600;
const MAX_TOKEN_CHARS = 8192;
const FETCH_TIMEOUT_MS = 5000;
const ASYMMETRIC = ['ES256', 'RS256', 'PS256', 'EdDSA', 'ES384', 'RS384', 'PS384', 'ES512', 'RS512', 'PS512'];

interface Issuer {
  keys: JWTVerifyGetKey;
  algorithms: string[];
}

const issuers = new Map<string, Promise<Issuer>>();

async function fetchJson(url: string): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(url, { signal: controller.signal, credentials: 'omit', redirect: 'error' });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return await response.json();
  } finally {
    clearTimeout(timer);
  }
}

/** What discovery yields: the document, where the keys are, and the algorithms pinned. */
export interface Discovery {
  config: Record<string, unknown>;
  jwksUri: URL;
  algorithms: string[];
}

const discovered = new Map<string, Promise<Discovery>>();

/** An issuer's discovery document, read once per page (a failure is not kept, so it is retried). */
export function discover(issuer: string): Promise<Discovery> {
  let found = discovered.get(issuer);
  if (!found) {
    found = (async () => {
      const config = (await fetchJson(`${issuer}/.well-known/openid-configuration`)) as Record<string, unknown>;
      if (typeof config !== 'object' || config === null || config.issuer !== issuer)
        throw new Error('the discovery document names another issuer');
      const jwksUri = typeof config.jwks_uri === 'string' ? new URL(config.jwks_uri) : null;
      if (!jwksUri || (jwksUri.protocol !== 'https:' && new URL(issuer).protocol === 'https:')) throw new Error('no usable jwks_uri');
      const declared = Array.isArray(config.id_token_signing_alg_values_supported)
        ? config.id_token_signing_alg_values_supported
        : ['RS256'];
      const algorithms = ASYMMETRIC.filter((alg) => declared.includes(alg));
      if (!algorithms.length) throw new Error('the issuer declares no asymmetric signing algorithm');
      return { config, jwksUri, algorithms };
    })();
    found.catch(() => discovered.delete(issuer));
    discovered.set(issuer, found);
  }
  return found;
}

/** The issuer's keys (fetched and cached by jose) and pinned algorithms, made once per page. */
function issuerOf(issuer: string): Promise<Issuer> {
  let known = issuers.get(issuer);
  if (!known) {
    known = discover(issuer).then(({ jwksUri, algorithms }) => ({
      keys: createRemoteJWKSet(jwksUri, { timeoutDuration: FETCH_TIMEOUT_MS }),
      algorithms,
    }));
    known.catch(() => issuers.delete(issuer));
    issuers.set(issuer, known);
  }
  return known;
}

const KEY_MISSES = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JWKS_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);

/**
 * Verify an ID token for a gate: signature against the issuer's published keys (algorithm
 * pinned), `iss`, `aud`, `exp`/`iat` with a small leeway, the `nonce` this verifier computed
 * from its own live link to the holder, `email_verified`, and the allow-list. Never throws.
 */
export async function verifyIdToken(
  token: string,
  ctx: { issuer: string; audience: string; nonce: string; allow: readonly string[]; now: number; allowExpired?: boolean },
): Promise<{ ok: true; email: string } | { ok: false; reason: GateReason }> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'bad-credential' };
  let issuer: Issuer;
  try {
    issuer = await issuerOf(ctx.issuer);
  } catch {
    return { ok: false, reason: 'issuer-unreachable' };
  }
  // A member's token past its `exp` is checked as of just before it expired, and only while it
  // is younger than MAX_TOKEN_AGE_S; at the door (allowExpired unset) it must be current.
  let at = ctx.now;
  if (ctx.allowExpired) {
    try {
      const { exp, iat } = decodeJwt(token);
      if (typeof exp === 'number' && typeof iat === 'number' && ctx.now > exp * 1000) {
        if (ctx.now - iat * 1000 > MAX_TOKEN_AGE_S * 1000) return { ok: false, reason: 'expired' };
        at = exp * 1000 - 1000;
      }
    } catch {
      return { ok: false, reason: 'bad-credential' };
    }
  }
  let unreachable = false;
  const keys: JWTVerifyGetKey = async (header, input) => {
    try {
      return await issuer.keys(header, input);
    } catch (err) {
      if (!KEY_MISSES.has((err as { code?: string }).code ?? '')) unreachable = true;
      throw err;
    }
  };
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: ctx.issuer,
      audience: ctx.audience,
      algorithms: issuer.algorithms,
      clockTolerance: TOKEN_LEEWAY_S,
      maxTokenAge: MAX_TOKEN_AGE_S,
      currentDate: new Date(at),
      requiredClaims: ['iat', 'exp', 'nonce'],
    });
    if (payload.nonce !== ctx.nonce) return { ok: false, reason: 'bad-credential' };
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : '';
    if (!email || payload.email_verified !== true) return { ok: false, reason: 'not-allowed' };
    if (!emailAllowed(email, ctx.allow)) return { ok: false, reason: 'not-allowed' };
    return { ok: true, email };
  } catch (err) {
    if (unreachable) return { ok: false, reason: 'issuer-unreachable' };
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'bad-credential' };
  }
}
