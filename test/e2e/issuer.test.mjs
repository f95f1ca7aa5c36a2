// The demo server's email-code issuer (demo/issuer.mjs): discovery, JWKS, the start/verify
// flow with codes read from a real SMTP sink on localhost, the token's claims checked with
// jose against the served JWKS, tries, expiry, rate limits, CORS, body limits, and what the
// issuer logs and stores. Tests that need the real wiring (env vars, startup failure) run
// demo/server.mjs in a child process; the others drive createIssuer on a plain HTTP server
// with an injected clock, logger and storage view. Every test sets up its own fixtures.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { startSmtpSink } from '../support/smtp-sink.mjs';
import { CODE_ALPHABET, createIssuer, randomCode } from '../../demo/issuer.mjs';

const SERVER = fileURLToPath(new URL('../../demo/server.mjs', import.meta.url));
const T0 = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const CODE_IN_MAIL = new RegExp(`\\b([${CODE_ALPHABET}]{5}-[${CODE_ALPHABET}]{5})\\b`);

/** What a browser sends: base64url(SHA-256(certificate fingerprint ‖ room id)); the room stays with it. */
function nonceFor(room) {
  const fingerprint = randomBytes(32);
  const nonce = createHash('sha256')
    .update(Buffer.concat([fingerprint, Buffer.from(room, 'utf8')]))
    .digest('base64url');
  return { room, nonce };
}

