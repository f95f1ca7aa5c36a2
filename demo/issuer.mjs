// The demo's email-code issuer: an OpenID-style issuer that proves control of an email
// address and nothing else. A browser posts { email, nonce } to /email/start, gets the code
// by mail, posts { ticket, code } to /email/verify and receives an ES256 ID token that echoes
// the nonce (a hash binding the token to the browser's device and room; the issuer never
// sees the room). Discovery is at /.well-known/openid-configuration, keys at /jwks.json.
//
//   const issuer = await createIssuer({ origin, smtpUrl, mailFrom, key, now, limits, log });
//   await issuer.handle(req, res)  // true when the request was the issuer's and was answered
//   issuer.inspect()               // deep copy of all it stores (test seam: tickets, buckets)
//   await issuer.close()           // drops state, closes the SMTP transport
//
// Options: `origin` the issuer URL (no trailing slash); `smtpUrl` (e.g. smtp://127.0.0.1:2525;
// unset = print mails to the log as a development sink); `mailFrom`; `key` a private ES256 JWK
// (object or JSON; unset = generated); `now()` in ms; `limits` { perEmail, perAddress:
// { max, windowMs }, maxTickets }; `log` { info, warn, error } (default console).
//
// Storage holds no email, nonce or address in clear: tickets are keyed by the ticket's hash
// and seal { email, nonce } under a key derived from the ticket itself, codes are HMACs,
// rate-limit buckets are keyed by HMACs. Log lines carry counts and error codes only; the
// development mail sink (no SMTP) prints the mail itself: address and code, never the nonce.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import nodemailer from 'nodemailer';

export const AUDIENCE = 'kibitz';
/** Unambiguous: no 0/O, 1/I/L. 31 symbols, 10 of them ≈ 49 bits. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const CODE_LENGTH = 10;
export const TICKET_TTL_MS = 10 * 60_000;
export const TOKEN_TTL_S = 5 * 60;
export const MAX_TRIES = 5;
export const MAX_BODY = 4096;
export const DEFAULT_LIMITS = Object.freeze({
  perEmail: Object.freeze({ max: 3, windowMs: 10 * 60_000 }),
  perAddress: Object.freeze({ max: 10, windowMs: 10 * 60_000 }),
  maxTickets: 10_000,
});
/** Dead tickets are kept this long past expiry so a late verify says `expired`, not `unknown-ticket`. */
const EXPIRED_GRACE_MS = 10 * 60_000;

const PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/jwks.json',
  start: '/email/start',
  verify: '/email/verify',
};
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

