// Getting an ID token in the browser, in the same lazily loaded chunk family as its
// verification: OpenID Connect authorization code with PKCE in a popup, and the email issuer's
// two calls. The nonce is computed by the caller from this device's certificate and the room,
// so the token counts only for this device in this room.
import { KibitzError } from '../errors.js';
import { buf, randomBytes, toBase64Url, utf8 } from '../crypto/bytes.js';
import type { GateReason } from '../crypto/gate.js';
import { discover } from './id-token.js';

/** The channel a redirect page hands the authorization response back on (see completeSignIn). */
export const SIGN_IN_CHANNEL = 'kibitz-oidc';
/** How long a sign-in popup may stay open. */
export const SIGN_IN_TIMEOUT_MS = 5 * 60_000;
const STATE_PREFIX = 'kibitz.';

/** A gate failure: its `reason` is what `kibitz-gate` reports. */
export class GateError extends KibitzError {
  constructor(
    readonly reason: GateReason,
    message: string,
  ) {
    super('ERR_GATE', message);
  }
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(utf8(text))));
}

/**
 * Sign in with an OpenID Connect issuer in a popup and return the ID token. `redirectUri` is
 * any page of this origin that loads Kibitz (it hands the response back and closes itself).
 */
export async function signInWithPopup(options: {
  issuer: string;
  clientId: string;
  nonce: string;
  redirectUri: string;
  timeoutMs?: number;
}): Promise<string> {
  let config: Record<string, unknown>;
  try {
    ({ config } = await discover(options.issuer));
  } catch (err) {
    throw new GateError('issuer-unreachable', `the issuer cannot be reached: ${(err as Error).message}`);
  }
  const authorize = config.authorization_endpoint;
  const tokenEndpoint = config.token_endpoint;
  if (typeof authorize !== 'string' || typeof tokenEndpoint !== 'string') {
    throw new GateError('issuer-unreachable', 'the issuer publishes no authorization or token endpoint');
  }
  const verifier = toBase64Url(randomBytes(32));
  const state = STATE_PREFIX + toBase64Url(randomBytes(16));
  const url = new URL(authorize);
  url.search = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: 'code',
    scope: 'openid email',
    state,
    nonce: options.nonce,
    code_challenge: toBase64Url(await sha256(verifier)),
    code_challenge_method: 'S256',
  }).toString();

  const channel = new BroadcastChannel(SIGN_IN_CHANNEL);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const back = new Promise<URL>((resolve, reject) => {
      channel.onmessage = (event: MessageEvent) => {
        try {
          const answer = new URL(String(event.data));
          if (answer.searchParams.get('state') === state) resolve(answer);
        } catch {
          // Not ours.
        }
      };
      timer = setTimeout(
        () => reject(new GateError('bad-credential', 'the sign-in was not finished in time')),
        options.timeoutMs ?? SIGN_IN_TIMEOUT_MS,
      );
    });
    // With cross-origin isolation the handle reads as closed at once: the answer comes on the channel.
    if (!window.open(url.href, 'kibitz-sign-in', 'popup,width=480,height=680')) {
      throw new GateError('bad-credential', 'the browser blocked the sign-in popup: call signIn() from a click');
    }
    const answer = await back;
    const error = answer.searchParams.get('error');
    if (error) throw new GateError('bad-credential', `the issuer said ${error}`);
    const iss = answer.searchParams.get('iss');
    if (iss !== null && iss !== options.issuer) throw new GateError('bad-credential', 'the answer came from another issuer');
    const code = answer.searchParams.get('code');
    if (!code) throw new GateError('bad-credential', 'the issuer sent no authorization code');
    const response = await postTo(
      tokenEndpoint,
      'application/x-www-form-urlencoded',
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: options.redirectUri,
        client_id: options.clientId,
        code_verifier: verifier,
      }),
      'the token endpoint',
    );
    const body = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
    if (!response.ok || typeof body.id_token !== 'string') {
      throw new GateError('bad-credential', `the token endpoint refused: ${String(body.error ?? response.status)}`);
    }
    return body.id_token;
  } finally {
    clearTimeout(timer);
    channel.close();
  }
}

const EMAIL_ERRORS: Record<string, GateReason> = {
  'bad-code': 'bad-credential',
  'bad-request': 'bad-credential',
  'unknown-ticket': 'bad-credential',
  locked: 'too-many-tries',
  'rate-limited': 'too-many-tries',
  expired: 'expired',
};

/** POST without cookies; a network failure is `issuer-unreachable`. */
async function postTo(url: string, type: string, body: string | URLSearchParams, what: string): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', credentials: 'omit', headers: { 'content-type': type }, body });
  } catch (err) {
    throw new GateError('issuer-unreachable', `${what} cannot be reached: ${(err as Error).message}`);
  }
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await postTo(url, 'application/json', JSON.stringify(body), 'the email issuer');
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = typeof answer.error === 'string' ? answer.error : String(response.status);
    const reason = EMAIL_ERRORS[error] ?? (response.status >= 500 ? 'issuer-unreachable' : 'bad-credential');
    throw new GateError(reason, typeof answer.message === 'string' ? answer.message : `the email issuer said ${error}`);
  }
  return answer;
}

/** Ask the email issuer to mail a code to `email`; resolves with the ticket the code is checked against. */
export async function startEmail(issuer: string, email: string, nonce: string): Promise<string> {
  const { ticket } = await post(`${issuer}/email/start`, { email, nonce });
  if (typeof ticket !== 'string') throw new GateError('issuer-unreachable', 'the email issuer sent no ticket');
  return ticket;
}

/** Exchange the mailed code for an ID token. */
export async function finishEmail(issuer: string, ticket: string, code: string): Promise<string> {
  const { id_token: token } = await post(`${issuer}/email/verify`, { ticket, code });
  if (typeof token !== 'string') throw new GateError('issuer-unreachable', 'the email issuer sent no token');
  return token;
}
