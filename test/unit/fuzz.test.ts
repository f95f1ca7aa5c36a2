// Property-based fuzzing of the wire protocol: the decoders take generated, mutated and
// random frames and never throw; anything they accept is a well-formed frame; a frame missing
// a required field, carrying a wrongly typed one, or oversized is rejected. Then the same
// hostile frames are fed into a live in-memory room, where a rejected frame changes nothing.
import { expect } from '@open-wc/testing';
import * as fc from 'fast-check';
import {
  MAX_CONTROL_FRAME,
  MAX_CONTENT_FRAME,
  decodeContent,
  decodeControl,
  encodeContentBinary,
  encodeContentJson,
  encodeTransferEnd,
  encodeTransferStart,
  transferChunkHeader,
  type ControlType,
} from '../../src/engine/protocol.js';
import type { FloodLimits, Room } from '../../src/engine/room.js';
import { toBase64Url } from '../../src/crypto/bytes.js';
import { harness, joinAll, type Harness } from '../support/memory-room.js';

// ---- arbitraries for well-formed frames ---------------------------------------------------

const idArb = fc.stringMatching(/^[A-Za-z0-9]{1,64}$/);
const nameArb = fc.string({ maxLength: 64 });
const countArb = fc.oneof(fc.nat(), fc.constantFrom(0, Number.MAX_SAFE_INTEGER));
const mediaArb = fc.record({ audio: fc.boolean(), video: fc.boolean(), screen: fc.boolean() });
const kindArb = fc.constantFrom('person', 'agent');
const entryArb = (id = idArb) =>
  fc.record({ id, name: nameArb, kind: kindArb, order: countArb, audio: fc.boolean(), video: fc.boolean(), screen: fc.boolean() });
const stateArb = (id = idArb) =>
  fc.record({
    nextOrder: countArb,
    knocks: fc.uniqueArray(fc.record({ id, name: nameArb }), { selector: (k) => k.id, maxLength: 3 }),
    // The host's record is checked by the host layer, not the wire decoder: any object or null passes here.
    record: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })),
  });
const signalDataArb = fc.oneof(
  fc.record({
    description: fc.record(
      { type: fc.constantFrom('offer', 'answer', 'rollback', 'pranswer'), sdp: fc.string({ maxLength: 300 }) },
      { requiredKeys: ['type'] },
    ),
  }),
  fc.record({
    candidate: fc.option(
      fc.record(
        {
          candidate: fc.string({ maxLength: 200 }),
          sdpMid: fc.option(fc.string({ maxLength: 64 }), { nil: null }),
          sdpMLineIndex: fc.option(fc.nat(8), { nil: null }),
          usernameFragment: fc.option(fc.string({ maxLength: 256 }), { nil: null }),
        },
        { requiredKeys: ['candidate'] },
      ),
      { nil: null },
    ),
  }),
);

function frameArb(id: fc.Arbitrary<string> = idArb): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    fc.record({ t: fc.constant('hello'), v: countArb, id, name: nameArb, kind: kindArb, media: mediaArb }),
    fc.record({
      t: fc.constant('roster'),
      epoch: countArb,
      seq: countArb,
      coordinator: id,
      // A roster lists each member once, each with a join order of its own.
      peers: fc.uniqueArray(entryArb(id), { comparator: (x, y) => x.id === y.id || x.order === y.order, maxLength: 5 }),
      gone: fc.array(fc.record({ id, reason: fc.constantFrom('left', 'timeout', 'kicked') }), { maxLength: 3 }),
      state: stateArb(id),
    }),
    fc.record({ t: fc.constant('wait') }),
    fc.record({ t: fc.constant('refused'), reason: fc.string({ maxLength: 64 }) }),
    fc.record({ t: fc.constant('ping'), n: countArb }),
    fc.record({ t: fc.constant('pong'), n: countArb }),
    fc.record({ t: fc.constant('signal'), to: id, from: id, data: signalDataArb }, { requiredKeys: ['t', 'to', 'data'] }),
    fc.record({ t: fc.constant('media'), media: mediaArb }),
    fc.record({ t: fc.constant('name'), name: nameArb }),
    fc.record({ t: fc.constant('bye') }),
    fc.record(
      { t: fc.constant('host'), from: id, cmd: fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null) },
      { requiredKeys: ['t', 'cmd'] },
    ),
    fc.record({
      t: fc.constant('safety'),
      step: fc.constantFrom('commit', 'nonce', 'reveal'),
      v: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toBase64Url),
    }),
    fc.record({
      t: fc.constant('cred'),
      c: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }))),
    }),
    fc.record({ t: fc.constant('audit'), peer: id, blocked: fc.constantFrom('chat', 'files') }),
  );
}