class HttpError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/** The issuer; see the header comment. Throws on an unusable key. */
export async function createIssuer({
  origin,
  smtpUrl,
  mailFrom = 'Kibitz <no-reply@localhost>',
  key,
  now = Date.now,
  limits = {},
  log = console,
} = {}) {
  if (typeof origin !== 'string' || !/^https?:\/\/[^/]+$/.test(origin))
    throw new Error(`issuer origin must look like http(s)://host[:port], got ${origin}`);
  const { privateKey, publicJwk, d } = await loadKey(key);
  // One server secret for codes, subjects and bucket keys, derived from the signing key so
  // `sub` stays stable for as long as the key does.
  const secret = Buffer.from(hkdfSync('sha256', d, Buffer.alloc(0), 'kibitz issuer secret', 32));
  const mac = (label, value) => createHmac('sha256', secret).update(`${label}\0${value}`).digest();
  const windows = {
    email: slidingWindow({ ...DEFAULT_LIMITS.perEmail, ...limits.perEmail }),
    address: slidingWindow({ ...DEFAULT_LIMITS.perAddress, ...limits.perAddress }),
  };
  const maxTickets = limits.maxTickets ?? DEFAULT_LIMITS.maxTickets;
  /** sha256(ticket) → { expiresAt, triesLeft, codeMac, sealed } */
  const tickets = new Map();
  const transport = smtpUrl
    ? nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
    : null;

  const discovery = {
    issuer: origin,
    jwks_uri: `${origin}${PATHS.jwks}`,
    id_token_signing_alg_values_supported: ['ES256'],
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'aud', 'sub', 'email', 'email_verified', 'nonce', 'iat', 'exp', 'jti'],
    scopes_supported: ['openid', 'email'],
    // Not standard OpenID metadata: where a client starts and finishes the email-code flow.
    email_start_endpoint: `${origin}${PATHS.start}`,
    email_verify_endpoint: `${origin}${PATHS.verify}`,
  };
  const jwks = { keys: [publicJwk] };

  function sweep(t) {
    for (const [id, ticket] of tickets) if (ticket.expiresAt + EXPIRED_GRACE_MS <= t) tickets.delete(id);
    windows.email.sweep(t);
    windows.address.sweep(t);
  }

  async function start(req) {
    const body = await readJson(req);
    // ASCII before lower-casing: some non-ASCII letters lower-case into ASCII ones (U+212A into k).
    const raw = typeof body.email === 'string' ? body.email.trim() : '';
    const email = /^[\x21-\x7e]+$/.test(raw) ? raw.toLowerCase() : '';
    if (!isPlausibleEmail(email)) throw new HttpError(400, 'bad-request', 'email must be a plausible address of at most 254 characters');
    if (!isSha256Base64url(body.nonce)) throw new HttpError(400, 'bad-request', 'nonce must be a base64url SHA-256 (43 characters)');
    const t = now();
    sweep(t);
    const emailKey = mac('rate:email', email).toString('base64url');
    const addressKey = mac('rate:address', req.socket.remoteAddress ?? '').toString('base64url');
    const waitMs = Math.max(windows.email.wait(emailKey, t), windows.address.wait(addressKey, t), tickets.size >= maxTickets ? 60_000 : 0);
    if (waitMs > 0) {
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      log.warn(`issuer: start refused, rate limited for ${retryAfter} s`);
      throw new HttpError(429, 'rate-limited', `too many codes asked for; retry in ${retryAfter} s`, { retryAfter });
    }
    windows.email.hit(emailKey, t);
    windows.address.hit(addressKey, t);

    const ticket = randomBytes(32).toString('base64url');
    const code = randomCode();
    const id = ticketId(ticket);
    tickets.set(id, {
      expiresAt: t + TICKET_TTL_MS,
      triesLeft: MAX_TRIES,
      codeMac: mac('code', `${id}\0${code}`).toString('base64url'),
      sealed: seal(ticket, { email, nonce: body.nonce }),
    });
    try {
      await sendMail(email, code);
    } catch (err) {
      tickets.delete(id);
      // The SMTP error text can quote the recipient: log its code only.
      log.error(`issuer: mail failed (${err?.code ?? 'error'}${err?.responseCode ? ` ${err.responseCode}` : ''})`);
      throw new HttpError(502, 'mail-failed', 'the code could not be mailed; try again later');
    }
    log.info(`issuer: code mailed; open tickets: ${tickets.size}`);
    return { ticket };
  }

  async function verify(req) {
    const body = await readJson(req);
    if (typeof body.ticket !== 'string' || typeof body.code !== 'string')
      throw new HttpError(400, 'bad-request', 'ticket and code must be strings');
    const t = now();
    sweep(t);
    const id = BASE64URL_32.test(body.ticket) ? ticketId(body.ticket) : null;
    const ticket = id && tickets.get(id);
    if (!ticket) throw new HttpError(404, 'unknown-ticket', 'no such ticket (or it was already used); ask for a new code');
    if (t >= ticket.expiresAt) throw new HttpError(410, 'expired', 'the code has expired; ask for a new one');
    if (ticket.triesLeft <= 0) throw new HttpError(429, 'locked', 'too many wrong codes; ask for a new one');
    const given = mac('code', `${id}\0${normalizeCode(body.code)}`);
    if (!timingSafeEqual(given, Buffer.from(ticket.codeMac, 'base64url'))) {
      ticket.triesLeft -= 1;
      // A dead ticket has no use for what it sealed.
      if (ticket.triesLeft === 0) ticket.sealed = null;
      log.info(`issuer: wrong code; tries left: ${ticket.triesLeft}`);
      throw new HttpError(400, 'bad-code', 'wrong code', { triesLeft: ticket.triesLeft });
    }
    // Gone before the first await, so two concurrent right answers get one token.
    tickets.delete(id);
    const { email, nonce } = unseal(body.ticket, ticket.sealed);
    const iat = Math.floor(t / 1000);
    const idToken = await new SignJWT({ email, email_verified: true, nonce })
      .setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid, typ: 'JWT' })
      .setIssuer(origin)
      .setAudience(AUDIENCE)
      .setSubject(mac('sub', email).toString('base64url'))
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_TTL_S)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(privateKey);
    log.info(`issuer: token issued; open tickets: ${tickets.size}`);
    return { id_token: idToken };
  }

  async function sendMail(to, code) {
    const mail = {
      from: mailFrom,
      to,
      // The code stays out of the subject: subjects show on lock screens and in notifications.
      subject: 'Your sign-in code',
      text: mailText(code, origin),
      headers: { 'auto-submitted': 'auto-generated' },
    };
    if (transport) {
      await transport.sendMail(mail);
      return;
    }
    const rule = '-'.repeat(72);
    log.info(
      [
        rule,
        'DEVELOPMENT MAIL SINK: KIBITZ_SMTP_URL is not set, so this mail was printed here, not sent.',
        rule,
        `From: ${mail.from}`,
        `To: ${mail.to}`,
        `Subject: ${mail.subject}`,
        '',
        mail.text.trimEnd(),
        rule,
      ].join('\n'),
    );
  }

  async function handle(req, res) {
    const path = new URL(req.url, 'http://x').pathname;
    const route = Object.keys(PATHS).find((name) => PATHS[name] === path);
    if (!route) return false;
    const post = route === 'start' || route === 'verify';
    const allow = post ? 'POST, OPTIONS' : 'GET, HEAD, OPTIONS';
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          ...COMMON_HEADERS,
          'access-control-allow-methods': allow,
          'access-control-allow-headers': 'content-type',
          'access-control-max-age': '600',
          'content-length': '0',
        });
        res.end();
      } else if (!allow.split(', ').includes(req.method)) {
        throw new HttpError(405, 'method-not-allowed', `use ${allow.split(', ')[0]}`);
      } else if (route === 'discovery') {
        sendJson(req, res, 200, discovery, { 'cache-control': 'no-cache' });
      } else if (route === 'jwks') {
        sendJson(req, res, 200, jwks, { 'cache-control': 'no-cache', 'content-type': 'application/jwk-set+json' });
      } else {
        sendJson(req, res, 200, await (route === 'start' ? start(req) : verify(req)));
      }
    } catch (thrown) {
      const err = thrown instanceof HttpError ? thrown : new HttpError(500, 'internal', 'internal error');
      if (err !== thrown) log.error(`issuer: internal error (${thrown?.name ?? 'error'}: ${thrown?.message})`);
      const headers = {};
      if (err.extra.retryAfter) headers['retry-after'] = String(err.extra.retryAfter);
      if (err.status === 405) headers.allow = allow;
      // An unread oversized body is not worth draining: answer and hang up.
      if (err.status === 413) headers.connection = 'close';
      if (!res.headersSent) sendJson(req, res, err.status, { error: err.code, message: err.message, ...err.extra }, headers);
      else res.destroy();
    }
    return true;
  }

  return {
    issuer: origin,
    kid: publicJwk.kid,
    handle,
    inspect: () =>
      structuredClone({
        tickets: [...tickets].map(([id, ticket]) => ({ id, ...ticket })),
        buckets: { email: windows.email.dump(), address: windows.address.dump() },
      }),
    async close() {
      tickets.clear();
      windows.email.sweep(Infinity);
      windows.address.sweep(Infinity);
      transport?.close();
    },
  };
}

