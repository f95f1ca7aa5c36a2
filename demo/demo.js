// The demo page: without a room in the link it offers to create one; with one, it joins.
const { createRoom, createInvite, createJoinCode, parseGate, parseRoomLink } = await import('/kibitz-room.js');

const $ = (id) => document.getElementById(id);
// By name through `elements`: a control called `name` is shadowed by the form's own property.
const field = (form, name) => form.elements.namedItem(name);
// Following a room link from this page changes only the fragment: start over with it.
addEventListener('hashchange', () => location.reload());

/** What each gate asks of a joiner, and why a gate said no, in words. */
const ASKS = {
  invite: 'a personal invite',
  names: 'a name on its list',
  code: 'its join code',
  oidc: 'a sign-in',
  email: 'a verified email address',
};
const REASONS = {
  'bad-credential': 'the credential is not right',
  expired: 'it has expired',
  'not-allowed': 'that name or address is not on the list',
  'issuer-unreachable': 'the issuer cannot be reached',
  'already-in-use': 'this invite is in use on another device in the room',
  'too-many-tries': 'too many wrong tries',
};

/** Show an error next to the form it belongs to (or clear it with null). */
function showError(box, err) {
  box.hidden = !err;
  box.textContent = err ? `${err.code ?? 'Error'}: ${err.message}` : '';
}

/** A link with a copy button. */
function linkItem(label, href) {
  const item = document.createElement('li');
  const a = document.createElement('a');
  a.href = a.textContent = href;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'copy';
  copy.textContent = 'Copy';
  copy.addEventListener('click', () => copyText(copy, href));
  item.append(`${label}: `, a, ' ', copy);
  return item;
}

async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy it';
  }
  setTimeout(() => (button.textContent = 'Copy'), 2000);
}

/**
 * Wire an "invite someone" box: its form makes a personal invite link with `make(name,
 * expiresIn, formData)` and lists it with a copy button; errors show beside the form.
 */
function inviteBox(box, make, { passphrase = false } = {}) {
  // Both boxes share one form, from its template; only the call page's asks for the passphrase.
  const form = $('invite-form').content.firstElementChild.cloneNode(true);
  if (!passphrase) form.querySelector('.invite-passphrase').remove();
  const error = box.querySelector('.error');
  error.before(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get('name')).trim();
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    showError(error, null);
    try {
      const link = await make(name, Number(data.get('expiresIn')), data);
      box.querySelector('.invites').append(linkItem(`Invite for ${name} (${field(form, 'expiresIn').selectedOptions[0].text})`, link));
      field(form, 'name').value = '';
    } catch (err) {
      showError(error, err);
    } finally {
      button.disabled = false;
    }
  });
}

/** The gate option createRoom takes, from the create form (undefined: an open room). */
function gateOption(form) {
  const list = (text) =>
    String(text ?? '')
      .split(/[\s,;]+/)
      .filter(Boolean);
  switch (form.get('gate')) {
    case 'invite':
      return { method: 'invite' };
    case 'names':
      return {
        method: 'names',
        names: String(form.get('names'))
          .split('\n')
          .map((n) => n.trim())
          .filter(Boolean),
      };
    case 'code':
      return { method: 'code', code: String(form.get('code')) };
    case 'oidc':
      return {
        method: 'oidc',
        issuer: String(form.get('oidcIssuer')).trim(),
        clientId: String(form.get('clientId')).trim(),
        allow: list(form.get('oidcAllow')),
      };
    case 'email':
      return { method: 'email', issuer: String(form.get('emailIssuer')).trim(), allow: list(form.get('emailAllow')) };
    default:
      return undefined;
  }
}