/** One HTTP exchange without keep-alive; `json` is the parsed body when it is JSON. */
function call(base, path, { method = 'GET', headers = {}, body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const req = request(
      new URL(path, base),
      {
        method,
        agent: false,
        localAddress,
        headers: {
          ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = /json/.test(res.headers['content-type'] ?? '') && text ? JSON.parse(text) : undefined;
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const startCode = (base, email, nonce, options = {}) => call(base, '/email/start', { method: 'POST', body: { email, nonce }, ...options });
const verifyCode = (base, ticket, code) => call(base, '/email/verify', { method: 'POST', body: { ticket, code } });

/** The code a mail carries, as printed (ABCDE-FGHJK). */
function codeIn(mail) {
  const code = mail.body.match(CODE_IN_MAIL)?.[1];
  assert.ok(code, `no code in the mail body:\n${mail.body}`);
  return code;
}

/** The same code with its first character swapped for another from the alphabet. */
const wrongCode = (code) => CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[0]) + 1) % CODE_ALPHABET.length] + code.slice(1);

/**
 * createIssuer on a plain HTTP server, with a sink, an injected clock (starts at T0) and a
 * captured logger. Torn down after the test.
 */
async function issuerFixture(t, { sink: sinkOptions, limits, clock = true } = {}) {
  const sink = await startSmtpSink(sinkOptions);
  const logs = [];
  const capture = (...args) => logs.push(format(...args));
  let time = T0;
  const server = createServer((req, res) => {
    void issuer.handle(req, res).then((handled) => handled || res.writeHead(404).end());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const issuer = await createIssuer({
    origin: base,
    smtpUrl: sink.url,
    mailFrom: 'Kibitz Test <codes@kibitz.test>',
    now: clock ? () => time : undefined,
    limits,
    log: { info: capture, warn: capture, error: capture },
  });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await issuer.close();
    await sink.close();
  });
  return { base, issuer, sink, logs, advance: (ms) => (time += ms) };
}

/**
 * demo/server.mjs in a child process on a free port (the PeerJS broker's timers would keep
 * this process alive), with only the given KIBITZ_* variables. Resolves once it printed its
 * URL, or with its exit code and output if it exited before.
 */
function forkServer(t, env = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KIBITZ_')));
  const child = fork(SERVER, [], { env: { ...clean, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  t.after(close);
  return new Promise((resolve) => {
    const take = (chunk) => {
      output += chunk;
      const url = output.match(/Kibitz demo: (http:\/\/\S+\/)/)?.[1];
      if (url && output.includes('Kibitz issuer:')) resolve({ base: url.slice(0, -1), output: () => output, close });
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    void exited.then((exitCode) => resolve({ exitCode, output: () => output }));
  });
}

async function until(condition, what, ms = 5000) {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (condition()) return;
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('discovery and JWKS are served by the demo server, readable from any origin', async (t) => {
  const server = await forkServer(t);
  const discovery = await call(server.base, '/.well-known/openid-configuration', { headers: { origin: 'https://embedder.example' } });
  assert.equal(discovery.status, 200);
  assert.equal(discovery.headers['access-control-allow-origin'], '*');
  assert.equal(discovery.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.equal(discovery.json.issuer, server.base);
  assert.match(server.base, /^http:\/\/localhost:\d+$/);
  assert.equal(discovery.json.jwks_uri, `${server.base}/jwks.json`);
  assert.deepEqual(discovery.json.id_token_signing_alg_values_supported, ['ES256']);
  assert.deepEqual(discovery.json.response_types_supported, ['id_token']);
  assert.deepEqual(discovery.json.subject_types_supported, ['public']);
  for (const claim of ['iss', 'aud', 'sub', 'email', 'email_verified', 'nonce', 'iat', 'exp', 'jti']) {
    assert.ok(discovery.json.claims_supported.includes(claim), `claims_supported lists ${claim}`);
  }

  const jwks = await call(server.base, '/jwks.json', { headers: { origin: 'https://embedder.example' } });
  assert.equal(jwks.status, 200);
  assert.equal(jwks.headers['access-control-allow-origin'], '*');
  assert.equal(jwks.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.equal(jwks.json.keys.length, 1);
  const [key] = jwks.json.keys;
  assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'], 'public members only (no d)');
  assert.equal(key.kty, 'EC');
  assert.equal(key.crv, 'P-256');
  assert.equal(key.alg, 'ES256');
  assert.equal(key.use, 'sig');
  assert.ok(key.kid.length > 0);

  // The rest of the demo server is still there, with its own headers.
  const page = await call(server.base, '/index.html');
  assert.equal(page.status, 200);
  assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
});

test('behind a proxy, KIBITZ_PUBLIC_URL names the issuer; a bad one stops the server with a reason', async (t) => {
  const server = await forkServer(t, { KIBITZ_PUBLIC_URL: 'https://call.example.org/some/page' });
  const discovery = await call(server.base, '/.well-known/openid-configuration');
  assert.equal(discovery.json.issuer, 'https://call.example.org');
  assert.equal(discovery.json.jwks_uri, 'https://call.example.org/jwks.json');

  const bad = await forkServer(t, { KIBITZ_PUBLIC_URL: 'ftp://call.example.org' });
  assert.notEqual(bad.exitCode, 0);
  assert.match(bad.output(), /KIBITZ_PUBLIC_URL must be http\(s\)/);
});

test('start mails the code over SMTP; the mailed code buys an ID token that verifies against the served JWKS', async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const server = await forkServer(t, { KIBITZ_SMTP_URL: sink.url, KIBITZ_MAIL_FROM: 'Kibitz Test <codes@kibitz.test>' });
  const { room, nonce } = nonceFor('team-standup-7f3a9c2e41d86b05');

  const started = await startCode(server.base, '  Alice.Example@Example.COM ', nonce, { headers: { origin: 'https://embedder.example' } });
  assert.equal(started.status, 200, started.text);
  assert.equal(started.headers['access-control-allow-origin'], '*');
  assert.deepEqual(Object.keys(started.json), ['ticket']);

  assert.equal(sink.mails.length, 1);
  const [mail] = sink.mails;
  assert.equal(mail.from, 'codes@kibitz.test');
  assert.deepEqual(mail.to, ['alice.example@example.com']);
  assert.match(mail.headers.from, /codes@kibitz\.test/);
  assert.match(mail.headers.to, /alice\.example@example\.com/);
  const code = codeIn(mail);
  assert.equal(mail.subject, 'Your sign-in code');
  assert.ok(!mail.subject.includes(code) && !mail.subject.includes(code.replace('-', '')), 'the subject does not carry the code');
  assert.match(mail.body, /expires in 10 minutes/);
  assert.match(mail.body, /did not ask for this code, ignore this mail/);

  const verified = await verifyCode(server.base, started.json.ticket, code);
  assert.equal(verified.status, 200, verified.text);
  assert.deepEqual(Object.keys(verified.json), ['id_token']);
  const token = verified.json.id_token;

  const jwksUri = (await call(server.base, '/.well-known/openid-configuration')).json.jwks_uri;
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
    issuer: server.base,
    audience: 'kibitz',
    algorithms: ['ES256'],
  });
  const served = (await call(server.base, '/jwks.json')).json.keys[0];
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(protectedHeader.kid, served.kid);
  assert.equal(payload.iss, server.base);
  assert.equal(payload.aud, 'kibitz');
  assert.equal(payload.email, 'alice.example@example.com');
  assert.equal(payload.email_verified, true);
  assert.equal(payload.nonce, nonce);
  assert.match(payload.sub, /^[A-Za-z0-9_-]{43}$/, 'sub is an opaque id');
  assert.ok(!payload.sub.toLowerCase().includes('alice'), 'sub is not the email');
  assert.equal(typeof payload.jti, 'string');
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30, 'iat is now');
  assert.ok(payload.exp > payload.iat && payload.exp - payload.iat <= 600, 'exp at most 10 minutes after iat');
  assert.equal(payload.exp - payload.iat, 300);

  // With SMTP configured nothing is printed as a development mail, and the server's output
  // carries neither the code nor the nonce nor the room.
  const output = server.output();
  assert.ok(!output.includes('DEVELOPMENT MAIL SINK'));
  for (const secret of [code, code.replace('-', ''), nonce, room]) assert.ok(!output.includes(secret), `server output holds ${secret}`);
});

test('without KIBITZ_SMTP_URL the demo server prints the mail, labelled as a development mail sink', async (t) => {
  const server = await forkServer(t);
  assert.match(server.output(), /development mail sink/);
  const { nonce } = nonceFor('dev-sink-room');
  const started = await startCode(server.base, 'bob@example.org', nonce);
  assert.equal(started.status, 200, started.text);
  await until(() => CODE_IN_MAIL.test(server.output()), 'the printed mail');
  const output = server.output();
  assert.match(output, /DEVELOPMENT MAIL SINK: KIBITZ_SMTP_URL is not set, so this mail was printed here, not sent\./);
  assert.match(output, /To: bob@example\.org/);
  assert.match(output, /Subject: Your sign-in code/);
  const verified = await verifyCode(server.base, started.json.ticket, output.match(CODE_IN_MAIL)[1]);
  assert.equal(verified.status, 200, verified.text);
  assert.ok(!output.includes(nonce), 'the nonce is not printed');
});

test('CORS: the preflight for the POST endpoints is answered for any origin', async (t) => {
  const server = await forkServer(t);
  for (const path of ['/email/start', '/email/verify']) {
    const preflight = await call(server.base, path, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://embedder.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204, path);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    assert.ok(preflight.headers['access-control-allow-methods'].split(/,\s*/).includes('POST'), path);
    assert.ok(preflight.headers['access-control-allow-headers'].toLowerCase().split(/,\s*/).includes('content-type'), path);
  }
  // Errors are readable cross-origin too (a page must see `rate-limited` or `bad-code`).
  const error = await call(server.base, '/email/verify', {
    method: 'POST',
    body: { ticket: 'x', code: 'y' },
    headers: { origin: 'https://a.example' },
  });
  assert.equal(error.status, 404);
  assert.equal(error.headers['access-control-allow-origin'], '*');
  assert.equal(error.json.error, 'unknown-ticket');
});

test('codes: 10 characters from the unambiguous alphabet, every symbol in use', () => {
  assert.ok(!/[01OIL]/.test(CODE_ALPHABET));
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const code = randomCode();
    assert.match(code, new RegExp(`^[${CODE_ALPHABET}]{10}$`));
    for (const char of code) seen.add(char);
  }
  assert.equal(seen.size, CODE_ALPHABET.length);
});

test('a wrong code is bad-code with triesLeft; after five wrong tries even the right code is locked', async (t) => {
  const { base, sink } = await issuerFixture(t);
  const started = await startCode(base, 'carol@example.com', nonceFor('r').nonce);
  const code = codeIn(sink.mails[0]);
  for (let left = 4; left >= 0; left--) {
    const wrong = await verifyCode(base, started.json.ticket, wrongCode(code));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error, 'bad-code');
    assert.equal(wrong.json.triesLeft, left);
    assert.equal(typeof wrong.json.message, 'string');
  }
  const locked = await verifyCode(base, started.json.ticket, code);
  assert.equal(locked.status, 429);
  assert.equal(locked.json.error, 'locked');
});

test('a ticket is single-use; the code is accepted in any case, with spaces and dashes', async (t) => {
  const { base, sink } = await issuerFixture(t);
  const started = await startCode(base, 'dave@example.com', nonceFor('r').nonce);
  const code = codeIn(sink.mails[0]);
  const typed = ` ${code.slice(0, 3).toLowerCase()} ${code.slice(3, 7)} - ${code.slice(7).toLowerCase()} `;
  const first = await verifyCode(base, started.json.ticket, typed);
  assert.equal(first.status, 200, first.text);
  assert.ok(first.json.id_token);
  const again = await verifyCode(base, started.json.ticket, code);
  assert.equal(again.status, 404);
  assert.equal(again.json.error, 'unknown-ticket');
  const madeUp = await verifyCode(base, randomBytes(32).toString('base64url'), code);
  assert.equal(madeUp.status, 404);
  assert.equal(madeUp.json.error, 'unknown-ticket');
});

test('a ticket expires 10 minutes after start (injected clock)', async (t) => {
  const { base, sink, advance } = await issuerFixture(t);
  const a = await startCode(base, 'erin@example.com', nonceFor('r').nonce);
  const b = await startCode(base, 'erin@example.com', nonceFor('r').nonce);
  const [codeA, codeB] = sink.mails.map(codeIn);
  advance(10 * MINUTE - 1);
  const inTime = await verifyCode(base, b.json.ticket, codeB);
  assert.equal(inTime.status, 200, 'still valid a millisecond before 10 minutes');
  advance(1);
  const late = await verifyCode(base, a.json.ticket, codeA);
  assert.equal(late.status, 410);
  assert.equal(late.json.error, 'expired');
});

test('starts are rate-limited per email: 429 with retry-after, free again once the window slides', async (t) => {
  const { base, sink, advance } = await issuerFixture(t);
  const { nonce } = nonceFor('r');
  for (let i = 0; i < 3; i++) {
    assert.equal((await startCode(base, 'frank@example.com', nonce)).status, 200);
    advance(MINUTE);
  }
  // Three minutes in: the first start leaves the 10-minute window in seven.
  const limited = await startCode(base, 'FRANK@example.com', nonce);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error, 'rate-limited');
  assert.equal(limited.headers['retry-after'], '420');
  assert.match(limited.headers['access-control-expose-headers'], /retry-after/i);
  assert.equal(sink.mails.length, 3, 'the refused start mailed nothing');
  assert.equal((await startCode(base, 'grace@example.com', nonce)).status, 200, 'another email is not limited');
  advance(7 * MINUTE);
  assert.equal((await startCode(base, 'frank@example.com', nonce)).status, 200, 'free once the first start left the window');
});

test('starts are rate-limited per client address: 429 with retry-after, other addresses unaffected', async (t) => {
  const { base, advance } = await issuerFixture(t);
  const { nonce } = nonceFor('r');
  for (let i = 0; i < 10; i++) {
    assert.equal((await startCode(base, `user${i}@example.com`, nonce)).status, 200);
    advance(1000);
  }
  const limited = await startCode(base, 'user10@example.com', nonce);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error, 'rate-limited');
  assert.equal(limited.headers['retry-after'], String(600 - 10));
  const elsewhere = await startCode(base, 'user10@example.com', nonce, { localAddress: '127.0.0.2' });
  assert.equal(elsewhere.status, 200, 'another client address still gets codes');
});

test('limits are injectable', async (t) => {
  const { base } = await issuerFixture(t, { limits: { perEmail: { max: 1, windowMs: MINUTE } } });
  const { nonce } = nonceFor('r');
  assert.equal((await startCode(base, 'heidi@example.com', nonce)).status, 200);
  const limited = await startCode(base, 'heidi@example.com', nonce);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '60');
});

test('bodies over 4 KiB are refused with 413, with or without a content-length', async (t) => {
  const { base, sink } = await issuerFixture(t);
  const big = JSON.stringify({ email: 'ivan@example.com', nonce: nonceFor('r').nonce, pad: 'x'.repeat(5000) });
  const declared = await call(base, '/email/start', { method: 'POST', body: big });
  assert.equal(declared.status, 413);
  assert.equal(declared.json.error, 'too-large');
  const chunked = await new Promise((resolve, reject) => {
    const req = request(
      new URL('/email/start', base),
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.write(big.slice(0, 3000));
    req.end(big.slice(3000));
  });
  assert.equal(chunked, 413);
  assert.equal(sink.mails.length, 0);
});

test('start takes JSON only, a plausible email and a base64url SHA-256 nonce (bad-request)', async (t) => {
  const { base, sink, issuer } = await issuerFixture(t);
  const { nonce } = nonceFor('r');
  const cases = [
    ['text/plain body', { body: JSON.stringify({ email: 'judy@example.com', nonce }), headers: { 'content-type': 'text/plain' } }],
    ['invalid JSON', { body: '{"email":' }],
    ['JSON array', { body: '[]' }],
    ['no email', { body: { nonce } }],
    ['not an address', { body: { email: 'judy', nonce } }],
    ['no domain dot', { body: { email: 'judy@localhost', nonce } }],
    ['header injection', { body: { email: 'judy@example.com\r\nbcc: x@example.com', nonce } }],
    ['255 characters', { body: { email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`, nonce } }],
    ['no nonce', { body: { email: 'judy@example.com' } }],
    ['hex nonce', { body: { email: 'judy@example.com', nonce: randomBytes(32).toString('hex') } }],
    ['short nonce', { body: { email: 'judy@example.com', nonce: nonce.slice(1) } }],
    ['non-canonical nonce', { body: { email: 'judy@example.com', nonce: `${nonce.slice(0, 42)}B` } }],
  ];
  for (const [name, options] of cases) {
    const res = await call(base, '/email/start', { method: 'POST', ...options });
    assert.equal(res.status, 400, name);
    assert.equal(res.json.error, 'bad-request', name);
    assert.equal(typeof res.json.message, 'string', name);
  }
  assert.equal(`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`.length, 255);
  assert.equal(sink.mails.length, 0);
  assert.equal(issuer.inspect().tickets.length, 0);
});

test('a mail the SMTP server refuses is mail-failed (502) and leaves no ticket', async (t) => {
  const { base, issuer, logs } = await issuerFixture(t, { sink: { reject: true } });
  const res = await startCode(base, 'mallory@example.com', nonceFor('r').nonce);
  assert.equal(res.status, 502);
  assert.equal(res.json.error, 'mail-failed');
  assert.equal(issuer.inspect().tickets.length, 0);
  assert.ok(logs.some((line) => /mail failed/.test(line)));
  assert.ok(!logs.join('\n').includes('mallory'), 'the failure log does not quote the address');
});

test('neither the nonce nor the room appear in the issuer log or storage', async (t) => {
  const { base, issuer, sink, logs } = await issuerFixture(t);
  const room = 'kibitz-room-quarterly-board-9d4e1a7c3b28f650';
  const { nonce } = nonceFor(room);
  const other = nonceFor(`${room}-2`);
  const email = 'nadia.private@example.net';

  // A full flow with a wrong try, a second ticket left open, and a refused start.
  const first = await startCode(base, email, nonce);
  assert.equal((await verifyCode(base, first.json.ticket, wrongCode(codeIn(sink.mails[0])))).status, 400);
  const token = await verifyCode(base, first.json.ticket, codeIn(sink.mails[0]));
  assert.equal(token.status, 200);
  assert.equal((await startCode(base, email, other.nonce)).status, 200);
  assert.equal((await startCode(base, email, other.nonce)).status, 200);
  assert.equal((await startCode(base, email, other.nonce)).status, 429);

  const stored = issuer.inspect();
  assert.equal(stored.tickets.length, 2, 'the open tickets are in storage');
  assert.equal(Object.keys(stored.buckets.email).length, 1);
  assert.equal(Object.keys(stored.buckets.address).length, 1);
  assert.ok(logs.length >= 4, 'the issuer logged');

  const storage = JSON.stringify(stored);
  const log = logs.join('\n');
  const forms = (value) => [value, Buffer.from(value, 'base64url').toString('hex'), Buffer.from(value, 'base64url').toString('base64')];
  for (const secret of [room, other.room, ...forms(nonce), ...forms(other.nonce)]) {
    assert.ok(!storage.includes(secret), `storage holds ${secret}`);
    assert.ok(!log.includes(secret), `the log holds ${secret}`);
  }
  assert.ok(!storage.includes(email) && !storage.includes('nadia'), 'storage holds no email in clear');
  assert.ok(!storage.includes(first.json.ticket), 'storage holds no ticket in clear');
  for (const mail of sink.mails) assert.ok(!storage.includes(codeIn(mail).replace('-', '')), 'storage holds no code in clear');

  // The token is where the nonce goes, and inspect() is a copy, not a handle on the state.
  assert.equal(JSON.parse(Buffer.from(token.json.id_token.split('.')[1], 'base64url')).nonce, nonce);
  const [bucket] = Object.keys(stored.buckets.email);
  stored.buckets.email[bucket].length = 0;
  stored.tickets[0].triesLeft = 0;
  stored.tickets.length = 0;
  const again = issuer.inspect();
  assert.equal(again.tickets.length, 2);
  assert.equal(again.tickets[0].triesLeft, 5);
  assert.equal(again.buckets.email[bucket].length, 3);
});

test('KIBITZ_ISSUER_KEY is honoured: the same key, kid and subjects across two starts', async (t) => {
  const sink = await startSmtpSink();
  t.after(() => sink.close());
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const env = { KIBITZ_ISSUER_KEY: JSON.stringify(jwk), KIBITZ_SMTP_URL: sink.url };

  const tokens = [];
  const jwksets = [];
  for (let run = 0; run < 2; run++) {
    const server = await forkServer(t, env);
    jwksets.push((await call(server.base, '/jwks.json')).json);
    const started = await startCode(server.base, 'olivia@example.com', nonceFor('r').nonce);
    const verified = await verifyCode(server.base, started.json.ticket, codeIn(sink.mails.at(-1)));
    assert.equal(verified.status, 200, verified.text);
    tokens.push(verified.json.id_token);
    await server.close();
  }
  assert.deepEqual(jwksets[0], jwksets[1]);
  const [served] = jwksets[0].keys;
  assert.equal(served.x, jwk.x);
  assert.equal(served.y, jwk.y);
  // A token from the first run verifies with the keys the second run serves.
  const second = createLocalJWKSet(jwksets[1]);
  const verified = await Promise.all(tokens.map((token) => jwtVerify(token, second, { audience: 'kibitz', algorithms: ['ES256'] })));
  assert.equal(decodeProtectedHeader(tokens[0]).kid, served.kid);
  assert.equal(verified[0].payload.sub, verified[1].payload.sub, 'sub is stable for the same email and key');
});

test('a bad KIBITZ_ISSUER_KEY fails startup with a clear message', async (t) => {
  const { privateKey: a } = await generateKeyPair('ES256', { extractable: true });
  const { privateKey: b } = await generateKeyPair('ES256', { extractable: true });
  const [jwkA, jwkB] = await Promise.all([exportJWK(a), exportJWK(b)]);
  const { d: _d, ...publicOnly } = jwkA;
  const cases = [
    ['not JSON', 'not-a-key', /KIBITZ_ISSUER_KEY: issuer key is not JSON/],
    ['a public key', JSON.stringify(publicOnly), /KIBITZ_ISSUER_KEY: issuer key must be a private JWK/],
    ['another curve', JSON.stringify({ ...jwkA, crv: 'P-384' }), /KIBITZ_ISSUER_KEY: issuer key must be an ES256 JWK/],
    ['d of another key', JSON.stringify({ ...jwkA, d: jwkB.d }), /KIBITZ_ISSUER_KEY: issuer key is not a usable ES256 private key/],
  ];
  for (const [name, key, message] of cases) {
    const started = await forkServer(t, { KIBITZ_ISSUER_KEY: key });
    assert.equal(started.exitCode, 1, `${name}: exits with 1`);
    assert.match(started.output(), /Kibitz demo did not start/, name);
    assert.match(started.output(), message, name);
    assert.ok(!started.output().includes('Kibitz demo: http'), `${name}: never printed a URL`);
  }
});