const COMMON_HEADERS = {
  // Embedding pages live on any origin and the demo page is cross-origin isolated (COEP).
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'retry-after',
  'cross-origin-resource-policy': 'cross-origin',
  'x-content-type-options': 'nosniff',
};

function sendJson(req, res, status, body, headers = {}) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': String(Buffer.byteLength(json)),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : json);
}

function readJson(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return Promise.reject(new HttpError(400, 'bad-request', 'send JSON (content-type: application/json)'));
  const tooLarge = () => new HttpError(413, 'too-large', `the body is over ${MAX_BODY} bytes`);
  if (Number(req.headers['content-length']) > MAX_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(tooLarge());
      else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY) return;
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reject(new HttpError(400, 'bad-request', 'the body is not valid JSON'));
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        reject(new HttpError(400, 'bad-request', 'the body must be a JSON object'));
      else resolve(body);
    });
  });
}

/** Private ES256 JWK (object or JSON) or nothing (generate) → signing key, public JWK with kid, key bytes. */
export async function loadKey(key) {
  let jwk;
  if (key == null) {
    const pair = await generateKeyPair('ES256', { extractable: true });
    jwk = await exportJWK(pair.privateKey);
  } else {
    if (typeof key === 'string') {
      try {
        jwk = JSON.parse(key);
      } catch {
        throw new Error('issuer key is not JSON: expected a private ES256 JWK {"kty":"EC","crv":"P-256","x":…,"y":…,"d":…}');
      }
    } else jwk = key;
    if (jwk === null || typeof jwk !== 'object' || jwk.kty !== 'EC' || jwk.crv !== 'P-256')
      throw new Error('issuer key must be an ES256 JWK (kty "EC", crv "P-256")');
    if (typeof jwk.d !== 'string' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string')
      throw new Error('issuer key must be a private JWK with x, y and d');
    if (jwk.alg !== undefined && jwk.alg !== 'ES256') throw new Error(`issuer key is for ${jwk.alg}, not ES256`);
  }
  const { kty, crv, x, y, d } = jwk;
  const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : await calculateJwkThumbprint({ kty, crv, x, y });
  const publicJwk = { kty, crv, x, y, kid, alg: 'ES256', use: 'sig' };
  let privateKey;
  try {
    privateKey = await importJWK({ kty, crv, x, y, d }, 'ES256');
    // Catches a d that does not belong to x, y: tokens would never verify.
    const probe = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    await jwtVerify(probe, await importJWK(publicJwk, 'ES256'));
  } catch (err) {
    throw new Error(`issuer key is not a usable ES256 private key (${err.message})`);
  }
  return { privateKey, publicJwk, d: Buffer.from(d, 'base64url') };
}

/** Uniform over the alphabet: bytes ≥ 248 (8 × 31) are redrawn, so no modulo bias. */
export function randomCode() {
  const n = CODE_ALPHABET.length;
  const limit = 256 - (256 % n);
  let code = '';
  while (code.length < CODE_LENGTH) {
    for (const byte of randomBytes(CODE_LENGTH * 2)) {
      if (byte < limit && code.length < CODE_LENGTH) code += CODE_ALPHABET[byte % n];
    }
  }
  return code;
}

/** As printed in the mail: ABCDE-FGHJK. */
export const formatCode = (code) => `${code.slice(0, 5)}-${code.slice(5)}`;

/** What people type: any case, spaces and dashes (including typographic ones) anywhere. */
export const normalizeCode = (code) => code.toUpperCase().replace(/[\s\-\u2010-\u2015\u2212]/g, '');

function mailText(code, origin) {
  return [
    'Your Kibitz sign-in code:',
    '',
    `    ${formatCode(code)}`,
    '',
    'It expires in 10 minutes and works once.',
    `It was asked for through the sign-in service at ${origin}.`,
    '',
    'If you did not ask for this code, ignore this mail: nothing happens',
    'without it, and nobody can use your address without the code.',
    '',
  ].join('\n');
}

const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** ASCII address with a dotted domain name (no IP literals, no quoted local parts). */
export function isPlausibleEmail(email) {
  if (typeof email !== 'string' || email.length > 254) return false;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  return (
    at > 0 &&
    local.length <= 64 &&
    LOCAL.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => LABEL.test(label)) &&
    !/^\d+$/.test(labels.at(-1))
  );
}

