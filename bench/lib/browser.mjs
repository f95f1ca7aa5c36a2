// Driving bench pages: one headless Chromium, each page in its own browser context (its own
// certificate store, like separate browsers), a wait for the CPU to settle before timing,
// and small helpers shared by the figures.
import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumLaunchOptions } from '../../test/support/chromium.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Node's reading of the clock the pages share (performance.timeOrigin + now). */
export const clock = () => performance.timeOrigin + performance.now();

/** A switch Chromium ignores, to find this bench's browser among the machine's processes. */
const TAG = `--kibitz-bench=${process.pid}-${Date.now()}`;
const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time (ms) used so far by this bench's browser and all its descendants. */
function browserCpuMs() {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
    } catch {
      // the process ended meanwhile
    }
  }
  let root = browserPid;
  if (!root || !stats.has(root)) {
    root = [...stats.keys()].find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(TAG);
      } catch {
        return false;
      }
    });
    browserPid = root;
  }
  if (!root) return 0;
  const children = new Map();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    total += stats.get(pid)?.cpu ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}
let browserPid = null;

/**
 * Wait until this bench's own browser is quiet (new pages keep both cores busy for about
 * half a second, and a handshake timed meanwhile doubles): 200 ms windows until one uses
 * under 10 % of a core, at least `minMs`, at most `maxMs`. Other work on the machine is
 * not waited for: it is noise the medians have to absorb.
 */
export async function settle({ minMs = 200, maxMs = 3000, busy = 0.1, windowMs = 200 } = {}) {
  const start = Date.now();
  await sleep(minMs);
  let before = browserCpuMs();
  let at = Date.now();
  while (Date.now() - start < maxMs) {
    await sleep(windowMs);
    const used = browserCpuMs();
    const now = Date.now();
    if (used - before <= busy * (now - at)) return;
    before = used;
    at = now;
  }
}

export class Bench {
  constructor(browser, server) {
    this.browser = browser;
    this.server = server;
    this.contexts = new Set();
  }

  static async launch(server) {
    const browser = await chromium.launch(chromiumLaunchOptions([TAG]));
    return new Bench(browser, server);
  }

  get version() {
    return this.browser.version();
  }

  /** Open a bench page (`kibitz`, `peerjs`, `bare`, `crypto`) in a fresh context. */
  async open(kind, query = {}) {
    const context = await this.browser.newContext();
    this.contexts.add(context);
    const page = await context.newPage();
    const search = new URLSearchParams(query).toString();
    await page.goto(`${this.server.url}pages/${kind}.html${search ? `?${search}` : ''}`);
    await page.waitForFunction(() => window.benchReady === true);
    return new BenchPage(page, context, this);
  }

  /** Open `count` pages of one kind, two at a time. */
  async openMany(kind, count, query) {
    const pages = [];
    for (let i = 0; i < count; i += 2)
      pages.push(...(await Promise.all([this.open(kind, query), ...(i + 1 < count ? [this.open(kind, query)] : [])])));
    return pages;
  }

  async close() {
    for (const context of this.contexts) await context.close().catch(() => undefined);
    await this.browser.close().catch(() => undefined);
  }
}

export class BenchPage {
  constructor(page, context, bench) {
    this.page = page;
    this.context = context;
    this.bench = bench;
  }
  /** Evaluate `fn(bench, arg)` in the page. */
  run(fn, arg) {
    return this.page.evaluate(([source, a]) => new Function(`return (${source})`)()(window.bench, a), [fn.toString(), arg]);
  }
  async cdp() {
    this.session ??= await this.context.newCDPSession(this.page);
    return this.session;
  }
  /** V8 heap in use (bytes) plus ArrayBuffer backing stores when Chromium reports them. */
  async heap() {
    const session = await this.cdp();
    const usage = await session.send('Runtime.getHeapUsage');
    return { used: usage.usedSize, backing: usage.backingStorageSize ?? 0, total: usage.usedSize + (usage.backingStorageSize ?? 0) };
  }
  async collectGarbage() {
    const session = await this.cdp();
    await session.send('HeapProfiler.collectGarbage');
  }
  async freeze() {
    const session = await this.cdp();
    await session.send('Debugger.enable');
    await session.send('Debugger.pause');
  }
  async close() {
    await this.context.close().catch(() => undefined);
    this.bench.contexts.delete(this.context);
  }
}

// ---- statistics ---------------------------------------------------------------------------

export function quantile(values, q) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
export const median = (values) => quantile(values, 0.5);
export const min = (values) => (values.length ? Math.min(...values) : null);
export const max = (values) => (values.length ? Math.max(...values) : null);

/** { median, min, max, runs } of a list of run results. */
export function summary(values) {
  const ok = values.filter((v) => Number.isFinite(v));
  return { median: median(ok), min: min(ok), max: max(ok), runs: ok.length, failed: values.length - ok.length };
}

/** Reject after `ms` with a message naming what did not happen. */
export function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))),
  ]);
}
