// A real OpenID Connect provider on loopback for e2e tests (`oidc-provider`, the certified Node
// implementation), with its built-in login and consent pages, plus a playwright helper that signs
// in through them in a popup.
//
// The provider runs in a child process: koa and the provider keep timers and sockets that would
// keep a test file's process alive after close(). This file is both the parent's API and the
// child's entry point.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD_FLAG = '--kibitz-oidc-provider-child';

/**
 * Start a provider. `clients`: [{ clientId, redirectUris, metadata? }] registered as public
 * clients (no secret, authorization code + PKCE S256 only); `metadata` adds or overrides
 * oidc-provider client metadata (snake_case), e.g. { application_type: 'native' }.
 * A login `x` signs in as sub `x`, email `x` if it has an '@' else `x@example.org`, verified;
 * `accounts`: { [login]: { email?, email_verified? } } overrides, e.g. { eve: { email_verified: false } }.
 * `alg`: 'RS256' (default) or 'ES256' for the ID token signature.
 * `idTokenTtl`: seconds (default 600). `emailInIdToken`: false keeps `email` out of the ID token
 * (strict OIDC: scope-requested claims only at userinfo), as some real providers do.
 *
 * Resolves with { issuer, close(), stopJwks(), startJwks(), mint(claims, options) }.
 */
export function startOidcProvider({ clients, port = 0, accounts = {}, alg = 'RS256', idTokenTtl = 600, emailInIdToken = true } = {}) {
  if (!clients?.length) throw new Error('startOidcProvider needs at least one client');
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  let nextId = 1;
  const call = (cmd, args = {}) =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error('OIDC provider process is gone'));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, ...args });
    });
  child.on('message', (msg) => {
    const waiter = pending.get(msg.id);
    if (!waiter) return;
    pending.delete(msg.id);
    if (msg.error) waiter.reject(new Error(msg.error));
    else waiter.resolve(msg.result);
  });
  child.once('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`OIDC provider exited with ${code}`));
    pending.clear();
  });

  const close = () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });

  return call('start', { options: { clients, port, accounts, alg, idTokenTtl, emailInIdToken } }).then(
    ({ issuer }) => ({
      /** e.g. http://127.0.0.1:PORT (no trailing slash); discovery at `${issuer}/.well-known/openid-configuration`. */
      issuer,
      close,
      /** Make the JWKS endpoint drop every connection (a network error); discovery keeps answering. */
      stopJwks: () => call('jwks', { up: false }),
      startJwks: () => call('jwks', { up: true }),
      /**
       * Sign an ID token directly, for claims the login flow can't produce (expired, wrong aud,
       * wrong nonce…). Defaults: iss, aud = the first client, sub 'minted', iat = now,
       * exp = now + 600; `claims` override them, null deletes one. options.foreignKey signs with
       * a key the JWKS doesn't publish, under the published kid.
       */
      mint: (claims = {}, options = {}) => call('mint', { claims, options }),
    }),
    async (err) => {
      await close();
      throw err;
    },
  );
}

/**
 * Sign in through the provider's own pages in a popup opened by `page` (playwright-core).
 * Waits for the popup unless `popup` (a Page or a promise of one) is given: to be safe from
 * races, start this (without awaiting) or `page.waitForEvent('popup')` before triggering
 * window.open. Fills the login form, confirms consent if asked, and resolves with
 * { url, closed } once the popup has left the provider (the redirect URI) or closed.
 * A popup whose provider session and grant already exist goes straight back; that works too.
 * `cancel: true` clicks the provider's Cancel link instead: the popup comes back to the
 * redirect URI with error=access_denied.
 */
export async function signInThroughPopup(page, { login, password = 'any', cancel = false, popup, issuer, timeout = 15_000 } = {}) {
  if (!login && !cancel) throw new Error('signInThroughPopup needs a login');
  const win = await (popup ?? page.waitForEvent('popup', { timeout }));
  const deadline = Date.now() + timeout;
  const left = () => Math.max(1, deadline - Date.now());
  let providerOrigin = issuer ? new URL(issuer).origin : undefined;
  let lastUrl = win.url();
  // The redirect page may close the popup at once: remember where it got to.
  win.on('framenavigated', (frame) => {
    if (frame === win.mainFrame()) lastUrl = frame.url();
  });
  const closedResult = () => ({ url: lastUrl, closed: true });
  const isBack = (href) => {
    const url = new URL(href);
    if (url.protocol === 'about:') return false;
    providerOrigin ??= url.origin;
    return url.origin !== providerOrigin || url.searchParams.has('code') || url.searchParams.has('error');
  };

  for (let steps = 0; steps < 8; steps++) {
    if (win.isClosed()) return closedResult();
    try {
      await win.waitForLoadState('domcontentloaded', { timeout: left() });
      lastUrl = win.url();
      if (isBack(lastUrl)) return { url: lastUrl, closed: win.isClosed() };
      // The dev pages mark each form with a hidden `prompt` input: login or consent.
      const prompt = await win.locator('input[name="prompt"]').getAttribute('value', { timeout: left() });
      if (prompt !== 'login' && prompt !== 'consent') throw new Error(`unexpected provider prompt ${prompt}`);
      if (prompt === 'login' && !cancel) {
        await win.fill('input[name="login"]', login);
        await win.fill('input[name="password"]', password);
      }
      const before = win.url();
      await Promise.all([
        win.waitForURL((url) => url.href !== before, { waitUntil: 'domcontentloaded', timeout: left() }),
        win.click(cancel ? 'a[href$="/abort"]' : 'form button[type="submit"]', { timeout: left() }),
      ]);
    } catch (err) {
      // The redirect page may close the popup the moment it has handed the code over.
      if (win.isClosed()) return closedResult();
      const text = await win
        .locator('body')
        .innerText({ timeout: 1000 })
        .catch(() => '');
      throw new Error(`sign-in popup stuck at ${win.url()}: ${err.message}\n${text}`, { cause: err });
    }
  }
  throw new Error(`sign-in popup never left the provider (last at ${lastUrl})`);
}