/** 32 bytes in canonical unpadded base64url. */
function isSha256Base64url(value) {
  return typeof value === 'string' && BASE64URL_32.test(value) && Buffer.from(value, 'base64url').toString('base64url') === value;
}

/** Tickets are stored under their hash, like passwords: a storage dump cannot answer for them. */
const ticketId = (ticket) => createHash('sha256').update(ticket).digest('base64url');

/** What verify needs later is sealed under a key only the ticket holder can rebuild. */
const sealKey = (ticket) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(ticket, 'base64url'), Buffer.alloc(0), 'kibitz issuer ticket seal', 32));

function seal(ticket, value) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(ticket), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

function unseal(ticket, sealed) {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(ticket), bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(-16));
  return JSON.parse(Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString('utf8'));
}

/** Sliding-window log: at most `max` hits per key in any `windowMs`; refused attempts are not counted. */
function slidingWindow({ max, windowMs }) {
  const buckets = new Map();
  const live = (key, t) => (buckets.get(key) ?? []).filter((at) => at > t - windowMs);
  return {
    /** ms until one more hit fits (0: now). */
    wait(key, t) {
      const hits = live(key, t);
      return hits.length < max ? 0 : hits[hits.length - max] + windowMs - t;
    },
    hit(key, t) {
      buckets.set(key, [...live(key, t), t]);
    },
    sweep(t) {
      for (const key of buckets.keys()) {
        const hits = live(key, t);
        if (hits.length) buckets.set(key, hits);
        else buckets.delete(key);
      }
    },
    dump: () => Object.fromEntries(buckets),
  };
}
