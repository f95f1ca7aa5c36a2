// Multi-page scenarios: real headless Chromium pages (one browser context each, so each has
// its own certificate store), the demo server with the embedded broker, and helpers to read
// a page's call state.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../support/chromium.mjs';

/**
 * The demo server (page + broker) runs in a child process: the PeerJS server keeps timers
 * running after close(), which would keep a test file's process from ever exiting.
 */
function startServer() {
  const child = fork(fileURLToPath(new URL('../../demo/server.mjs', import.meta.url)), [], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = out.match(/(http:\/\/\S+\/)/)?.[1];
      if (!url) return;
      child.stdout.removeAllListeners('data');
      child.removeAllListeners('exit');
      resolve({
        url,
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export async function launch() {
  const server = await startServer();
  const browser = await chromium.launch(chromiumLaunchOptions());
  const contexts = [];
  return {
    server,
    browser,
    /** Open the test page with element attributes; returns a Peer. */
    async open(attrs, { hash = '', context } = {}) {
      const ctx = context ?? (await browser.newContext());
      if (!context) contexts.push(ctx);
      const page = await ctx.newPage();
      const query = new URLSearchParams({ signaling: server.url, ...attrs });
      await page.goto(`${server.url}test-page.html?${query}${hash}`);
      await page.waitForFunction(() => window.room !== undefined);
      return new Peer(page, ctx);
    },
    async close() {
      for (const ctx of contexts) await ctx.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

export class Peer {
  constructor(page, context) {
    this.page = page;
    this.context = context;
  }
  eval(fn, arg) {
    return this.page.evaluate(fn, arg);
  }
  async join() {
    await this.eval(() => window.room.join());
    this.id = await this.eval(() => window.room.selfId);
    return this.id;
  }
  state() {
    return this.eval(() => window.room.state);
  }
  coordinator() {
    return this.eval(() => window.room.coordinatorId);
  }
  ids() {
    return this.eval(() => window.room.participants.map((p) => p.id));
  }
  events(type) {
    return this.eval((t) => window.events.filter((e) => e.type === t).map((e) => e.detail), type);
  }
  async framesFrom(peerId) {
    return this.eval(async (id) => {
      const stats = await window.room.getStats(id);
      let frames = 0;
      stats?.forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'video') frames = Math.max(frames, r.framesDecoded ?? 0);
      });
      return frames;
    }, peerId);
  }
  /** The candidate type of this end of the selected pair on the link to `peerId` (`relay`, `host`, …); undefined until one succeeded. */
  selectedLocalType(peerId) {
    return this.eval(async (id) => {
      const stats = await window.room.getStats(id);
      let pair;
      stats?.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
      });
      return pair?.state === 'succeeded' ? stats.get(pair.localCandidateId)?.candidateType : undefined;
    }, peerId);
  }
  /** Pause the page's JavaScript while its sockets stay open (a frozen tab). */
  async freeze() {
    this.cdp = await this.page.context().newCDPSession(this.page);
    await this.cdp.send('Debugger.enable');
    await this.cdp.send('Debugger.pause');
  }
  async thaw() {
    await this.cdp?.send('Debugger.resume');
  }
}

export async function until(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if ((last = await check())) return last;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

export const uniqueRoom = (label) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
