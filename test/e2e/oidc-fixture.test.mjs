// The OIDC test provider (test/support/oidc-provider.mjs) and the sign-in flow the element
// runs against it: authorization code + PKCE in a popup, the code handed back from the redirect
// page over a BroadcastChannel, the code exchanged with a CORS fetch, the ID token verified
// against the provider's JWKS. The pages carry the demo server's cross-origin isolation
// headers, since that is where the element runs.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../support/chromium.mjs';
import { signInThroughPopup, startOidcProvider } from '../support/oidc-provider.mjs';

const CLIENT_ID = 'kibitz-test';

// Same headers as demo/server.mjs under /isolated/, none under /plain/ (for comparison).
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};
const OPENER_PAGE = '<!doctype html><title>opener</title>';
// The redirect page: same origin as the opener, so it can hand the result back over a
// BroadcastChannel even where COOP has cut the popup off from its opener.
const CALLBACK_PAGE = `<!doctype html><title>callback</title><script>
  const channel = new BroadcastChannel('kibitz-oidc');
  channel.postMessage({ href: location.href, hasOpener: window.opener !== null });
  channel.close();
  window.close();
</script>`;

function startPageServer() {
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const [, mode, file] = pathname.split('/');
    const body = { 'index.html': OPENER_PAGE, 'callback.html': CALLBACK_PAGE }[file];
    if (!body || !['isolated', 'plain'].includes(mode)) return res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...(mode === 'isolated' ? ISOLATION : {}),
    });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        // localhost, like the demo's URL: a different site from the provider's 127.0.0.1.
        url: `http://localhost:${server.address().port}/`,
        close: () => new Promise((done) => server.close(done)),
      }),
    ),
  );
}

let pages;
let provider;
let browser;
let discovery;

before(async () => {
  pages = await startPageServer();
  provider = await startOidcProvider({
    clients: [
      {
        clientId: CLIENT_ID,
        redirectUris: [`${pages.url}isolated/callback.html`, `${pages.url}plain/callback.html`],
      },
    ],
    accounts: { eve: { email_verified: false } },
  });
  browser = await chromium.launch(chromiumLaunchOptions());
  discovery = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await provider?.close();
  await pages?.close();
});

/** In the page: discovery, PKCE, state and nonce, then window.open on the authorize URL. */
function openAuthorizePopup(page, { issuer, clientId, redirectUri }) {
  return page.evaluate(
    async ({ issuer, clientId, redirectUri }) => {
      const b64url = (bytes) =>
        btoa(String.fromCharCode(...bytes))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
      const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
      const config = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
      const verifier = random();
      const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
      const state = random();
      const nonce = random();
      const url = new URL(config.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid email',
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).toString();
      const channel = new BroadcastChannel('kibitz-oidc');
      const returned = new Promise((resolve) => (channel.onmessage = (e) => resolve(e.data)));
      const handle = window.open(url.href, 'kibitz-oidc', 'popup,width=480,height=640');
      window.flow = { config, verifier, state, nonce, returned, handle, channel };
      return { nonce, handleIsNull: handle === null };
    },
    { issuer, clientId, redirectUri },
  );
}

/** In the page: wait for the redirect page's message, then exchange the code with fetch. */
function exchangeCode(page, { clientId, redirectUri }) {
  return page.evaluate(
    async ({ clientId, redirectUri }) => {
      const { config, verifier, state, returned, channel } = window.flow;
      const message = await returned;
      channel.close();
      const params = new URL(message.href).searchParams;
      if (params.get('state') !== state) throw new Error('state mismatch');
      const response = await fetch(config.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: params.get('code'),
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
        }),
      });
      return {
        message,
        iss: params.get('iss'),
        status: response.status,
        body: await response.json(),
        crossOriginIsolated: window.crossOriginIsolated,
      };
    },
    { clientId, redirectUri },
  );
}

