// The demo page: without a room in the link it offers to create one; with one, it joins.
const { createRoom, parseRoomLink } = await import('/kibitz-room.js');

const $ = (id) => document.getElementById(id);
// Following a room link from this page changes only the fragment: start over with it.
addEventListener('hashchange', () => location.reload());
const log = (text) => ($('log').textContent = text);

if (location.hash.length <= 1) {
  $('create').hidden = false;
  $('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const made = await createRoom({
        hostPassphrase: form.get('passphrase') || undefined,
        hostName: form.get('hostName') || undefined,
        base: location.origin + '/',
      });
      for (const [id, href] of [
        ['host-link', made.link],
        ['guest-link', made.guestLink],
      ]) {
        $(id).href = $(id).textContent = href;
      }
      $('links').hidden = false;
    } catch (err) {
      alert(`${err.code ?? 'error'}: ${err.message}`);
    }
  });
} else {
  $('call').hidden = false;
  let attrs;
  try {
    attrs = parseRoomLink(location.href);
  } catch (err) {
    log(`This link is not a valid room link (${err.code}).`);
  }
  if (attrs) {
    const room = document.createElement('kibitz-room');
    for (const [key, value] of Object.entries(attrs)) room.setAttribute(key, value);
    $('stage').append(room);
    if (attrs['host-seal']) $('host-form').hidden = false;
    room.addEventListener('kibitz-error', (e) => log(`${e.detail.code}: ${e.detail.message}`));
    room.addEventListener('kibitz-state', (e) => {
      $('join-form').hidden = ['joined', 'connecting', 'waiting'].includes(e.detail.state);
    });
    room.addEventListener('kibitz-host', () => {
      if (room.isHost) $('host-form').hidden = true;
    });
    room.addEventListener('kibitz-join', (e) => !e.detail.peer.self && log(`${e.detail.peer.name || 'A guest'} joined`));
    room.addEventListener('kibitz-leave', (e) => log(`${e.detail.peer.name || 'A guest'} left (${e.detail.reason})`));
    // A knock only knows an id and a name: the guest is not in the roster yet.
    room.addEventListener('kibitz-knock', (e) => log(`${e.detail.name || 'A guest'} is waiting to be let in`));
    $('join-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      room.setAttribute('name', form.get('name') || '');
      room.setAttribute('media', form.get('media') ? 'audio video' : '');
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
}