// ---- values that must never pass a field's check --------------------------------------

const badId = ['', 'has space', 'dash-ed', 'x'.repeat(65), 7, null, true, [], {}];
const badCount = [-1, 1.5, '3', null, true, [], {}, 2 ** 53, '__inf__'];
const badName = ['x'.repeat(65), 3, null, false, [], {}];
const badMedia = [
  null,
  {},
  [],
  'on',
  { audio: 1, video: true, screen: true },
  { audio: true, video: true },
  { audio: true, video: true, screen: true, order: 0 },
];
const badKind = ['robot', '', 1, null, {}];

/** Required fields of every control frame with values that must be rejected there. */
const required: Record<ControlType, Record<string, unknown[]>> = {
  hello: { v: badCount, id: badId, name: badName, kind: badKind, media: badMedia },
  roster: {
    epoch: badCount,
    seq: badCount,
    coordinator: badId,
    peers: [
      null,
      {},
      'x',
      [{}],
      [{ id: 'a', name: 'n', kind: 'person', order: -1, audio: true, video: true, screen: true }],
      Array(65).fill({ id: 'a', name: '', kind: 'person', order: 0, audio: true, video: true, screen: true }),
      [
        { id: 'a', name: '', kind: 'person', order: 0, audio: true, video: true, screen: true },
        { id: 'a', name: '', kind: 'person', order: 1, audio: true, video: true, screen: true },
      ],
      [
        { id: 'a', name: '', kind: 'person', order: 0, audio: true, video: true, screen: true },
        { id: 'b', name: '', kind: 'person', order: 0, audio: true, video: true, screen: true },
      ],
      [{ id: 'a', name: '', kind: 'person', order: 0, audio: true, video: true, screen: true, host: true }],
    ],
    gone: [null, {}, [{ id: 'a', reason: 'eaten' }], [{ id: '', reason: 'left' }]],
    state: [
      null,
      {},
      [],
      { nextOrder: 0, knocks: [], record: 'signed' },
      { nextOrder: -1, knocks: [], record: null },
      { nextOrder: 0, knocks: [], record: [] },
      { nextOrder: 0, knocks: [{ id: '', name: 'x' }], record: null },
      { nextOrder: 0, knocks: [], record: null, locked: true },
      { nextOrder: 0, knocks: [] },
    ],
  },
  wait: {},
  refused: { reason: ['x'.repeat(65), 4, null, {}, []] },
  ping: { n: badCount },
  pong: { n: badCount },
  signal: {
    to: badId,
    data: [
      null,
      {},
      [],
      'sdp',
      { description: { type: 'hello' } },
      { description: null },
      { candidate: 5 },
      { candidate: { candidate: 5 } },
    ],
  },
  media: { media: badMedia },
  name: { name: badName },
  bye: {},
  host: { cmd: [] },
  safety: { step: ['open', '', 1, null], v: ['', 'A'.repeat(42), 'A'.repeat(44), 'A'.repeat(42) + '=', '+'.repeat(43), 5, null] },
  cred: { c: ['x', 1, [], true, { p: 'A'.repeat(13 * 1024) }] },
  audit: { peer: badId, blocked: ['speak', 'camera', '', 1, null, [], {}] },
};
const optional: Record<string, unknown[]> = { from: badId };

// ---- text-level mutation --------------------------------------------------------------

const textMutation = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), with: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), with: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), with: fc.constant('') }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), with: fc.constant('') }),
);

