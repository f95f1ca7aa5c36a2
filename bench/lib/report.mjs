// Turning results into the printed table, bench/results.json and BENCHMARKS.md. Every row
// names its target and whether the median met it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function machine(chromiumVersion) {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  let system = os.type();
  try {
    system = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1] ?? system;
  } catch {
    // not Linux
  }
  let cores = os.cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep os.cpus()
  }
  return {
    cores,
    cpu,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    system,
    chromium: chromiumVersion,
    node: process.version,
  };
}

const ms = (v) =>
  v === null || v === undefined || !Number.isFinite(v)
    ? '—'
    : v >= 100
      ? `${v.toFixed(0)} ms`
      : v >= 10
        ? `${v.toFixed(1)} ms`
        : `${v.toFixed(2)} ms`;
const mb = (v) => (Number.isFinite(v) ? `${v.toFixed(1)} MB/s` : '—');
const mib = (v) => (Number.isFinite(v) ? `${(v / 2 ** 20).toFixed(1)} MiB` : '—');
const kb = (v) => `${(v / 1000).toFixed(1)} kB`;
const range = (s, f) => (s?.runs > 1 ? `${f(s.min)}–${f(s.max)}` : '');
const yes = (met) => (met === null ? '—' : met ? 'met' : '**not met**');