function createPage() {
  $('create').hidden = false;
  const createForm = $('create-form');
  const [gateField, codeField, emailIssuerField] = ['gate', 'code', 'emailIssuer'].map((name) => field(createForm, name));
  for (const el of document.querySelectorAll('.redirect-uri')) el.textContent = location.origin + '/';
  // The demo server is an email issuer; its discovery document says under which URL.
  emailIssuerField.value = location.origin;
  fetch('/.well-known/openid-configuration')
    .then((response) => response.json())
    .then(({ issuer }) => typeof issuer === 'string' && emailIssuerField.value === location.origin && (emailIssuerField.value = issuer))
    .catch(() => undefined);

  const showGateFields = () => {
    for (const set of createForm.querySelectorAll('.gate-fields')) {
      set.hidden = set.disabled = set.dataset.gate !== gateField.value;
    }
  };
  gateField.addEventListener('change', showGateFields);
  showGateFields();
  $('generate-code').addEventListener('click', () => (codeField.value = createJoinCode()));

  let made = null;
  let passphrase = '';
  inviteBox($('create-invites'), (name, expiresIn) => createInvite({ link: made.link, passphrase, name, expiresIn }));

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(createForm);
    const button = createForm.querySelector('button[type=submit]');
    button.disabled = true;
    showError($('create-error'), null);
    try {
      const gate = gateOption(form);
      made = await createRoom({
        hostPassphrase: form.get('passphrase') || undefined,
        hostName: form.get('hostName') || undefined,
        base: location.origin + '/',
        ...(gate && { gate }),
      });
      passphrase = String(form.get('passphrase') ?? '');
      for (const [id, href] of [
        ['host-link', made.link],
        ['guest-link', made.guestLink],
      ]) {
        $(id).href = $(id).textContent = href;
      }
      // Without a host key both links are one.
      $('host-link-box').hidden = !made.hostKey;
      // In an invite room the bare room link lets nobody past the gate: guests get invites.
      const invites = gate?.method === 'invite';
      $('guest-link-box').hidden = invites;
      $('create-invites').hidden = !invites;
      $('create-invites').querySelector('.invites').replaceChildren();
      // The code is in no link: show it this once and take it out of the form.
      $('code-box').hidden = gate?.method !== 'code';
      $('join-code').textContent = gate?.method === 'code' ? gate.code : '';
      codeField.value = '';
      $('links').hidden = false;
    } catch (err) {
      $('links').hidden = true;
      showError($('create-error'), err);
    } finally {
      button.disabled = false;
    }
  });
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', () => copyText(button, $(button.dataset.copy).textContent));
  }
}

/** How a participant got in, as this browser checked it (you: what you showed). */
function identityText(p) {
  const { identity } = p;
  if (!identity) return '';
  if (p.self && p.host) return 'host key';
  const who = {
    host: 'host key',
    names: 'listed name (anyone can type it)',
    invite: identity.name ? `invited as “${identity.name}”` : 'no invite',
    code: 'knows the join code',
    oidc: identity.email ?? 'signed in',
    email: identity.email ?? 'verified email',
  }[identity.method];
  if (p.self) return who;
  return `${who}, ${identity.verified ? 'verified by this browser' : 'not verified here'}`;
}

