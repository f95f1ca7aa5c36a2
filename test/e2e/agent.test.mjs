// The Node agent across real pages: the example agent (bin/kibitz-agent.mjs) runs as a child
// process over libdatachannel, with an agent invite to an invite room, against the demo
// server's broker and headless Chromium pages. It shows as an agent with the fingerprint it
// reports itself (the same after a restart with its certificate file), reads the chat but is
// heard only once the host grants it, and outlives a coordinator migration.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createAgent, loadOrCreateCertificate } from 'kibitz/agent';
import { launch, until } from './harness.mjs';

const PASS = 'a long and careful host passphrase';
const BASE = 'https://example.test/call';
const AGENT_BIN = fileURLToPath(new URL('../../bin/kibitz-agent.mjs', import.meta.url));
const CHAT_GRANT = { perceive: ['chat', 'direct', 'roster'], act: ['chat'] };

let env;
let maker;
let makerContext;
let certificates;

before(async () => {
  env = await launch();
  makerContext = await env.browser.newContext();
  maker = await makerContext.newPage();
  await maker.goto(`${env.server.url}test-page.html`);
  await maker.waitForFunction(() => window.kibitz !== undefined);
  certificates = await mkdtemp(join(tmpdir(), 'kibitz-agent-test-'));
});

after(async () => {
  await makerContext?.close().catch(() => undefined);
  await env?.close();
  if (certificates) await rm(certificates, { recursive: true, force: true });
});

// ---- helpers ------------------------------------------------------------------------------

const fragment = (link) => link.slice(link.indexOf('#'));

/** An invite room: its host link, and invites made with the public API. */
async function inviteRoom() {
  const made = await maker.evaluate((o) => window.kibitz.createRoom(o), { base: BASE, hostPassphrase: PASS, gate: { method: 'invite' } });
  const invite = (name, kind = 'person') =>
    maker.evaluate((o) => window.kibitz.createInvite(o), { link: made.link, passphrase: PASS, name, kind, expiresIn: 3600_000 });
  return { made, invite };
}

/** A person's page (its own browser context, so its own certificate), joined; closed after the test. */
async function person(t, name, link, { host = false, media = '' } = {}) {
  const context = await env.browser.newContext();
  t.after(() => context.close().catch(() => undefined));
  const peer = await env.open({ name, media }, { hash: fragment(link), context });
  if (host) await peer.eval((pass) => window.room.claimHost(pass), PASS);
  await peer.join();
  return peer;
}

/**
 * The example agent as a child process. `lines` is its stdout so far; `line(re)` waits for a
 * line matching `re`; `stop()` sends SIGTERM and resolves with the exit code. Killed after the
 * test if still running.
 */
