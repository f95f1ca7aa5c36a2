// A sign-in popup lands back on a page of this origin that loads Kibitz: if the page is that
// answer, hand it to the page that asked (over a same-origin BroadcastChannel, which works even
// where cross-origin isolation cut the popup from its opener) and close. Only the asker holds
// the PKCE verifier the code needs, so any other listener learns nothing it could use.
export function completeSignIn(): boolean {
  if (typeof location === 'undefined' || typeof BroadcastChannel === 'undefined') return false;
  const state = new URLSearchParams(location.search).get('state');
  if (!state?.startsWith('kibitz.')) return false;
  const channel = new BroadcastChannel('kibitz-oidc');
  channel.postMessage(location.href);
  channel.close();
  window.close();
  return true;
}