// ---------------------------------------------------------------------------------------------
// Child process: the provider itself.

async function runChild() {
  // The provider's notices about defaults and about the dev-only parts used on purpose here
  // (login pages, in-memory storage) are expected; everything else it says, errors included,
  // still reaches the test output. It also warns on any runtime before Node 22 LTS, but Node
  // 20.20 has every API it calls (crypto.hash, URL.parse) and the sign-in test proves the flow.
  const expected = [/^oidc-provider NOTICE: /, /devInteractions is enabled/, /in-memory adapter/, /Unsupported runtime/];
  for (const level of ['info', 'warn', 'log']) {
    const original = console[level].bind(console);
    console[level] = (...args) => {
      if (typeof args[0] === 'string' && expected.some((re) => re.test(args[0]))) return;
      original(...args);
    };
  }

  const { randomBytes } = await import('node:crypto');
  const { createServer } = await import('node:http');
  const jose = await import('jose');
  const { default: Provider } = await import('oidc-provider');

  let server;
  let handle;
  let issuer;
  let signingKey;
  let foreignKey;
  let kid;
  let options;
  let jwksUp = true;

  // The dev login page makes the typed login the account id, and the provider puts the
  // account id in `sub`: sub is the login itself.
  const claimsFor = (login) => ({
    email: login.includes('@') ? login : `${login}@example.org`,
    email_verified: true,
    ...options.accounts[login],
    sub: login,
  });

  async function start(opts) {
    options = opts;
    const { alg } = opts;
    if (alg !== 'RS256' && alg !== 'ES256') throw new Error(`unsupported alg ${alg}`);
    const keyOptions = { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) };
    ({ privateKey: signingKey } = await jose.generateKeyPair(alg, keyOptions));
    ({ privateKey: foreignKey } = await jose.generateKeyPair(alg, keyOptions));
    kid = `test-${alg.toLowerCase()}`;
    const jwk = { ...(await jose.exportJWK(signingKey)), kid, alg, use: 'sig' };

    // The issuer carries the port, so bind first and build the provider afterwards.
    server = createServer((req, res) => {
      if (!jwksUp && new URL(req.url, 'http://x').pathname === '/jwks') {
        req.socket.destroy();
        return;
      }
      if (!handle) {
        res.writeHead(503).end();
        return;
      }
      handle(req, res);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', resolve);
    });
    issuer = `http://127.0.0.1:${server.address().port}`;

    const provider = new Provider(issuer, {
      clients: opts.clients.map(({ clientId, redirectUris, metadata = {} }) => ({
        client_id: clientId,
        redirect_uris: redirectUris,
        // Public browser clients: no secret, code flow only (PKCE is then required by default).
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: alg,
        ...metadata,
      })),
      jwks: { keys: [jwk] },
      responseTypes: ['code'],
      pkce: { required: () => true },
      scopes: ['openid', 'email'],
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      // With the default (true), a code flow puts scope-requested claims only at userinfo.
      conformIdTokenClaims: !opts.emailInIdToken,
      findAccount: (_ctx, login) => ({ accountId: login, claims: () => claimsFor(login) }),
      features: { devInteractions: { enabled: true } },
      // Discovery and JWKS always answer CORS; this opens the token and userinfo endpoints to
      // any origin too (the default allows only the origins of the client's redirect URIs).
      clientBasedCORS: () => true,
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: opts.idTokenTtl,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
    });
    provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));
    handle = provider.callback();
    return { issuer };
  }

  async function mint(claims, { foreignKey: useForeign = false } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      iss: issuer,
      aud: options.clients[0].clientId,
      sub: 'minted',
      iat: now,
      exp: now + 600,
      ...claims,
    };
    // null, not undefined: IPC messages are JSON.
    for (const [key, value] of Object.entries(payload)) if (value === null) delete payload[key];
    // The same header as the provider's own ID tokens.
    return new jose.SignJWT(payload).setProtectedHeader({ alg: options.alg, kid }).sign(useForeign ? foreignKey : signingKey);
  }

  const commands = {
    start: (msg) => start(msg.options),
    jwks: (msg) => {
      jwksUp = msg.up;
    },
    mint: (msg) => mint(msg.claims, msg.options),
  };
  process.on('message', async (msg) => {
    try {
      const result = await commands[msg.cmd](msg);
      process.send({ id: msg.id, result });
    } catch (err) {
      process.send({ id: msg.id, error: err?.stack ?? String(err) });
    }
  });
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  // The test process went away without closing us.
  process.on('disconnect', stop);
}

if (process.argv.includes(CHILD_FLAG)) await runChild();
