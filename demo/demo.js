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

/** A Copy button for `text()`, with a status beside it that says (and announces) what happened. */
function copyButton(what, text) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'copy';
  button.textContent = 'Copy';
  button.setAttribute('aria-label', `Copy ${what}`);
  const status = document.createElement('span');
  status.className = 'copied';
  status.setAttribute('role', 'status');
  button.addEventListener('click', () => copyText(status, text()));
  return [button, ' ', status];
}

const copyTimers = new WeakMap();
async function copyText(status, text) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied';
  } catch {
    status.textContent = 'Could not copy: select the text and copy it';
  }
  clearTimeout(copyTimers.get(status));
  copyTimers.set(
    status,
    setTimeout(() => (status.textContent = ''), 4000),
  );
}

/** A link with a copy button; an agent's invite also gets the command that runs the example agent. */
function linkItem(label, href, agentName) {
  const item = document.createElement('li');
  const a = document.createElement('a');
  a.href = a.textContent = href;
  item.append(`${label}: `, a, ' ', ...copyButton(label[0].toLowerCase() + label.slice(1), () => href));
  if (agentName) {
    const command = document.createElement('code');
    command.textContent = `npx kibitz-agent '${href}' --name '${agentName.replaceAll("'", "'\\''")}'`;
    const p = document.createElement('p');
    p.className = 'hint';
    p.append('Run the example agent with it: ', command, ' ', ...copyButton(`command for ${agentName}`, () => command.textContent));
    item.append(p);
  }
  return item;
}

/**
 * Wire an "invite someone" box: its form makes a personal invite link with `make(name,
 * { expiresIn, kind }, formData)` and lists it with a copy button; errors show beside the form.
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
      const kind = String(data.get('kind'));
      const link = await make(name, { expiresIn: Number(data.get('expiresIn')), kind }, data);
      const label = `${kind === 'agent' ? 'Agent invite' : 'Invite'} for ${name} (${field(form, 'expiresIn').selectedOptions[0].text})`;
      box.querySelector('.invites').append(linkItem(label, link, kind === 'agent' && name));
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
  inviteBox($('create-invites'), (name, options) => createInvite({ link: made.link, passphrase, name, ...options }));

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
      // A soft host is a name, not a key: say so (a host key wins over it).
      $('soft-host-box').hidden = !made.hostName || Boolean(made.hostKey);
      $('soft-host-name').textContent = made.hostName ?? '';
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
    button.addEventListener('click', () => copyText(button.nextElementSibling, $(button.dataset.copy).textContent));
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

/** Who someone is in the call, in a few words. */
function personText(p) {
  const tags = [p.self && '(you)', p.host && '· host', p.kind === 'agent' && '· agent'].filter(Boolean);
  const identity = identityText(p);
  const trust = !p.self && { verified: 'safety code checked', changed: 'on a new device: verify again' }[p.trust];
  return [`${p.name || 'A guest'} ${tags.join(' ')}`.trim(), [identity, trust].filter(Boolean).join('; ')].filter(Boolean).join(' — ');
}

/**
 * The People panel, where it adds to the element's own list: in a room with a gate, how each
 * participant got in as this browser checked it; for a host with a host key, each other
 * participant's grant (what its device may perceive and do), set or reset from a form.
 */
function peoplePanel(room, { gate, canGrant, log }) {
  const items = new Map();

  const grantForm = (p) => {
    const details = $('grant-form').content.firstElementChild.cloneNode(true);
    const form = details.querySelector('form');
    const error = form.querySelector('.error');
    const run = async (change) => {
      for (const button of form.querySelectorAll('button')) button.disabled = true;
      showError(error, null);
      try {
        await change();
      } catch (err) {
        showError(error, err);
      } finally {
        for (const button of form.querySelectorAll('button')) button.disabled = false;
      }
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = new FormData(form);
      run(() => room.setGrant(p.id, { perceive: data.getAll('perceive'), act: data.getAll('act') }));
    });
    form.querySelector('.reset-grant').addEventListener('click', () => run(() => room.resetGrant(p.id)));
    return details;
  };

  const showGrant = (item, grant) => {
    for (const box of item.querySelectorAll('.grant input[type=checkbox]')) box.checked = grant[box.name].includes(box.value);
  };

  const render = (participants) => {
    $('people-box').hidden = participants.length === 0 || !(gate || canGrant());
    for (const [id, item] of items) {
      if (participants.some((p) => p.id === id)) continue;
      item.remove();
      items.delete(id);
    }
    for (const p of participants) {
      let item = items.get(p.id);
      if (!item) {
        item = document.createElement('li');
        item.dataset.peer = p.id;
        item.append(document.createElement('span'));
        items.set(p.id, item);
        $('people').append(item);
      }
      item.firstChild.textContent = personText(p);
      const grantable = canGrant() && !p.self;
      let details = item.querySelector('.grant');
      if (grantable && !details) {
        details = grantForm(p);
        details.querySelector('summary').textContent = `Grant for ${p.name || 'this guest'}`;
        item.append(details);
        showGrant(item, p.grant);
      }
      if (details) details.hidden = !grantable;
    }
  };

  room.addEventListener('kibitz-participants', (e) => render(e.detail.participants));
  room.addEventListener('kibitz-host', () => render(room.participants));
  room.addEventListener('kibitz-state', () => render(room.participants));
  room.addEventListener('kibitz-grant', (e) => {
    const { peer, grant } = e.detail;
    const item = items.get(peer.id);
    if (item) showGrant(item, grant);
    const what = grant.act.length ? `may ${grant.act.join(', ')}` : 'may do nothing';
    log(
      `${peer.self ? 'Your grant' : `${peer.name || 'A guest'}’s grant`} changed: perceives ${grant.perceive.join(', ') || 'nothing'}; ${what}.`,
    );
  });
  room.addEventListener('kibitz-audit', (e) => {
    const { peer, blocked } = e.detail;
    log(`${peer.name || 'A guest'} tried to send ${blocked === 'chat' ? 'a message' : 'a file'} without a grant for it: it was dropped.`);
  });
}