function callPage() {
  $('call').hidden = false;
  const lines = [];
  const log = (text) => {
    lines.push(text);
    if (lines.length > 6) lines.shift();
    $('log').replaceChildren(
      ...lines.map((line) => {
        const p = document.createElement('p');
        p.textContent = line;
        return p;
      }),
    );
  };
  let attrs;
  let gate = null;
  try {
    attrs = parseRoomLink(location.href);
    gate = attrs.gate ? parseGate(attrs.gate) : null;
  } catch (err) {
    log(`This link is not a valid room link (${err.code}).`);
    return;
  }
  const room = document.createElement('kibitz-room');
  for (const [key, value] of Object.entries(attrs)) room.setAttribute(key, value);
  $('stage').append(room);
  const joinForm = $('join-form');
  if (attrs['host-seal']) $('host-form').hidden = false;

  // The element's own gate form and Join button use the name and media typed here.
  const syncAttributes = () => {
    room.setAttribute('name', field(joinForm, 'name').value);
    room.setAttribute('media', field(joinForm, 'media').checked ? 'audio video' : '');
    room.toggleAttribute('verified-only', !$('verified-only').hidden && field(joinForm, 'verifiedOnly').checked);
  };
  joinForm.addEventListener('input', syncAttributes);
  syncAttributes();

  if (gate) {
    const hints = {
      invite: attrs.invite
        ? 'This room is by invitation, and this link carries your personal invite.'
        : attrs['host-seal']
          ? 'This room is by invitation. You hold the host link: claim host, then join; make invite links below.'
          : 'This room is by invitation: open the personal invite link the host made for you.',
      names: 'Only listed names get in: type yours as “Your name”. Anyone can type a listed name: it keeps honest people honest.',
      code: 'This room asks for its join code: type it in the “Join code” field of the call below.',
      oidc: 'This room asks you to sign in: press “Sign in” in the call below, then Join.',
      email:
        'This room asks for a verified email address: give yours in the call below, then the code from the mail, then Join. (If this demo server is the issuer and has no SMTP set up, the mail is printed in its console.)',
    };
    $('gate-note').textContent = hints[gate.method];
    $('gate-note').hidden = false;
    // verified-only needs credentials: a names list proves nothing.
    $('verified-only').hidden = gate.method === 'names';
  }

  // A host in an invite room makes personal invites: from the link's sealed key before joining,
  // or from the element once joined as host.
  if (gate?.method === 'invite' && attrs['host-seal']) {
    const box = $('call-invites');
    box.hidden = false;
    const joinedHost = () => room.isHost && room.state === 'joined';
    inviteBox(
      box,
      (name, expiresIn, data) =>
        joinedHost()
          ? room.createInvite(name, { expiresIn })
          : createInvite({ link: location.href, passphrase: String(data.get('passphrase')), name, expiresIn }),
      { passphrase: true },
    );
    const passphraseLabel = box.querySelector('.invite-passphrase');
    const update = () => {
      passphraseLabel.hidden = passphraseLabel.querySelector('input').disabled = joinedHost();
    };
    room.addEventListener('kibitz-host', update);
    room.addEventListener('kibitz-state', update);
    update();
  }

  let gateExplained = false;
  room.addEventListener('kibitz-error', (e) => {
    // A gate that asks for something already said what, in words.
    if (e.detail.code === 'ERR_GATE' && gateExplained) return;
    log(`${e.detail.code}: ${e.detail.message}`);
  });
  room.addEventListener('kibitz-gate', (e) => {
    const { state, method, reason, peer } = e.detail;
    const why = REASONS[reason] ?? reason;
    if (peer) {
      // An alarm: a member showed a credential that failed this browser's own check.
      log(`Warning: ${peer.name || 'a participant'} is in the call, but their credential did not verify on this browser (${why}).`);
    } else if (state === 'needed') {
      gateExplained = !reason;
      setTimeout(() => (gateExplained = false));
      if (!reason) log(`This room asks for ${ASKS[method]} first.`);
    } else if (state === 'checking') {
      log('Checking at the gate…');
    } else if (state === 'admitted') {
      // The first one into an empty room coordinates it: nobody was there to check.
      log(room.coordinatorId === room.selfId ? 'You opened the room: nobody was here yet to check you.' : 'The gate let you in.');
    } else if (state === 'refused') {
      log(`The gate turned you away: ${why}.`);
    }
  });
  room.addEventListener('kibitz-state', (e) => {
    joinForm.hidden = ['joined', 'connecting', 'waiting'].includes(e.detail.state);
  });
  room.addEventListener('kibitz-host', () => {
    if (room.isHost) $('host-form').hidden = true;
  });
  room.addEventListener('kibitz-join', (e) => !e.detail.peer.self && log(`${e.detail.peer.name || 'A guest'} joined`));
  room.addEventListener('kibitz-leave', (e) => log(`${e.detail.peer.name || 'A guest'} left (${e.detail.reason})`));
  // A knock only knows an id and a name: the guest is not in the roster yet.
  room.addEventListener('kibitz-knock', (e) => log(`${e.detail.name || 'A guest'} is waiting to be let in`));
  room.addEventListener('kibitz-participants', (e) => {
    $('people').replaceChildren(
      ...(gate ? e.detail.participants : []).map((p) => {
        const item = document.createElement('li');
        item.textContent = `${p.name || 'A guest'}${p.self ? ' (you)' : ''}${p.host ? ' · host' : ''} — ${identityText(p)}`;
        return item;
      }),
    );
  });
  joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    syncAttributes();
    room.join().catch(() => undefined);
  });
  $('host-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    room.claimHost?.(form.get('passphrase')).then(
      () => log('You are the host.'),
      (err) => log(`${err.code}: ${err.message}`),
    );
  });
}

// A sign-in popup that lands here hands its answer back and closes: the bundle registered no element.
if (customElements.get('kibitz-room')) {
  if (location.hash.length <= 1) createPage();
  else callPage();
}