function startAgent(t, link, certificate) {
  const child = spawn(
    process.execPath,
    [AGENT_BIN, link, '--name', 'Scribe', '--signaling', env.server.url, '--certificate', certificate],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop();
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  // 'close', not 'exit': by then its stdout is read to the end, so `lines` holds its last words.
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(code ?? signal)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const agent = {
    lines,
    get stderr() {
      return stderr;
    },
    async line(re, what = String(re), timeoutMs = 60_000) {
      try {
        return await until(
          () => {
            if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode})`);
            return lines.find((l) => re.test(l));
          },
          `agent stdout: ${what}`,
          timeoutMs,
        );
      } catch (err) {
        err.message += `\n--- agent stdout ---\n${lines.join('\n')}\n--- agent stderr ---\n${stderr}`;
        throw err;
      }
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
  return agent;
}

/**
 * The agent's entry in `peer`'s participants, once it is there with a fingerprint and `peer`
 * has checked its invite itself (that comes after the link, on its own frame).
 */
const agentOn = (peer) =>
  until(
    () => peer.eval(() => window.room.participants.find((p) => p.name === 'Scribe' && p.fingerprint && p.identity?.verified)),
    'the agent listed with a fingerprint and a verified invite',
    60_000,
  );

const wordsOf = (line) => line.split(' ');

/**
 * Wait until the agent has checked `peer`'s invite itself: until then it cannot tell what the
 * peer is, so it grants it nothing and drops its messages (failing closed).
 */
const heardBy = (agent, peer, name) =>
  agent.line(new RegExp(`^member ${peer.id} person "${name}" perceive=\\S+ act=\\S*chat`), `the agent knows ${name} may chat`);

/** Messages `peer` received from `from`, as their data. */
const messagesFrom = async (peer, from) => (await peer.events('kibitz-message')).filter((m) => m.peerId === from).map((m) => m.data);

/**
 * A host, guests and the agent in a fresh invite room, everyone seeing everyone. Guests with
 * `media` open fake devices: the agent then answers their renegotiations for media it never takes.
 */
async function roomWithAgent(t, { guests = ['Ada'], media = '' } = {}) {
  const { made, invite } = await inviteRoom();
  const host = await person(t, 'Host', made.link, { host: true });
  const people = [host];
  for (const name of guests) people.push(await person(t, name, await invite(name), { media }));
  const certificate = join(certificates, `${t.name.replace(/\W+/g, '-')}.pem`);
  const agentLink = await invite('Scribe', 'agent');
  const agent = startAgent(t, agentLink, certificate);
  const fingerprint = wordsOf(await agent.line(/^fingerprint /, 'its fingerprint'))[1];
  agent.id = wordsOf(await agent.line(/^joined /, 'joined'))[1];
  for (const peer of people) await agentOn(peer);
  return { made, invite, host, people, agent, fingerprint, certificate, agentLink };
}

// ---- tests --------------------------------------------------------------------------------

describe('the Node agent', { timeout: 300_000 }, () => {
  it('is listed as an agent with the fingerprint it reports, and keeps it across restarts', async (t) => {
    const { people, agent, fingerprint, certificate, agentLink } = await roomWithAgent(t);
    assert.match(fingerprint, /^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/);
    for (const peer of people) {
      const seen = await agentOn(peer);
      assert.equal(seen.kind, 'agent');
      assert.equal(seen.id, agent.id);
      assert.equal(seen.fingerprint, fingerprint, 'the live fingerprint each page reads is the one the agent reports');
      assert.equal(seen.identity?.kind, 'agent', 'its invite says agent');
      assert.deepEqual(seen.grant, { perceive: ['chat', 'direct', 'roster'], act: [] }, 'an agent starts with the narrow grant');
    }

    assert.equal(await agent.stop(), 0, 'SIGTERM: the agent leaves and exits 0');
    assert.ok(agent.lines.includes('leaving SIGTERM'));
    assert.ok(!agent.lines.some((l) => l.startsWith('forced')), 'nothing outlived leave()');
    for (const peer of people) await until(async () => !(await peer.ids()).includes(agent.id), 'the pages see the agent go', 30_000);

    const again = startAgent(t, agentLink, certificate);
    assert.equal(wordsOf(await again.line(/^fingerprint /))[1], fingerprint, 'same certificate file, same fingerprint');
    const id = wordsOf(await again.line(/^joined /))[1];
    assert.notEqual(id, agent.id);
    for (const peer of people) {
      const seen = await until(
        () => peer.eval((pid) => window.room.participants.find((p) => p.id === pid && p.fingerprint), id),
        'the restarted agent listed',
        60_000,
      );
      assert.equal(seen.fingerprint, fingerprint);
      assert.equal(seen.kind, 'agent');
    }
  });

  it('reads the chat, but is heard only once the host grants it chat', async (t) => {
    const { host, people, agent } = await roomWithAgent(t, { media: 'audio video' });
    const ada = people[1];
    await heardBy(agent, ada, 'Ada');

    await ada.eval(() => window.room.send('summary please'));
    await agent.line(/^message \S+ chat "summary please"$/, 'the request reached the agent');
    await agent.line(/^answer ungranted "Recap of the last 1 message: Ada: summary please"$/, 'its answer, sent without the grant');
    const audit = await until(
      async () => (await host.events('kibitz-audit')).find((e) => e.peer.id === agent.id),
      'the host hears of the dropped answer',
    );
    assert.equal(audit.blocked, 'chat');
    assert.equal(audit.peer.kind, 'agent');
    for (const peer of people) assert.deepEqual(await messagesFrom(peer, agent.id), [], 'nobody shows the ungranted answer');

    await host.eval(({ id, grant }) => window.room.setGrant(id, grant), { id: agent.id, grant: CHAT_GRANT });
    await agent.line(/^grant self perceive=chat,direct,roster act=chat$/, 'the agent learns its grant');
    for (const peer of people) {
      await until(
        () => peer.eval((id) => window.room.participants.find((p) => p.id === id)?.grant.act.includes('chat'), agent.id),
        'the page enforces the new grant',
      );
    }
    assert.ok((await host.events('kibitz-grant')).some((e) => e.peer.id === agent.id && e.grant.act.includes('chat')));

    await ada.eval(() => window.room.send('summary please, again'));
    const answer = 'Recap of the last 2 messages: Ada: summary please | Ada: summary please, again';
    await agent.line(/^answer granted /, 'its granted answer');
    for (const peer of people) {
      await until(async () => (await messagesFrom(peer, agent.id)).includes(answer), 'the answer arrives');
      assert.deepEqual(await messagesFrom(peer, agent.id), [answer], 'exactly the one granted answer');
    }
  });

  it('outlives a coordinator migration: still listed, never elected, still answering', async (t) => {
    const { host, people, agent } = await roomWithAgent(t, { guests: ['Ada', 'Bob'] });
    const [, ada, bob] = people;
    assert.equal(await ada.coordinator(), host.id, 'the host joined first and coordinates');
    await host.eval(({ id, grant }) => window.room.setGrant(id, grant), { id: agent.id, grant: CHAT_GRANT });
    for (const peer of [ada, bob]) {
      await until(
        () => peer.eval((id) => window.room.participants.find((p) => p.id === id)?.grant.act.includes('chat'), agent.id),
        'the grant is known',
      );
    }

    await host.eval(() => window.room.leave());
    const next = await until(async () => {
      const [a, b] = [await ada.coordinator(), await bob.coordinator()];
      return a && a === b && a !== host.id ? a : null;
    }, 'Ada and Bob agree on a new coordinator');
    assert.ok([ada.id, bob.id].includes(next), 'a person is elected, not the agent');
    await agent.line(new RegExp(`^coordinator ${next}$`), 'the agent follows the new coordinator');
    for (const peer of [ada, bob]) {
      await until(async () => !(await peer.ids()).includes(host.id), 'the host is gone');
      assert.ok((await peer.ids()).includes(agent.id), 'the agent is still listed');
    }

    await heardBy(agent, bob, 'Bob');
    await bob.eval(() => window.room.send('@Scribe what did I miss?'));
    const answer = 'Recap of the last 1 message: Bob: @Scribe what did I miss?';
    for (const peer of [ada, bob])
      await until(async () => (await messagesFrom(peer, agent.id)).includes(answer), 'the agent still answers');
  });
});

describe('the agent before it joins', () => {
  it('makes its certificate file once (owner-only) and reads the same identity back', async () => {
    const path = join(certificates, 'fresh', 'Scribe.pem');
    const made = loadOrCreateCertificate(path, 'Scribe');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const x509 = new X509Certificate(made.cert);
    assert.equal(made.fingerprint, x509.fingerprint256.toLowerCase());
    assert.equal(x509.publicKey.asymmetricKeyDetails.namedCurve, 'prime256v1');
    assert.ok(x509.verify(x509.publicKey), 'self-signed');
    assert.equal(loadOrCreateCertificate(path, 'Scribe').fingerprint, made.fingerprint);
  });

  it('refuses a certificate file it cannot use, and leaves it as it was', async () => {
    const path = join(certificates, 'broken.pem');
    await writeFile(path, 'not a certificate\n');
    assert.throws(() => loadOrCreateCertificate(path), { code: 'ERR_BAD_ATTRIBUTE' });
    assert.equal(await readFile(path, 'utf8'), 'not a certificate\n');
  });

  it('rejects a bad link with ERR_BAD_LINK, and a bad name, broker or ICE server with ERR_BAD_ATTRIBUTE', async () => {
    const certificate = join(certificates, 'unused.pem');
    await assert.rejects(createAgent({ link: 'https://example.test/#host-name=Ada', name: 'Scribe', certificate }), {
      code: 'ERR_BAD_LINK',
    });
    await assert.rejects(createAgent({ link: 'https://example.test/#room=r', name: '  ', certificate }), { code: 'ERR_BAD_ATTRIBUTE' });
    await assert.rejects(
      createAgent({ link: '#room=r', name: 'Scribe', certificate }),
      { code: 'ERR_BAD_ATTRIBUTE' },
      'no broker to default to',
    );
    const iceServers = [{ urls: 'https://turn.example.test/' }];
    await assert.rejects(createAgent({ link: 'https://example.test/#room=r', name: 'Scribe', certificate, iceServers }), {
      code: 'ERR_BAD_ATTRIBUTE',
    });
  });
});