/** Rows of { figure, case, result, baselines, target, met, spread }. */
export function rows(results) {
  const out = [];
  const join = results.join?.figures;
  if (join) {
    for (const [key, f] of Object.entries(join)) {
      const [kind, peers] = key.split('-');
      const k = f.kibitz?.median;
      const p = f.peerjs?.median;
      const b = f.bare?.median;
      const floor2 = kind === 'data' && peers === '2';
      // Data-only: every step's median no slower than the peerjs mesh's, and at 2 peers the
      // total within 1.2× bare; with media: the total no slower than the peerjs mesh.
      const ks = f.kibitz?.steps ?? [];
      const ps = f.peerjs?.steps ?? [];
      const stepsMet = kind === 'data' ? ks.length > 0 && ks.every((v, i) => v <= ps[i]) : k <= p;
      const slower = ks.map((v, i) => (v > ps[i] ? i + 1 : 0)).filter(Boolean);
      const met = Number.isFinite(k) && Number.isFinite(p) && Number.isFinite(b) ? stepsMet && (!floor2 || k <= 1.2 * b) : false;
      out.push({
        figure: 'Join',
        case: `${peers} peers, ${kind === 'data' ? 'data-only' : 'audio+video'}`,
        result: ms(k) + (kind === 'data' && slower.length ? ` (step${slower.length > 1 ? 's' : ''} ${slower.join(', ')} slower)` : ''),
        spread: range(f.kibitz, ms),
        baselines: `peerjs ${ms(p)}, bare ${ms(b)}`,
        target: kind === 'data' ? `each step ≤ peerjs's${floor2 ? `, ≤ 1.2× bare (${ms(1.2 * b)})` : ''}` : '≤ peerjs',
        met,
        runs: f.kibitz?.runs,
        failed: (f.kibitz?.failed ?? 0) + (f.peerjs?.failed ?? 0) + (f.bare?.failed ?? 0),
      });
    }
  }
  const recovery = results.recovery?.figures;
  if (recovery) {
    const targets = { leave: 500, closed: 2000, frozen: 5000, crashed: { survivors: 3500, joined: 5000 } };
    const names = {
      leave: '(a) leave()',
      closed: '(b) page closed',
      frozen: '(c) page frozen, socket open',
      crashed: '(d) renderer crashed, no goodbye (extra)',
    };
    for (const [mode, f] of Object.entries(recovery)) {
      for (const [what, label] of [
        ['survivors', 'survivors agree'],
        ['joined', 'newcomer joined'],
      ]) {
        const v = f[what].median;
        const target = typeof targets[mode] === 'number' ? targets[mode] : targets[mode][what];
        // A crashed coordinator's figures are held to every run (the max), not the median.
        const every = mode === 'crashed';
        out.push({
          figure: 'Recovery',
          case: `${names[mode]}: ${label}`,
          result: ms(v),
          spread: range(f[what], ms),
          baselines: '',
          target: `≤ ${target / 1000} s${every ? ' in every run' : ''}`,
          met: Number.isFinite(v) && f.failures === 0 ? (every ? f[what].max : v) <= target : false,
          runs: f[what].runs,
          failed: f.failures,
        });
      }
    }
  }
  const tp = results.throughput?.figures;
  if (tp) {
    const k = tp.kibitz.mbps.median;
    const b = tp.bare.mbps.median;
    out.push({
      figure: 'Throughput',
      case: '256 MiB, sendFile()',
      result: mb(k),
      spread: range(tp.kibitz.mbps, mb),
      baselines: `bare channel ${mb(b)} (${Number.isFinite(k / b) ? ((100 * k) / b).toFixed(0) : '—'} %)`,
      target: `≥ 90 % of bare (${mb(0.9 * b)})`,
      met: Number.isFinite(k) && Number.isFinite(b) && tp.kibitz.failures === 0 ? k >= 0.9 * b : false,
      runs: tp.kibitz.mbps.runs,
      failed: tp.kibitz.failures + tp.bare.failures,
    });
    out.push({
      figure: 'Throughput',
      case: "sender's live JS heap mid-transfer (after GC)",
      result: `+${mib(tp.kibitz.senderHeapLive.median)}`,
      spread: range(tp.kibitz.senderHeapLive, mib),
      baselines: `bare +${mib(tp.bare.senderHeapLive.median)}; sampled peak +${mib(tp.kibitz.senderHeapPeak.median)} (bare +${mib(tp.bare.senderHeapPeak.median)})`,
      target: 'bounded: < 32 MiB (1/8 of the payload)',
      met: tp.kibitz.senderHeapLive.median < 32 * 2 ** 20,
      runs: tp.kibitz.senderHeapLive.runs,
    });
    out.push({
      figure: 'Throughput',
      case: 'presence pings during the transfer (one-way)',
      result: `p50 ${ms(tp.kibitz.pingP50.median)}, max ${ms(tp.kibitz.pingMax.median)}`,
      spread: '',
      baselines: `${tp.kibitz.pingsLost} lost, ${tp.kibitz.departures} departures`,
      target: 'not starved: none lost, no departure, max < 500 ms (the ping interval)',
      met: tp.kibitz.pingsLost === 0 && tp.kibitz.departures === 0 && tp.kibitz.pingMax.median < 500 && tp.kibitz.failures === 0,
      runs: tp.kibitz.pingMax.runs,
    });
    out.push({
      figure: 'Throughput',
      case: "chat message sent the transfer's way (one-way)",
      result: `p50 ${ms(tp.kibitz.chatForwardP50.median)}, max ${ms(tp.kibitz.chatForwardMax.median)}`,
      spread: '',
      baselines: '',
      target: '— (informative)',
      met: null,
      runs: tp.kibitz.chatForwardP50.runs,
    });
  }
  const lat = results.latency?.figures;
  if (lat) {
    for (const [key, label] of [
      ['kibitz2', '2 peers'],
      ['kibitz6', '6 peers'],
    ]) {
      const f = lat[key];
      out.push({
        figure: 'Message latency',
        case: `${label}, one-way p50 / p99`,
        result: `${ms(f.p50)} / ${ms(f.p99)}`,
        spread: '',
        baselines:
          key === 'kibitz2'
            ? `bare ${ms(lat.bare2.p50)} / ${ms(lat.bare2.p99)}`
            : lat.bare6
              ? `bare ${ms(lat.bare6.p50)} / ${ms(lat.bare6.p99)}`
              : '',
        target: 'p50 ≤ 1 ms, p99 ≤ 2 ms',
        met: f.p50 <= 1 && f.p99 <= 2,
        runs: f.runs,
      });
    }
  }
  const size = results.size?.figures;
  if (size) {
    // Older results measured the bundle as one file: it was all loaded before join().
    const before = size.beforeJoin ?? size.bundle;
    out.push({
      figure: 'Size',
      case: 'script-tag bundle before join(), gzip -9',
      result: kb(before.gzip),
      spread: '',
      baselines: `peerjs client ${kb(size.peerjs.gzip)}`,
      target: '≤ 30 kB',
      met: before.gzip <= 30_000,
      runs: 1,
    });
    if (size.total) {
      out.push({
        figure: 'Size',
        case: 'script-tag bundle with every chunk, gzip -9',
        result: kb(size.total.gzip),
        spread: '',
        baselines: '',
        target: '≤ 60 kB',
        met: size.total.gzip <= 60_000,
        runs: 1,
      });
    }
  }
  const scale = results.scale?.figures;
  if (scale) {
    for (const [peers, f] of Object.entries(scale.join)) {
      out.push({
        figure: 'Scale',
        case: `${peers} peers, data-only: join total`,
        result: ms(f.kibitz.total.median),
        spread: range(f.kibitz.total, ms),
        baselines: `peerjs ${ms(f.peerjs.total.median)}`,
        target: '— (report)',
        met: null,
        runs: f.kibitz.total.runs,
      });
      out.push({
        figure: 'Scale',
        case: `${peers} peers, data-only: one-way p50 / p99`,
        result: `${ms(f.kibitz.p50)} / ${ms(f.kibitz.p99)}`,
        spread: '',
        baselines: `peerjs ${ms(f.peerjs.p50)} / ${ms(f.peerjs.p99)}`,
        target: '— (report)',
        met: null,
        runs: f.kibitz.total.runs,
      });
    }
    const { kibitz: ki, peerjs: pi } = scale.idle;
    if (ki?.coordinator && pi?.peer) {
      const cost = (d) => `${d.cpuMsPerS.median.toFixed(1)} ms/s CPU, ${(d.bytesPerS.median / 1000).toFixed(2)} kB/s`;
      out.push({
        figure: 'Idle cost',
        case: '6 peers, idle, one peer: main-thread CPU, bytes/s',
        result: `coordinator ${cost(ki.coordinator)}; participant ${cost(ki.participant)}`,
        spread: '',
        baselines: `peerjs ${cost(pi.peer)}`,
        target: '— (report)',
        met: null,
        runs: ki.coordinator.cpuMsPerS.runs,
      });
    }
  }
  const crypto = results.crypto?.figures;
  if (crypto) {
    out.push({
      figure: 'Crypto',
      case: 'host-command sign / verify per second',
      result: `${crypto.sign.median.toFixed(0)} / ${crypto.verify.median.toFixed(0)}`,
      spread: '',
      baselines: `WebCrypto ECDSA verify ${crypto.webcryptoVerify.median.toFixed(0)}/s`,
      target: '— (report; names the implementation)',
      met: null,
      runs: crypto.sign.runs,
    });
  }
  return out;
}