function mutateText(text: string, mutations: { op: string; at: number; with: string }[]): string {
  for (const m of mutations) {
    const at = text.length ? m.at % text.length : 0;
    if (m.op === 'replace') text = text.slice(0, at) + m.with + text.slice(at + m.with.length);
    else if (m.op === 'insert') text = text.slice(0, at) + m.with + text.slice(at);
    else if (m.op === 'delete') text = text.slice(0, at) + text.slice(at + 1);
    else text = text.slice(0, at);
  }
  return text;
}

/** Structural mutation: set, delete or retype one key, possibly nested one level. */
const structuralMutation = fc.record({
  path: fc.array(
    fc.oneof(
      fc.constantFrom('t', 'id', 'from', 'to', 'data', 'peers', 'state', 'media', 'cmd', 'description', 'candidate', '0', 'n'),
      fc.string({ maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  value: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
});

function mutateStructure(frame: unknown, m: { path: string[]; value: unknown }): unknown {
  const copy = JSON.parse(JSON.stringify(frame));
  let node = copy;
  for (const key of m.path.slice(0, -1)) {
    if (typeof node !== 'object' || node === null || typeof node[key] !== 'object' || node[key] === null) break;
    node = node[key];
  }
  if (typeof node === 'object' && node !== null) {
    const key = m.path[m.path.length - 1];
    if (m.value === undefined) delete node[key];
    else node[key] = m.value;
  }
  return copy;
}

/** Anything accepted must be a frame that survives its own round trip unchanged. */
function acceptedIsWellFormed(raw: unknown): void {
  const frame = decodeControl(raw);
  if (frame === null) return;
  const text = JSON.stringify(frame);
  expect(JSON.stringify(decodeControl(text))).to.equal(text);
}

const RUNS = { numRuns: 2000 };

/** The decoders, counting what one test feeds them: each test proves how many frames it tried. */
function decoders() {
  const tried = { control: 0, content: 0 };
  return {
    tried,
    control: (raw: unknown) => {
      tried.control++;
      return decodeControl(raw);
    },
    content: (raw: unknown) => {
      tried.content++;
      return decodeContent(raw);
    },
  };
}

describe('fuzzing the wire protocol decoders (fast-check)', () => {
  it('decodeControl accepts every generated well-formed frame unchanged', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(frameArb(), (frame) => {
        const text = JSON.stringify(frame);
        expect(control(text)).to.deep.equal(JSON.parse(text));
      }),
      RUNS,
    );
    expect(tried.control, 'frames tried').to.be.at.least(2_000);
  });

  it('decodeControl rejects a frame that lacks any required field or carries a wrongly typed one', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(frameArb(), fc.nat(), fc.nat(), (frame, pickField, pickValue) => {
        const t = frame.t as ControlType;
        const fields = Object.keys(required[t]);
        const present = Object.keys(optional).filter((k) => k in frame);
        if (!fields.length && !present.length) {
          expect(control(JSON.stringify({ ...frame, t: t + 'x' }))).to.equal(null);
          return;
        }
        const all = [...fields, ...present];
        const field = all[pickField % all.length];
        const bad = required[t][field] ?? optional[field];
        if (fields.includes(field)) {
          const { [field]: _dropped, ...missing } = frame;
          expect(control(JSON.stringify(missing)), `${t} without ${field}`).to.equal(null);
        }
        if (!bad.length) return;
        const wrong = bad[pickValue % bad.length];
        // '__inf__' stands for a number literal that parses to Infinity.
        const text = JSON.stringify({ ...frame, [field]: wrong }).replace('"__inf__"', '1e400');
        expect(control(text), `${t} with ${field}=${JSON.stringify(wrong)}`).to.equal(null);
      }),
      RUNS,
    );
    expect(tried.control, 'frames tried').to.be.at.least(2_000);
  });

  it('decodeControl rejects a frame carrying a key it may not, at the top or in a nested object', () => {
    const { control, tried } = decoders();
    /** Where a frame of each type has a nested object of a fixed shape. */
    const nested = (frame: Record<string, unknown>): Record<string, unknown>[] => {
      const inner: unknown[] = [frame.media, frame.state, frame.data];
      if (Array.isArray(frame.peers)) inner.push(...frame.peers);
      if (Array.isArray(frame.gone)) inner.push(...frame.gone);
      return inner.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v));
    };
    const extraKey = fc
      .string({ minLength: 1, maxLength: 8 })
      .filter((k) => !['t', 'from', 'proof', 'sdp', 'sdpMid', 'sdpMLineIndex', 'usernameFragment'].includes(k));
    fc.assert(
      fc.property(frameArb(), extraKey, fc.jsonValue({ maxDepth: 1 }), fc.nat(), (frame, key, value, pick) => {
        const copy = JSON.parse(JSON.stringify(frame)) as Record<string, unknown>;
        const targets = [copy, ...nested(copy)].filter((o) => !(key in o));
        if (!targets.length) return;
        targets[pick % targets.length][key] = value;
        expect(control(JSON.stringify(copy)), `${String(frame.t)} with an extra ${key}`).to.equal(null);
      }),
      RUNS,
    );
    expect(tried.control, 'frames tried').to.be.at.least(1_900);
  });

  it('decodeControl never throws on structurally mutated frames and accepts only well-formed ones', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(frameArb(), fc.array(structuralMutation, { minLength: 1, maxLength: 3 }), (frame, mutations) => {
        let mutated: unknown = frame;
        for (const m of mutations) mutated = mutateStructure(mutated, m);
        const raw = JSON.stringify(mutated);
        control(raw);
        acceptedIsWellFormed(raw);
      }),
      { numRuns: 4000 },
    );
    expect(tried.control, 'frames tried').to.be.at.least(4_000);
  });

  it('decodeControl never throws on byte-mutated, truncated and spliced frame text', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(frameArb(), fc.array(textMutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        const raw = mutateText(JSON.stringify(frame), mutations);
        control(raw);
        acceptedIsWellFormed(raw);
      }),
      { numRuns: 4000 },
    );
    expect(tried.control, 'frames tried').to.be.at.least(4_000);
  });

  it('decodeControl returns null for random text, random JSON and non-string input', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (raw) => {
        control(raw);
        acceptedIsWellFormed(raw);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const raw = JSON.stringify(value);
        control(raw);
        acceptedIsWellFormed(raw);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withMap: true, withSet: true, withBigInt: true, withDate: true }), (value) => {
        expect(control(value)).to.equal(null);
        expect(control(new TextEncoder().encode(typeof value).buffer)).to.equal(null);
      }),
      RUNS,
    );
    expect(tried.control, 'frames tried').to.be.at.least(8_000);
  });

  it('decodeControl rejects well-formed frames padded past the size cap, and hostile nesting', () => {
    const { control, tried } = decoders();
    fc.assert(
      fc.property(frameArb(), fc.nat(2048), (frame, extra) => {
        const text = JSON.stringify(frame);
        const padded = text.slice(0, -1) + ' '.repeat(MAX_CONTROL_FRAME - text.length + 1 + extra) + '}';
        expect(control(padded)).to.equal(null);
      }),
      { numRuns: 200 },
    );
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    expect(control(deep)).to.equal(null);
    acceptedIsWellFormed(`{"t":"host","cmd":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect(control('{"t":"__proto__"}')).to.equal(null);
    expect(control('{"t":"constructor"}')).to.equal(null);
    expect(control('{"t":"toString"}')).to.equal(null);
    expect(control('{"t":"hasOwnProperty"}')).to.equal(null);
    expect(tried.control, 'frames tried').to.be.at.least(200);
  });

  it('decodeContent round-trips every well-formed content frame', () => {
    const { content, tried } = decoders();
    const transferId = fc.stringMatching(/^[0-9a-f]{16}$/);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.boolean(), (data, direct) => {
        const frame = content(encodeContentJson(data, direct));
        expect(frame).to.deep.equal({ kind: 'json', data: JSON.parse(JSON.stringify(data)), direct });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, direct) => {
        const frame = content(encodeContentBinary(bytes, direct).slice().buffer);
        expect(frame?.kind).to.equal('binary');
        expect(new Uint8Array((frame as { data: ArrayBuffer }).data)).to.deep.equal(bytes);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(
        transferId,
        fc.string({ maxLength: 256 }),
        fc.string({ maxLength: 128 }),
        fc.nat(),
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (id, name, type, size, direct, chunk) => {
          expect(content(encodeTransferStart(id, { name, type, size }, direct))).to.deep.equal({
            kind: 'start',
            id,
            name,
            type,
            size,
            direct,
          });
          expect(content(encodeTransferEnd(id))).to.deep.equal({ kind: 'end', id });
          expect(content(encodeTransferEnd(id, true))).to.deep.equal({ kind: 'abort', id });
          const header = transferChunkHeader(id);
          const raw = new Uint8Array(header.length + chunk.length);
          raw.set(header);
          raw.set(chunk, header.length);
          const frame = content(raw.buffer);
          expect(frame).to.deep.include({ kind: 'chunk', id });
        },
      ),
      RUNS,
    );
    expect(tried.content, 'frames tried').to.be.at.least(12_000);
  });

  it('decodeContent never throws on mutated text, random bytes and foreign input, and caps sizes', () => {
    const { content, tried } = decoders();
    const validText = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((d) => encodeContentJson(d, false)),
      fc.constant(encodeTransferStart('0123456789abcdef', { name: 'f', type: 't', size: 9 }, true)),
      fc.constant(encodeTransferEnd('0123456789abcdef')),
    );
    fc.assert(
      fc.property(validText, fc.array(textMutation, { minLength: 1, maxLength: 4 }), (text, mutations) => {
        content(mutateText(text, mutations));
      }),
      { numRuns: 4000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const frame = content(bytes.slice().buffer);
        if (bytes.length === 0 || bytes[0] > 2 || (bytes[0] === 2 && bytes.length <= 9)) expect(frame).to.equal(null);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withMap: true, withBigInt: true }), (value) => {
        if (typeof value !== 'string') expect(content(value)).to.equal(null);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        content(JSON.stringify(value));
      }),
      RUNS,
    );
    expect(content(new ArrayBuffer(MAX_CONTENT_FRAME + 2))).to.equal(null);
    expect(content(JSON.stringify({ d: 'x'.repeat(MAX_CONTENT_FRAME) }))).to.equal(null);
    expect(content(JSON.stringify({ x: 'start', id: '0123456789abcdef', name: 'f', type: 't', size: 2 ** 40 }))).to.equal(null);
    expect(content(JSON.stringify({ d: 1, to: 2 }))).to.equal(null);
    expect(tried.content, 'frames tried').to.be.at.least(8_000);
  });
});

// ---- the same hostility against a live room ---------------------------------------------

/** No flood limit: these tests measure validation; the flood budget has its own tests. */
const UNLIMITED: FloodLimits = { burst: Number.MAX_SAFE_INTEGER, perSecond: Number.MAX_SAFE_INTEGER, cutAfter: Number.MAX_SAFE_INTEGER };

interface Live {
  h: Harness;
  rooms: Room[];
}

async function liveRoom(): Promise<Live> {
  const h = harness('fuzz');
  const rooms = ['ann', 'bob', 'cat'].map((name) => h.makeWith(name, { floodBudget: UNLIMITED }));
  await joinAll(h, ...rooms);
  await h.clock.advance(100);
  return { h, rooms };
}

/** Everything a hostile frame must not change: state, roster, coordinator, replicated control. */
function snapshot(room: Room): string {
  return JSON.stringify({
    state: room.state,
    coordinator: room.coordinatorId,
    isCoordinator: room.isCoordinator,
    participants: room.participants.map(({ fingerprint: _fp, ...p }) => p),
    control: room.control,
    links: room.participants.filter((p) => !p.self).map((p) => room.link(p.id)?.isOpen ?? null),
  });
}

/** Let microtasks and one macrotask run (WebCrypto and rejoin work resolve on macrotasks). */
const settle = () =>
  new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });

const dropped = (room: Room) => Object.values(room.dropped).reduce((a, b) => a + b, 0);

/**
 * Frames a rogue participant is not entitled to send (bye, media and its own name are its own
 * business, and so are spoiling its own pair's safety code and showing a bad credential: each
 * raises an alarm about itself).
 */
function hostileArb(ids: string[]): fc.Arbitrary<unknown> {
  const own = (t: unknown) => t === 'bye' || t === 'media' || t === 'name' || t === 'safety' || t === 'cred';
  const id = fc.oneof(fc.constantFrom(...ids), idArb);
  const frame = frameArb(id).filter((f) => !own(f.t));
  return fc
    .oneof(
      frame.map((f) => JSON.stringify(f)),
      fc
        .tuple(frame, fc.array(structuralMutation, { minLength: 1, maxLength: 2 }))
        .map(([f, ms]) => JSON.stringify(ms.reduce<unknown>(mutateStructure, f))),
      fc.tuple(frame, fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([f, ms]) => mutateText(JSON.stringify(f), ms)),
      fc.string({ maxLength: 100 }),
      fc.anything(),
    )
    .filter((raw) => !own(decodeControl(raw)?.t));
}

/**
 * `runs` hostile control frames from `rogue`, each handed to `victim` through its own end of
 * their link (synchronously: a throw reaches the test); none may change what `victim` shows.
 * Returns how many frames were tried.
 */
async function attack(h: Harness, victim: Room, rogue: Room, ids: string[], runs: number): Promise<number> {
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(hostileArb(ids), async (raw) => {
      tried++;
      const before = snapshot(victim);
      const malformedBefore = victim.dropped.malformed;
      h.endOf(victim, rogue).receiveControl(raw);
      await settle();
      if (decodeControl(raw) === null) expect(victim.dropped.malformed).to.equal(malformedBefore + 1);
      expect(snapshot(victim)).to.equal(before);
    }),
    { numRuns: runs, includeErrorInReport: true },
  );
  return tried;
}

describe('fuzzing a live in-memory room', () => {
  it('hostile control frames from a participant change nothing at the coordinator or a peer, and the room still works', async () => {
    const { h, rooms } = await liveRoom();
    const [a, b, c] = rooms;
    const ids = rooms.map((r) => r.selfId);
    expect(a.isCoordinator).to.equal(true);
    expect(await attack(h, a, c, ids, 1500)).to.equal(1500);
    expect(await attack(h, b, c, ids, 1500)).to.equal(1500);
    expect(dropped(a)).to.be.greaterThan(500);
    expect(a.dropped.flooded + b.dropped.flooded).to.equal(0);
    await h.clock.advance(2000);
    for (const room of rooms) expect(room.participants.map((p) => p.id)).to.deep.equal(ids);
    const got: unknown[] = [];
    b.on('message', (m) => got.push(m.data));
    a.send('still here');
    c.send('me too');
    await h.clock.advance(10);
    expect(got).to.deep.equal(['still here', 'me too']);
  });

  it('hostile control frames from the next-in-line participant cannot take the room from a live coordinator', async () => {
    const { h, rooms } = await liveRoom();
    const [a, b, c] = rooms;
    const ids = rooms.map((r) => r.selfId);
    // b joined right after the coordinator: its own successor claim is the strongest forgery.
    expect(await attack(h, c, b, ids, 1500)).to.equal(1500);
    expect(await attack(h, a, b, ids, 500)).to.equal(500);
  });

  it('hostile content frames never throw into a room and change no roster or state', async () => {
    const { h, rooms } = await liveRoom();
    const [a, b, c] = rooms;
    const before = [a, b].map(snapshot);
    const raw = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 64 }).map((u) => u.slice().buffer),
      fc.tuple(fc.constantFrom(2), fc.uint8Array({ minLength: 9, maxLength: 40 })).map(([head, u]) => {
        u[0] = head;
        return u.slice().buffer;
      }),
      fc.anything(),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(raw, async (value) => {
        tried++;
        h.endOf(a, c).receiveContent(value);
        h.endOf(b, c).receiveContent(value);
        await settle();
      }),
      { numRuns: 1500 },
    );
    expect(tried).to.equal(1500);
    expect([a, b].map(snapshot)).to.deep.equal(before);
  });
});
