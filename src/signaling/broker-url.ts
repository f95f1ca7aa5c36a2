// Where a PeerJS broker's socket is, from the base URL a page gives. Apart from the transport,
// so the element can check its `signaling` attribute before a call's code has loaded.
import { KibitzError } from '../errors.js';

/** Turn `ws://host:port/base/`, `https://…` or a bare origin into the broker's socket URL. */
export function brokerSocketUrl(base: string, id: string, token: string, key = 'peerjs'): string {
  const url = new URL(base);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', `signaling must be a ws(s) or http(s) URL, got ${url.protocol}`);
  }
  const path = url.pathname.endsWith('/') ? url.pathname : url.pathname + '/';
  url.pathname = path + 'peerjs';
  url.search = `?key=${encodeURIComponent(key)}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`;
  url.hash = '';
  return url.toString();
}
