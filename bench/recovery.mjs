// Figure 2, recovery after the coordinator goes: three peers in a call (data-only), the
// first (the coordinator) then (a) calls leave(), (b) has its page closed or (c) freezes
// with its sockets left open (the debugger pauses its JavaScript); an extra row, (d), has
// its renderer crash, so no goodbye is said (a killed tab). At that moment a
// newcomer calls join(). Measured from the event: until both survivors agree on the new
// coordinator, and until the newcomer has joined: its join() resolved and it lists both
// survivors under that coordinator (a join() that resolves into a room of its own does
// not count until the rooms merge).
import { randomBytes } from 'node:crypto';
import { clock, settle, sleep, summary, within } from './lib/browser.mjs';

/** What randomRoomName() in the SDK makes: 32 lowercase hex digits. */
const randomRoomName = () => randomBytes(16).toString('hex');

export const MODES = process.env.MODES ? process.env.MODES.split(',') : ['leave', 'closed', 'frozen', 'crashed'];
const DEADLINE_MS = 15_000;

async function trigger(mode, page) {
  if (mode === 'leave') await page.run((b) => b.leave());
  else if (mode === 'closed') await page.page.close();
  else if (mode === 'frozen') await page.freeze();
  else {
    // The renderer dies without a goodbye (a killed tab): the crash command never answers.
    const session = await page.cdp();
    session.send('Page.crash').catch(() => undefined);
  }
}

/** One scenario on four pages (three in the call, one newcomer); the departing page is replaced afterwards if it cannot rejoin. */
async function once(bench, pages, mode) {
  const [first, b, c, newcomer] = pages;
  try {
    await settle({ maxMs: 2000 });
    // A room as createRoom() makes one: 128 random bits (a human-chosen name would add its stretch to the join).
    const room = randomRoomName();
    const options = { room, media: false, signaling: bench.server.url };
    for (let k = 0; k < 3; k++) {
      await pages[k].run((bb, a) => bb.join(a), options);
      await within(Promise.all(pages.slice(0, k + 1).map((p) => p.run((bb, n) => bb.connected(n), k))), 15_000, 'three in the call');
    }
    const ids = await Promise.all(pages.slice(0, 3).map((p) => p.run((bb) => bb.self())));
    if ((await b.run((bb) => bb.coordinator())) !== ids[0]) throw new Error('the first peer is not the coordinator');
    await settle({ minMs: 700, maxMs: 1500 });
    await b.run((bb) => bb.clearLog());
    await c.run((bb) => bb.clearLog());
    await newcomer.run((bb) => bb.clearLog());

    const t0 = clock();
    await Promise.all([trigger(mode, first), newcomer.run((bb, a) => bb.join(a), options)]);

    // Wait for the end state: survivors agree on one of them, the newcomer is in their room.
    const end = await within(
      (async () => {
        for (;;) {
          const [cb, cc, cn] = await Promise.all([b, c, newcomer].map((p) => p.run((bb) => bb.coordinator())));
          const roster = await newcomer.run((bb) => bb.participants().map((p) => p.id));
          if (cb && cb === cc && cb !== ids[0] && cn === cb && roster.includes(ids[1]) && roster.includes(ids[2])) return cb;
          await sleep(50);
        }
      })(),
      DEADLINE_MS,
      `${mode}: survivors agree and the newcomer joins them`,
    );
    const agreedAt = async (page) => {
      const log = await page.run((bb) => bb.log());
      const hit = log.filter((e) => e.type === 'kibitz-coordinator' && e.detail.peerId === end).at(-1);
      return hit ? hit.at : NaN;
    };
    const survivors = Math.max(await agreedAt(b), await agreedAt(c)) - t0;
    const resolved = (await newcomer.run((bb) => bb.joinedAt())) - t0;
    const newcomerLog = await newcomer.run((bb) => bb.log());
    const seen = newcomerLog.filter((e) => e.type === 'kibitz-join' && (e.detail.peer.id === ids[1] || e.detail.peer.id === ids[2]));
    const inRoom = Math.max(...seen.map((e) => e.at)) - t0;
    const leaveReasons = (await c.run((bb) => bb.log())).filter((e) => e.type === 'kibitz-leave').map((e) => e.detail.reason);
    const detour = newcomerLog.some((e) => e.type === 'kibitz-coordinator' && e.detail.peerId !== end);
    // The newcomer has joined once its join() resolved and it is in the survivors' room.
    return { survivors, joined: Math.max(resolved, inRoom), resolved, inRoom, leaveReasons, detour };
  } catch (err) {
    if (process.env.DEBUG_RECOVERY) {
      for (const [name, p] of [
        ['b', b],
        ['c', c],
        ['newcomer', newcomer],
      ]) {
        const log = await p.run((bb) => bb.log()).catch(() => []);
        const self = await p.run((bb) => bb.self()).catch(() => '?');
        console.log(
          name,
          self,
          JSON.stringify(
            log
              .map((e) => [
                e.type,
                e.detail?.state ?? e.detail?.peerId ?? e.detail?.peer?.id ?? e.detail?.code,
                e.detail?.reason ?? e.detail?.message,
              ])
              .slice(0, 40),
          ),
        );
      }
    }
    return { error: err.message };
  } finally {
    for (const p of pages) if (p !== first || mode === 'leave') await p.run((bb) => bb.leave()).catch(() => undefined);
  }
}

/** `crashedRuns`: the crashed case runs more often, since its misses were outliers. */
export async function recoveryFigure(bench, { runs, crashedRuns = runs, log }) {
  const raw = Object.fromEntries(MODES.map((m) => [m, []]));
  const pages = await bench.openMany('kibitz', 4);
  const runsOf = (mode) => (mode === 'crashed' ? crashedRuns : runs);
  for (let run = 0; run < Math.max(...MODES.map(runsOf)); run++) {
    for (const mode of MODES) {
      if (run >= runsOf(mode)) continue;
      const r = await once(bench, pages, mode);
      if (mode !== 'leave') {
        // The closed, frozen or crashed page is done for: a fresh one takes its place.
        await pages[0].close();
        pages[0] = await bench.open('kibitz');
      } else if (r.error) {
        for (const [i, p] of pages.entries()) {
          await p.close();
          pages[i] = await bench.open('kibitz');
        }
      }
      raw[mode].push(r);
      log(
        `recovery ${mode} run ${run + 1}: ${r.error ?? `survivors agree ${r.survivors.toFixed(0)} ms, newcomer joined ${r.joined.toFixed(0)} ms (join() resolved ${r.resolved.toFixed(0)} ms, sees both ${r.inRoom.toFixed(0)} ms); survivors' leave reason ${r.leaveReasons.join(',')}${r.detour ? '; the newcomer first formed a room of its own' : ''}`}`,
      );
    }
  }
  const figures = {};
  for (const mode of MODES) {
    const ok = raw[mode].filter((r) => !r.error);
    figures[mode] = {
      survivors: summary(ok.map((r) => r.survivors)),
      joined: summary(ok.map((r) => r.joined)),
      inRoom: summary(ok.map((r) => r.inRoom)),
      failures: raw[mode].length - ok.length,
      errors: raw[mode].filter((r) => r.error).map((r) => r.error),
      resolved: summary(ok.map((r) => r.resolved)),
      detours: ok.filter((r) => r.detour).length,
      leaveReasons: [...new Set(ok.flatMap((r) => r.leaveReasons))],
    };
  }
  for (const p of pages) await p.close();
  return { figures, raw };
}
