#!/usr/bin/env node
// The example agent, "Scribe": it joins the room a link opens and answers chat that asks it,
// with a recap of the last messages. The recap is deterministic; `respond` below is where a
// model call would go.
//
//   npx kibitz-agent '<room or invite link>' --name Scribe [--signaling URL] [--certificate FILE]
//
// What it answers: a chat message (a string, or an object with a string `text`) from a
// participant who is not an agent, whose text starts with "@<its name>", "summary" or
// "summarize" (any case). Its answers start with "Recap", so two agents never answer each
// other. It logs one line per event on stdout (`fingerprint …` first), and leaves the room on
// SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { createAgent, defaultCertificatePath, loadOrCreateCertificate } from 'kibitz/agent';

const USAGE = 'usage: kibitz-agent <link> --name NAME [--signaling URL] [--certificate FILE]';
/** How many chat messages the recap covers. */
const HISTORY = 10;

/**
 * What the agent says, given the request and the recent chat (oldest first, the request
 * last). Deterministic here: a real agent would call its model at this point, e.g.
 * `return (await model.complete({ system: 'Summarise this chat.', messages: history })).text`.
 */
async function respond(history) {
  const lines = history.map(({ name, text }) => `${name}: ${text}`);
  return `Recap of the last ${history.length} message${history.length === 1 ? '' : 's'}: ${lines.join(' | ')}`;
}

function main() {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: { name: { type: 'string' }, signaling: { type: 'string' }, certificate: { type: 'string' }, help: { type: 'boolean' } },
    });
  } catch (err) {
    return fail(`${err.message}\n${USAGE}`, 2);
  }
  const { values, positionals } = args;
  if (values.help) return void console.log(USAGE);
  if (positionals.length !== 1 || !values.name) return fail(USAGE, 2);
  void run(positionals[0], values).catch((err) => fail(`${err.code ?? 'error'} ${err.message}`, 1));
}

async function run(link, { name, signaling, certificate: file = defaultCertificatePath(name) }) {
  // The fingerprint is known before joining: a host can grant this agent ahead of time.
  const certificate = loadOrCreateCertificate(file, name);
  log('fingerprint', certificate.fingerprint);
  const agent = await createAgent({ link, name, signaling, certificate: file });
  log('joined', agent.id);

  const history = [];
  const nameOf = (id) => agent.participants.find((p) => p.id === id)?.name || id;
  const kindOf = (id) => agent.participants.find((p) => p.id === id)?.kind;
  const mention = `@${agent.room.name.toLowerCase()}`;

  // One `member` line per participant whenever what this agent knows of it changes: its kind
  // and what it may do are known only once this agent has checked its credential itself.
  const shown = new Map();
  const note = (peer) => {
    const line = `${peer.kind} ${JSON.stringify(peer.name)} perceive=${peer.grant.perceive} act=${peer.grant.act}`;
    if (peer.self || shown.get(peer.id) === line) return;
    shown.set(peer.id, line);
    log('member', peer.id, line);
  };
  agent.participants.forEach(note);
  agent.on('participants', ({ participants }) => participants.forEach(note));
  agent.on('join', ({ peer }) => log('join', peer.id, peer.kind, JSON.stringify(peer.name)));
  agent.on('leave', ({ peer, reason }) => {
    shown.delete(peer.id);
    log('leave', peer.id, reason);
  });
  agent.on('coordinator', ({ peerId }) => log('coordinator', peerId));
  agent.on('grant', ({ peer, grant }) => (peer.self ? log('grant', 'self', `perceive=${grant.perceive}`, `act=${grant.act}`) : note(peer)));
  agent.on('error', ({ code, message }) => log('error', code, message));
  agent.on('state', ({ state }) => {
    if (state === 'kicked' || state === 'refused' || state === 'failed') stop(`state ${state}`, 1);
  });
  agent.on('message', ({ peerId, data, to }) => {
    const text = typeof data === 'string' ? data : typeof data?.text === 'string' ? data.text : null;
    if (text === null) return;
    log('message', peerId, to ? 'direct' : 'chat', JSON.stringify(text));
    history.push({ name: nameOf(peerId), text });
    if (history.length > HISTORY) history.shift();
    const asked = text.trim().toLowerCase();
    if (kindOf(peerId) === 'agent' || !(asked.startsWith(mention) || /^summar(y|ise|ize)\b/.test(asked))) return;
    void respond([...history]).then((answer) => {
      if (agent.room.state !== 'joined') return;
      // Sent even without the chat grant: the others drop it and the host hears of it.
      const granted = agent.grant.act.includes('chat');
      agent.send(answer);
      log('answer', granted ? 'granted' : 'ungranted', JSON.stringify(answer));
    });
  });

  let stopping = false;
  function stop(why, code) {
    if (stopping) return;
    stopping = true;
    log('leaving', why);
    agent.leave();
    process.exitCode = code;
    // Everything is closed now; if something still held the process, this says so and ends it.
    setTimeout(() => {
      log('forced', 'exit: a handle outlived leave()');
      process.exit(code);
    }, 10_000).unref();
  }
  process.once('SIGINT', () => stop('SIGINT', 0));
  process.once('SIGTERM', () => stop('SIGTERM', 0));
}

function log(...words) {
  console.log(words.join(' '));
}

function fail(message, code) {
  console.error(message);
  process.exitCode = code;
}

main();