async function signIn(context, { login, mode = 'isolated' }) {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${pages.url}${mode}/index.html`);
  const redirectUri = `${pages.url}${mode}/callback.html`;
  const popupEvent = page.waitForEvent('popup');
  const opened = await openAuthorizePopup(page, { issuer: provider.issuer, clientId: CLIENT_ID, redirectUri });
  const popup = await popupEvent;
  // What the opener's handle says while the popup shows the provider's page (a returning
  // user's popup may already be back and closed by now).
  await popup.waitForURL((url) => url.origin === provider.issuer, { waitUntil: 'domcontentloaded', timeout: 5000 }).catch(() => undefined);
  const onProvider = () => !popup.isClosed() && new URL(popup.url()).origin === provider.issuer;
  let handleClosedWhileOpen;
  if (onProvider()) {
    // The opener learns of the browsing-context-group switch by a message of its own, a moment
    // after the popup has committed the provider's page: wait for the handle to read closed
    // (plain pages get a shorter wait, since theirs never does), then check the popup is in
    // fact still open on the provider's form, so "closed" is the group switch, not the popup.
    const waitMs = mode === 'isolated' ? 5000 : 1000;
    const closed = await page
      .waitForFunction(() => window.flow.handle.closed, null, { timeout: waitMs, polling: 20 })
      .then(
        () => true,
        () => false,
      );
    handleClosedWhileOpen = closed && onProvider();
  }
  const popupResult = await signInThroughPopup(page, { login, popup });
  const exchanged = await exchangeCode(page, { clientId: CLIENT_ID, redirectUri });
  return { opened, popupResult, handleClosedWhileOpen, ...exchanged };
}

const jwks = () => createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: 3000 });

test('discovery, JWKS and the token endpoint answer CORS for any origin', async () => {
  const origin = 'http://localhost:1';
  const headers = { origin };
  const discoveryRes = await fetch(`${provider.issuer}/.well-known/openid-configuration`, { headers });
  assert.equal(discoveryRes.headers.get('access-control-allow-origin'), origin);
  const jwksRes = await fetch(discovery.jwks_uri, { headers });
  assert.equal(jwksRes.headers.get('access-control-allow-origin'), origin);
  assert.deepEqual(
    (await jwksRes.json()).keys.map((k) => k.alg),
    ['RS256'],
  );
  // A bogus code from an origin unrelated to the redirect URIs: refused, but readable.
  const tokenRes = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', client_id: CLIENT_ID }),
  });
  assert.equal(tokenRes.status, 400);
  assert.equal(tokenRes.headers.get('access-control-allow-origin'), origin);
  assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256']);
});

test('sign-in: code + PKCE in a popup under COOP/COEP, code back over BroadcastChannel, token by CORS fetch', async () => {
  const context = await browser.newContext();
  try {
    const result = await signIn(context, { login: 'ada@example.org' });
    assert.equal(result.opened.handleIsNull, false);
    assert.equal(result.crossOriginIsolated, true, 'the opener page is cross-origin isolated');
    // COOP same-origin puts the cross-origin popup in another browsing context group: the
    // opener's handle reads as closed while the popup is still signing in, and the redirect
    // page has no opener. Only the BroadcastChannel carries the result back.
    assert.equal(result.handleClosedWhileOpen, true);
    assert.equal(result.message.hasOpener, false);
    assert.equal(result.popupResult.url.split('?')[0], `${pages.url}isolated/callback.html`);
    // …and the redirect page can still close its own window.
    assert.equal(result.popupResult.closed, true);
    assert.equal(result.iss, provider.issuer, 'RFC 9207 iss on the redirect');
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.equal(result.body.token_type, 'Bearer');

    const { payload, protectedHeader } = await jwtVerify(result.body.id_token, jwks(), {
      issuer: provider.issuer,
      audience: CLIENT_ID,
    });
    assert.equal(protectedHeader.alg, 'RS256');
    assert.equal(payload.nonce, result.opened.nonce);
    assert.equal(payload.email, 'ada@example.org');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.sub, 'ada@example.org');

    // Same context again: the provider remembers the session and the grant, so the popup goes
    // straight back to the redirect URI without showing a form.
    const again = await signIn(context, { login: 'ignored' });
    assert.equal(again.status, 200);
    const second = decodeJwt(again.body.id_token);
    assert.equal(second.email, 'ada@example.org');
    assert.equal(second.sub, payload.sub, 'sub is stable per login');
    assert.equal(second.nonce, again.opened.nonce);
  } finally {
    await context.close();
  }
});

test('sign-in: a login without @ gets @example.org; account overrides apply', async () => {
  const context = await browser.newContext();
  try {
    const result = await signIn(context, { login: 'eve' });
    const { payload } = await jwtVerify(result.body.id_token, jwks(), { issuer: provider.issuer, audience: CLIENT_ID });
    assert.equal(payload.email, 'eve@example.org');
    assert.equal(payload.email_verified, false);
  } finally {
    await context.close();
  }
});

test('without COOP the popup keeps its opener (for comparison)', async () => {
  const context = await browser.newContext();
  try {
    const result = await signIn(context, { login: 'ada@example.org', mode: 'plain' });
    assert.equal(result.crossOriginIsolated, false);
    assert.equal(result.handleClosedWhileOpen, false);
    assert.equal(result.message.hasOpener, true);
    assert.equal(result.status, 200);
  } finally {
    await context.close();
  }
});

test('cancel on the login page comes back with error=access_denied', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${pages.url}isolated/index.html`);
    const popup = page.waitForEvent('popup');
    const redirectUri = `${pages.url}isolated/callback.html`;
    await openAuthorizePopup(page, { issuer: provider.issuer, clientId: CLIENT_ID, redirectUri });
    await signInThroughPopup(page, { cancel: true, popup });
    const href = await page.evaluate(() => window.flow.returned.then((m) => m.href));
    assert.equal(new URL(href).searchParams.get('error'), 'access_denied');
  } finally {
    await context.close();
  }
});

