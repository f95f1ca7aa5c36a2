// In-page helpers shared by every bench page: one clock for all pages, progress counters
// whose thresholds resolve with the time they were first reached, first-decoded-frame
// watchers, a deterministic payload and the message-latency drivers.

/** Milliseconds on a clock shared by every page of this machine (cross-origin isolated: 5 µs). */
export const now = () => performance.timeOrigin + performance.now();

/** Counts something that only grows (connected peers) and remembers when each value was first reached. */
export class Progress {
  constructor() {
    this.count = -1;
    this.times = [];
    this.waiters = [];
  }
  /** Record that `count` is reached now (lower counts too, if they were skipped). */
  reach(count, at = now()) {
    while (this.count < count) this.times[++this.count] = at;
    this.waiters = this.waiters.filter((w) => (w.count <= this.count ? (w.resolve(this.times[w.count]), false) : true));
  }
  /** Resolves with the time `count` was first reached. */
  reached(count) {
    if (count <= this.count) return Promise.resolve(this.times[count]);
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

/** Resolves with the time the first frame of a (remote) video track is decoded. */
export async function firstFrame(track) {
  const clone = track.clone();
  try {
    const reader = new MediaStreamTrackProcessor({ track: clone }).readable.getReader();
    const { value } = await reader.read();
    const at = now();
    value?.close();
    reader.cancel().catch(() => undefined);
    return at;
  } finally {
    clone.stop();
  }
}

// ---- payload for throughput ---------------------------------------------------------------

export const BLOCK = 4 * 1024 * 1024;

/** A deterministic 4 MiB block (xorshift), the same in every page. */
export function block() {
  const words = new Uint32Array(BLOCK / 4);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return new Uint8Array(words.buffer);
}

/** A Blob of `total` bytes made of the block repeated, as a page would hand over a File. */
export function payload(total) {
  const b = block();
  const parts = [];
  for (let at = 0; at < total; at += BLOCK) parts.push(at + BLOCK <= total ? b : b.subarray(0, total - at));
  return new Blob(parts);
}

let prepared = null;

/**
 * Build the payload before the clock starts, and wait until the browser has it stored:
 * building a 256 MiB Blob streams it to the browser process, which would otherwise stall
 * the first seconds of the transfer (a real page sends a File that is already stored).
 */
export async function preparePayload(total) {
  prepared = null;
  const blob = payload(total);
  await blob.slice(total - 1).arrayBuffer();
  prepared = { total, blob };
}

export function preparedPayload(total) {
  if (prepared?.total !== total) throw new Error('preparePayload() first');
  return prepared.blob;
}

/** Spot-check a received payload: a few slices must equal the block at their offsets. */
export async function verifyPayload(blob, total) {
  if (blob.size !== total) return false;
  const b = block();
  for (const offset of [0, total / 2 + 12345, total - 4096]) {
    const o = Math.floor(offset);
    const got = new Uint8Array(await blob.slice(o, o + 4096).arrayBuffer());
    for (let i = 0; i < got.length; i++) if (got[i] !== b[(o + i) % BLOCK]) return false;
  }
  return true;
}

// ---- message latency ------------------------------------------------------------------------

/**
 * Message-latency drivers over a page's own `send(to, obj)` (to = null broadcasts) and an
 * incoming-message hook. Every receiver stamps one-way latency from the sender's clock.
 */
export class Latency {
  constructor(send) {
    this.send = send;
    this.oneWay = [];
    this.rtt = [];
    this.chat = [];
    this.waiting = null;
    this.acks = 0;
    this.ticker = null;
  }
  reset() {
    this.oneWay = [];
    this.rtt = [];
    this.chat = [];
  }
  /** Feed every incoming small message here. */
  onMessage(from, msg) {
    const at = now();
    if (!msg || typeof msg !== 'object') return;
    if (msg.k === 'ping') {
      this.oneWay.push(at - msg.t);
      this.send(from, { k: 'pong', s: msg.s, t: now(), t0: msg.t });
    } else if (msg.k === 'pong') {
      this.oneWay.push(at - msg.t);
      this.rtt.push(at - msg.t0);
      this.waiting?.();
    } else if (msg.k === 'bcast') {
      this.oneWay.push(at - msg.t);
      this.send(from, { k: 'ack', s: msg.s });
    } else if (msg.k === 'ack') {
      if (--this.acks === 0) this.waiting?.();
    } else if (msg.k === 'chat') {
      this.chat.push({ at, ms: at - msg.t });
    }
  }
  /** A small message to `to` every `everyMs` (chat while something else runs); stop() ends it. */
  startChat(to, everyMs) {
    let s = 0;
    this.ticker = setInterval(() => this.send(to, { k: 'chat', s: s++, t: now() }), everyMs);
  }
  stopChat() {
    clearInterval(this.ticker);
  }
  /** `rounds` ping-pongs with one peer, one at a time. */
  async pingPong(to, rounds) {
    for (let s = 0; s < rounds; s++) {
      const done = new Promise((resolve) => (this.waiting = resolve));
      this.send(to, { k: 'ping', s, t: now() });
      await done;
    }
    this.waiting = null;
  }
  /** `rounds` broadcasts to `receivers` peers, each waiting for every ack. */
  async broadcast(receivers, rounds) {
    for (let s = 0; s < rounds; s++) {
      const done = new Promise((resolve) => (this.waiting = resolve));
      this.acks = receivers;
      this.send(null, { k: 'bcast', s, t: now() });
      await done;
    }
    this.waiting = null;
  }
}

/** Bytes sent and received over the ICE transports of these connections (anything with getStats()). */
export async function transportBytes(connections) {
  let sent = 0;
  let received = 0;
  for (const pc of connections) {
    const report = await pc?.getStats().catch(() => null);
    report?.forEach((s) => {
      if (s.type !== 'transport') return;
      sent += s.bytesSent ?? 0;
      received += s.bytesReceived ?? 0;
    });
  }
  return { sent, received };
}

/** Expose a page's bench API once its module has loaded. */
export function expose(api) {
  window.bench = api;
  window.benchReady = true;
}