/** A plain-text table for the terminal. */
export function table(list) {
  const head = ['figure', 'case', 'median', 'min–max', 'baselines', 'target', 'met'];
  const body = list.map((r) => [r.figure, r.case, r.result, r.spread, r.baselines, r.target, r.met === null ? '—' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => String(row[i]).length)));
  const line = (row) => row.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function md(headers, list) {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...list.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** BENCHMARKS.md, regenerated from one full run. */
export function markdown(doc) {
  const { date, durationSeconds, machine: m, results, runs } = doc;
  const all = rows(results);
  const misses = all.filter((r) => r.met === false);
  const join = results.join.figures;
  const rec = results.recovery.figures;
  const tp = results.throughput.figures;
  const lat = results.latency.figures;
  const size = results.size.figures;
  const crypto = results.crypto.figures;
  const joinRows = Object.entries(join).map(([key, f]) => {
    const [kind, peers] = key.split('-');
    return [
      `${peers}, ${kind === 'data' ? 'data-only' : 'audio+video'}`,
      `${ms(f.kibitz.median)} (${range(f.kibitz, ms)})`,
      `${ms(f.peerjs.median)} (${range(f.peerjs, ms)})`,
      `${ms(f.bare.median)} (${range(f.bare, ms)})`,
      `${ms(f.kibitz.lastStep)} / ${ms(f.peerjs.lastStep)} / ${ms(f.bare.lastStep)}`,
      ms(f.kibitz.joinResolved),
      String(f.kibitz.runs + f.kibitz.failed),
    ];
  });
  const recNames = {
    leave: '(a) leave()',
    closed: '(b) page closed',
    frozen: '(c) page frozen, socket open',
    crashed: '(d) renderer crashed',
  };
  const recRows = Object.entries(rec).map(([mode, f]) => [
    recNames[mode] ?? mode,
    `${ms(f.survivors.median)} (${range(f.survivors, ms)})`,
    `${ms(f.joined.median)} (${range(f.joined, ms)})`,
    `${ms(f.resolved.median)} (${range(f.resolved, ms)})`,
    `${f.detours}`,
    f.leaveReasons.join(', '),
    `${f.survivors.runs} ok, ${f.failures} failed`,
  ]);
  const s = (f) => [f.minified, f.gzip, f.brotli].map((v) => v.toLocaleString('en-US'));
  return `# Benchmarks

The figures below come from one run of \`npm run bench\` on ${date.slice(0, 10)}. Every
figure is the median of several runs (the number of runs is given; min–max in brackets),
and every baseline ran in the same run, on the same machine, against the same broker.

## Machine

| | |
|---|---|
| CPU | ${m.cpu}, ${m.cores} cores (\`nproc\`) |
| Memory | ${m.memoryGiB} GiB |
| System | ${m.system} |
| Browser | headless Chromium ${m.chromium} |
| Node | ${m.node} |
| Run | ${date}, ${Math.round(durationSeconds)} s for the whole bench |

## Reproduce

\`\`\`sh
npm run bench            # installs what is missing, builds, runs every figure (about ${Math.ceil(durationSeconds / 60)} min here)
node bench/run.mjs join  # one or more figures only (join, recovery, throughput, latency, scale, size, crypto); writes nothing
\`\`\`

A full run prints the table, writes \`bench/results.json\` (every run's raw figures) and
regenerates this file. Everything runs on localhost: the bench serves its pages
(\`bench/pages/\`) and the reference PeerJS broker (\`peer\`) from one Node process, and
drives headless Chromium with \`playwright-core\`, each page in its own browser context
(its own certificate store, as separate browsers would be). Pages are cross-origin
isolated, so \`performance.now()\` has 5 µs resolution, and \`performance.timeOrigin +
performance.now()\` is one clock shared by all pages on the machine: one-way latencies and
cross-page intervals are read on it. Before anything is timed the bench waits for the CPU
to settle (new pages keep both cores busy for about half a second). The machine was shared
with other work while the bench ran; medians absorb most of that, the ranges show it.

## Summary

${md(
  ['figure', 'case', 'median', 'baselines', 'target', ''],
  all.map((r) => [r.figure, r.case, r.result, r.baselines || '—', r.target, yes(r.met)]),
)}

${misses.length ? `Missed:\n\n${misses.map((r) => `- ${r.figure.toLowerCase()}, ${r.case}: ${r.result} (target ${r.target})`).join('\n')}` : 'Every target was met.'}

## 1. Join

Peers join one after another: each joiner starts once the previous one is fully
connected. A step lasts from the joiner's \`join()\` call until every pair among the peers
so far is connected (both ends report the link: the product lists the peer with its live
DTLS fingerprint, the baselines see their data channel open) and, with media, every peer
has decoded a first video frame from every other (\`MediaStreamTrackProcessor\` on the
received track). The figure is the sum of the steps, so the bench's own round trips
between steps are not counted. The first step is the first peer getting ready alone (the
product: \`join()\` resolving as coordinator; the baselines: the broker's \`OPEN\`).

- **kibitz**: \`<kibitz-room>\` from the script-tag bundle (\`media\` = \`audio video\` or empty).
- **peerjs**: a minimal full mesh with the \`peerjs\` client ${doc.peerjsVersion}, each new peer dialling every
  existing one (\`peer.connect\`, or \`peer.call\` with media), \`iceServers: []\`.
- **bare**: bare \`RTCPeerConnection\`s, trickle ICE, one offer/answer per pair through the
  broker, a negotiated data channel (plus the camera and microphone tracks with media);
  the bench tells each joiner whom to dial: no roster, no crypto.

All three call \`getUserMedia\` inside the timed step when media is on. The fake camera
runs at 20 fps, which adds up to 50 ms to first-frame figures; six peers with media
means 30 video encoders and 30 decoders on ${m.cores} cores, so those figures measure a
saturated machine.

${md(['peers', 'kibitz', 'peerjs', 'bare', 'last step (kibitz / peerjs / bare)', 'kibitz join() resolves (median step)', 'runs'], joinRows)}

## 2. Recovery after the coordinator goes

Three peers in a data-only call; the first (the coordinator) goes, and at the same
moment a newcomer calls \`join()\`. Times from the event until both survivors report the
same new coordinator, and until the newcomer has joined: its \`join()\` resolved and it
lists both survivors under that coordinator. A \`join()\` can resolve earlier into a room
of the newcomer's own (it found the first coordinator slot free and took it); that is
counted as joined only once the rooms have merged, and the runs where it happened are
counted as detours. (d) is an extra case: the coordinator's renderer crashes (CDP
\`Page.crash\`), so no goodbye is said and its socket closes. The leave reason is what
the surviving participant's \`kibitz-leave\` event said about the old coordinator.

${md(['coordinator', 'survivors agree', 'newcomer joined', "newcomer's join() resolved", 'detours', 'leave reason', 'runs'], recRows)}

## 3. Throughput

A ${(256).toString()} MiB Blob (built and stored before the clock starts, as a File
would be) sent from one page to another; time from the send call until the receiver
holds the whole payload as a Blob (spot-checked against the expected bytes). The product
uses \`sendFile(blob, { to })\`; the baseline is a bare ordered data channel between two
pages pushing the same Blob in 256 KiB messages, pausing above 8 MiB buffered and resuming
at \`bufferedamountlow\` (1 MiB). MB = 10^6 bytes. Heap = V8 heap plus ArrayBuffer backing
stores (CDP \`Runtime.getHeapUsage\`), relative to before the transfer: sampled every
100 ms (the peak includes garbage not yet collected) and read once 3 s into the transfer
right after a forced collection (what is live).

| | kibitz | bare channel |
|---|---|---|
| throughput | ${mb(tp.kibitz.mbps.median)} (${range(tp.kibitz.mbps, mb)}) | ${mb(tp.bare.mbps.median)} (${range(tp.bare.mbps, mb)}) |
| sender heap, live mid-transfer | +${mib(tp.kibitz.senderHeapLive.median)} | +${mib(tp.bare.senderHeapLive.median)} |
| sender heap, sampled peak | +${mib(tp.kibitz.senderHeapPeak.median)} | +${mib(tp.bare.senderHeapPeak.median)} |
| runs | ${tp.kibitz.mbps.runs} ok, ${tp.kibitz.failures} failed | ${tp.bare.mbps.runs} ok, ${tp.bare.failures} failed |
${[...tp.kibitz.errors.map((e) => `\nFailed kibitz run: ${e}.`), ...tp.bare.errors.map((e) => `\nFailed bare run: ${e}.`)].join('\n')}

Control traffic during the product's transfers: the coordinator (the sender) pings the
receiver every 500 ms on the control channel; the bench timestamps each ping as it is
handed to the channel and as it arrives (an observer on the bench page; the product is
unchanged). One-way ping latency during the transfers: p50 ${ms(tp.kibitz.pingP50.median)},
max ${ms(tp.kibitz.pingMax.median)} (medians over runs); ${tp.kibitz.pingsLost} pings lost;
${tp.kibitz.departures} departures or coordinator changes during the transfers. A small
chat message (\`send()\`) from the sender every 200 ms, which shares the content channel
with the file's chunks and waits behind what is buffered: p50 ${ms(tp.kibitz.chatForwardP50.median)}, max ${ms(tp.kibitz.chatForwardMax.median)}.

Chat both ways every 200 ms during a ${doc.probeMiB} MiB transfer (one run each):

- kibitz: ${tp.twoWay.kibitz.summary}
- bare channel: ${tp.twoWay.bare.summary}

## 4. Message latency

One-way latency of small messages (\`send()\`, about 60 bytes of JSON), stamped by the
sender and read by the receiver on the shared clock. Two peers: ${doc.latency.rounds} ping-pongs per run,
one message in flight; six peers: each peer in turn broadcasts ${doc.latency.broadcasts} messages, waiting for
all five acks before the next. Baseline: the same over bare data channels. The clock
skew between two pages, estimated as half the difference of the two directions' medians,
was ${ms(Math.abs(lat.kibitz2.skew))}.

| | one-way p50 | one-way p99 | round trip p50 | round trip p99 | samples |
|---|---|---|---|---|---|
| kibitz, 2 peers | ${ms(lat.kibitz2.p50)} | ${ms(lat.kibitz2.p99)} | ${ms(lat.kibitz2.rttP50)} | ${ms(lat.kibitz2.rttP99)} | ${lat.kibitz2.samples} |
| bare, 2 pages | ${ms(lat.bare2.p50)} | ${ms(lat.bare2.p99)} | ${ms(lat.bare2.rttP50)} | ${ms(lat.bare2.rttP99)} | ${lat.bare2.samples} |
| kibitz, 6 peers | ${ms(lat.kibitz6.p50)} | ${ms(lat.kibitz6.p99)} | | | ${lat.kibitz6.samples} |
| bare, 6 pages | ${ms(lat.bare6.p50)} | ${ms(lat.bare6.p99)} | | | ${lat.bare6.samples} |

## 5. Size

Bytes; gzip at level 9, brotli at quality 11, each file compressed on its own as a server
sends it. Before join(): \`dist/kibitz-room.js\` and the chunks it imports statically; on
demand: the chunks beside it that the bundle reaches only through \`import()\`, fetched the
first time a room needs them. The ESM build is \`dist/esm\` bundled and minified by esbuild
with the named packages left external.

| | minified | gzip -9 | brotli |
|---|---|---|---|
${
  size.beforeJoin
    ? `| script-tag bundle before join() (${size.beforeJoin.files.map((f) => `\`${f}\``).join(' + ')}) | ${s(size.beforeJoin).join(' | ')} |
${size.chunks.map((c) => `| on demand: ${c.name} (\`${c.file}\`) | ${s(c).join(' | ')} |`).join('\n')}
| script-tag bundle, everything | ${s(size.total).join(' | ')} |`
    : `| script-tag bundle \`dist/kibitz-room.js\` | ${s(size.bundle).join(' | ')} |`
}
| ESM build without lit | ${s(size.esmWithoutLit).join(' | ')} |${size.contributions.noble ? `\n| ESM build without lit and @noble | ${s(size.esmWithoutLitNoble).join(' | ')} |` : ''}
| \`peerjs\` client ${doc.peerjsVersion} (\`dist/peerjs.min.js\`) | ${s(size.peerjs).join(' | ')} |

Where the minified bytes of the whole ESM build come from: the product's own code
${size.contributions.kibitz.toLocaleString('en-US')}, lit ${size.contributions.lit.toLocaleString('en-US')}${size.contributions.noble ? `, @noble/curves and @noble/hashes ${size.contributions.noble.toLocaleString('en-US')}` : ''}.

## 6. Crypto

Host commands in Chromium, one page, one operation at a time, ${runs.crypto} runs of about 1 s each.
Implementation: ${crypto.implementation}. Sign = \`createHostCommand\` + \`signHostCommand\`;
verify = \`verifyHostCommand\` with every check (signature, room, fingerprint binding,
freshness, replay). For comparison, a raw WebCrypto ECDSA P-256 verify of the same bytes.

| | per second |
|---|---|
| sign | ${crypto.sign.median.toFixed(0)} (${range(crypto.sign, (v) => v.toFixed(0))}) |
| verify | ${crypto.verify.median.toFixed(0)} (${range(crypto.verify, (v) => v.toFixed(0))}) |
| WebCrypto verify (comparison) | ${crypto.webcryptoVerify.median.toFixed(0)} (${range(crypto.webcryptoVerify, (v) => v.toFixed(0))}) |
${results.scale ? scaleSection(results.scale.figures, runs.scale) : ''}`;
}