test('the provider requires PKCE S256 and an exactly registered redirect URI', async () => {
  const redirectUri = `${pages.url}isolated/callback.html`;
  const authorize = (params) =>
    fetch(
      `${discovery.authorization_endpoint}?${new URLSearchParams({
        client_id: CLIENT_ID,
        response_type: 'code',
        scope: 'openid email',
        state: 's',
        nonce: 'n',
        redirect_uri: redirectUri,
        ...params,
      })}`,
      { redirect: 'manual' },
    );
  const challenge = 'x'.repeat(43);
  const errorOf = (res) => new URL(res.headers.get('location'), redirectUri).searchParams.get('error');
  // No PKCE, or plain PKCE: back to the redirect URI with an error.
  assert.equal(errorOf(await authorize({})), 'invalid_request');
  assert.equal(errorOf(await authorize({ code_challenge: challenge, code_challenge_method: 'plain' })), 'invalid_request');
  // An unregistered redirect URI (here another port) gets the provider's own error page.
  const otherPort = redirectUri.replace(/:(\d+)\//, (_, port) => `:${Number(port) + 1}/`);
  const res = await authorize({ redirect_uri: otherPort, code_challenge: challenge, code_challenge_method: 'S256' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid_redirect_uri/);
  // With S256 the provider moves on to its login page.
  const ok = await authorize({ code_challenge: challenge, code_challenge_method: 'S256' });
  assert.equal(ok.status, 303);
  assert.match(ok.headers.get('location'), /^\/interaction\//);
});

test('JWKS unreachable while discovery stays up, then back', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`${pages.url}isolated/index.html`);
    const token = await provider.mint({ nonce: 'n' });
    await provider.stopJwks();
    await assert.rejects(fetch(discovery.jwks_uri));
    assert.equal((await fetch(`${provider.issuer}/.well-known/openid-configuration`)).status, 200);
    await assert.rejects(jwtVerify(token, jwks(), { issuer: provider.issuer, audience: CLIENT_ID }));
    const inPage = await page.evaluate(
      async ({ issuer, jwksUri }) => {
        const config = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.status);
        const keys = await fetch(jwksUri).then(
          (r) => `status ${r.status}`,
          (err) => err.name,
        );
        return { config, keys };
      },
      { issuer: provider.issuer, jwksUri: discovery.jwks_uri },
    );
    assert.deepEqual(inPage, { config: 200, keys: 'TypeError' });

    await provider.startJwks();
    assert.equal((await fetch(discovery.jwks_uri)).status, 200);
    await jwtVerify(token, jwks(), { issuer: provider.issuer, audience: CLIENT_ID });
  } finally {
    await provider.startJwks();
    await context.close();
  }
});

test('mint: tokens signed by the provider key verify, a foreign key or a past exp does not', async () => {
  const options = { issuer: provider.issuer, audience: CLIENT_ID };
  const good = await provider.mint({ nonce: 'n', email: 'ada@example.org', email_verified: true });
  const { payload } = await jwtVerify(good, jwks(), options);
  assert.equal(payload.email, 'ada@example.org');
  await assert.rejects(jwtVerify(await provider.mint({}, { foreignKey: true }), jwks(), options), {
    code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  });
  const past = Math.floor(Date.now() / 1000) - 120;
  await assert.rejects(jwtVerify(await provider.mint({ exp: past }), jwks(), options), { code: 'ERR_JWT_EXPIRED' });
  const noExp = decodeJwt(await provider.mint({ exp: null }));
  assert.equal('exp' in noExp, false);
  const wrongAud = await provider.mint({ aud: 'someone-else' });
  await assert.rejects(jwtVerify(wrongAud, jwks(), options), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
});