function callPage() {
  $('call').hidden = false;
  const lines = [];
  const log = (text) => {
    $('log-box').hidden = false;
    lines.push(text);
    if (lines.length > 8) lines.shift();
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
  // This server mints short-lived TURN credentials here when it has a TURN server (else none).
  room.setAttribute('ice-servers-url', '/ice-servers');
  $('stage').append(room);
  const joinForm = $('join-form');
  const hostForm = $('host-form');
  const inCall = () => ['joined', 'connecting', 'waiting'].includes(room.state);
  let claimed = false;

  // Only the holder of the host link (the sealed key) can claim host, and only before joining.
  const showForms = () => {
    joinForm.hidden = inCall();
    hostForm.hidden = !attrs['host-seal'] || claimed || room.isHost || inCall();
  };
  room.addEventListener('kibitz-state', showForms);
  room.addEventListener('kibitz-host', showForms);
  showForms();

  if (attrs['host-name'] && !attrs['host-key']) {
    $('host-note').textContent = `Whoever joins as “${attrs['host-name']}” is this room’s host (anyone can type that name).`;
    $('host-note').hidden = false;
  }

  // The element asks for the name and the devices itself; the room-wide choices are made here.
  const syncAttributes = () => {
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
          ? 'This room is by invitation. You hold the host link: claim host, then join; make invite links beside the call.'
          : 'This room is by invitation: open the personal invite link the host made for you.',
      names:
        'Only listed names get in: type yours as your name in the call below. Anyone can type a listed name: it keeps honest people honest.',
      code: 'This room asks for its join code: type it in the “Join code” field of the call below.',
      oidc: 'This room asks you to sign in: press “Sign in” in the call below, then join.',
      email:
        'This room asks for a verified email address: give yours in the call below, then the code from the mail, then join. (If this demo server is the issuer and has no SMTP set up, the mail is printed in its console.)',
    };
    $('gate-note').textContent = hints[gate.method];
    $('gate-note').hidden = false;
    // verified-only needs credentials: a names list proves nothing.
    $('verified-only').hidden = gate.method === 'names';
  }

  // A host in an invite room makes personal invites (for people or agents): from the link's
  // sealed key before joining, or from the element once joined as host.
  const joinedHost = () => room.isHost && room.state === 'joined';
  if (gate?.method === 'invite' && attrs['host-seal']) {
    const box = $('call-invites');
    box.hidden = false;
    inviteBox(
      box,
      (name, options, data) =>
        joinedHost()
          ? room.createInvite(name, options)
          : createInvite({ link: location.href, passphrase: String(data.get('passphrase')), name, ...options }),
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

  // Grants are signed with the host key: the soft host-name tier grants nothing.
  peoplePanel(room, { gate, canGrant: () => joinedHost() && Boolean(attrs['host-key']), log });

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
  room.addEventListener('kibitz-join', (e) => !e.detail.peer.self && log(`${e.detail.peer.name || 'A guest'} joined`));
  room.addEventListener('kibitz-leave', (e) => log(`${e.detail.peer.name || 'A guest'} left (${e.detail.reason})`));
  // A knock only knows an id and a name: the guest is not in the roster yet.
  room.addEventListener('kibitz-knock', (e) => log(`${e.detail.name || 'A guest'} is waiting to be let in`));
  room.addEventListener('kibitz-safety', (e) => {
    const { peer, trust, alarm } = e.detail;
    if (alarm) log(`Safety alarm about ${peer.name || 'a guest'}: ${alarm}. Do not trust this call until you have compared codes.`);
    else if (trust === 'verified') log(`You checked ${peer.name || 'a guest'}’s safety code.`);
  });
  joinForm.addEventListener('submit', (event) => event.preventDefault());
  hostForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = new FormData(hostForm);
    room.claimHost(String(form.get('passphrase'))).then(
      () => {
        claimed = true;
        showForms();
        log(room.state === 'joined' ? 'You are the host.' : 'You are the host: join, and the others will see it.');
      },
      (err) => log(`${err.code}: ${err.message}`),
    );
  });
}

// A sign-in popup that lands here hands its answer back and closes: the bundle registered no element.
if (customElements.get('kibitz-room')) {
  if (location.hash.length <= 1) createPage();
  else callPage();
}