/** Section 7: larger rooms and the cost of an idle call, beside the peerjs mesh (no targets). */
function scaleSection(scale, runs) {
  const joinRows = Object.entries(scale.join).map(([peers, f]) => [
    `${peers}, data-only`,
    `${ms(f.kibitz.total.median)} (${range(f.kibitz.total, ms)})`,
    `${ms(f.peerjs.total.median)} (${range(f.peerjs.total, ms)})`,
    `${ms(f.kibitz.lastStep)} / ${ms(f.peerjs.lastStep)}`,
    `${ms(f.kibitz.p50)} / ${ms(f.kibitz.p99)}`,
    `${ms(f.peerjs.p50)} / ${ms(f.peerjs.p99)}`,
    `${f.kibitz.total.runs} ok, ${f.kibitz.failures} failed / ${f.peerjs.total.runs} ok, ${f.peerjs.failures} failed`,
  ]);
  const cost = (d) => [
    `${d.cpuMsPerS.median.toFixed(1)} ms/s (${range(d.cpuMsPerS, (v) => v.toFixed(1))})`,
    `${(d.bytesPerS.median / 1000).toFixed(2)} kB/s (${range(d.bytesPerS, (v) => (v / 1000).toFixed(2))})`,
  ];
  const idle = [
    ['kibitz, coordinator', ...cost(scale.idle.kibitz.coordinator)],
    ['kibitz, participant', ...cost(scale.idle.kibitz.participant)],
    ['peerjs, any peer', ...cost(scale.idle.peerjs.peer)],
  ];
  return `
## 7. Scale and idle cost

Reported, no target yet. Data-only rooms of 12 and 16 peers joined one after another as in
section 1 (the total is the sum of the steps), then message latency in that room as in
section 4 (each peer in turn broadcasts 30 messages and waits for every ack), beside the
peerjs full mesh (\`serialization: 'json'\` data connections). ${runs} runs each.

| peers | kibitz join | peerjs join | last step (kibitz / peerjs) | kibitz one-way p50 / p99 | peerjs one-way p50 / p99 | runs (kibitz / peerjs) |
|---|---|---|---|---|---|---|
${joinRows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

An idle 6-peer data-only call: 2 s after the last join, for 10 s nobody sends anything.
Per page: main-thread busy time (CDP \`Performance.getMetrics\` TaskDuration, milliseconds
per second) and bytes per second over its WebRTC transports (\`transport\` stats, sent plus
received: the DTLS and SCTP traffic; ICE consent checks and the broker's WebSocket heartbeat
are not in it). The product's coordinator pings every participant every 500 ms and each
answers; the peerjs mesh sends nothing of its own while idle.

| | main-thread CPU | bytes/s |
|---|---|---|
${idle.map((r) => `| ${r.join(' | ')} |`).join('\n')}
`;
}
