// The roster on its own: the acceptance rule for roster frames, pending successor claims,
// bans and the election. Pure: no links, no timers; every case builds its own roster.
import { expect } from '@open-wc/testing';
import type { RosterEntry, RosterState } from '../../src/engine/protocol.js';
import { Roster, initialShared, type JudgeContext, type RosterFrame } from '../../src/engine/roster.js';

const REAP_MS = 3000;
const T0 = 1_700_000_000_000;

const entry = (id: string, order: number): RosterEntry => ({
  id,
  name: id,
  kind: 'person',
  order,
  audio: false,
  video: false,
  screen: false,
});

/** A roster frame from `coordinator` listing `ids` in join order. */
function rosterFrame(coordinator: string, epoch: number, ids: string[], shared: Partial<RosterState> = {}): RosterFrame {
  return {
    t: 'roster',
    epoch,
    seq: 1,
    coordinator,
    peers: ids.map((id, order) => entry(id, order)),
    gone: [],
    state: { ...initialShared(), nextOrder: ids.length, ...shared },
  };
}

function context(now: number, reachable: (id: string) => boolean = () => true, coordinating = false): JudgeContext {
  return { now, reapMs: REAP_MS, coordinating, reachable };
}

/** `self` following `ids[0]` as coordinator (epoch 1), having heard it at T0. */
function following(self: string, ids: string[]): Roster {
  const roster = new Roster(self);
  roster.adopt(rosterFrame(ids[0], 1, ids), ids[0], T0);
  return roster;
}

describe('roster: the acceptance rule', () => {
  it('rejects a successor roster forged by the next in line while the coordinator is alive', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    const forged = rosterFrame('bob', 2, ['bob', 'cat'], { knocks: [{ id: 'mallory', name: 'mallory' }] });
    expect(roster.judge(forged, 'bob', false, context(T0 + 10))).to.equal(false);
    expect(roster.judge(forged, 'bob', false, context(T0 + REAP_MS / 2 - 1))).to.equal(false);
    expect(roster.coordinatorId).to.equal('ann');
  });

  it('accepts the successor roster once the coordinator has been quiet for half the reap interval', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    const claim = rosterFrame('bob', 2, ['bob', 'cat']);
    expect(roster.judge(claim, 'bob', false, context(T0 + REAP_MS / 2))).to.equal(true);
  });

  it('accepts the successor roster at once when the coordinator is known to be gone', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    roster.remove('ann');
    expect(roster.judge(rosterFrame('bob', 2, ['bob', 'cat']), 'bob', false, context(T0 + 10))).to.equal(true);
  });

  it('takes a claim only from the member the election would pick, and only with a higher epoch', () => {
    const quiet = T0 + REAP_MS;
    const roster = following('dan', ['ann', 'bob', 'cat', 'dan']);
    expect(roster.judge(rosterFrame('cat', 2, ['cat', 'dan']), 'cat', false, context(quiet)), 'cat is not next').to.equal(false);
    expect(roster.judge(rosterFrame('bob', 1, ['bob', 'dan']), 'bob', false, context(quiet)), 'no newer epoch').to.equal(false);
    const bobUnreachable = (id: string) => id !== 'bob';
    expect(roster.judge(rosterFrame('cat', 2, ['cat', 'dan']), 'cat', false, context(quiet, bobUnreachable))).to.equal(true);
  });

  it('takes a roster only from the coordinator it names, and never one naming this peer', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    expect(roster.judge(rosterFrame('ann', 2, ['ann', 'bob', 'cat']), 'bob', false, context(T0 + REAP_MS))).to.equal(false);
    expect(roster.judge(rosterFrame('cat', 2, ['cat']), 'cat', false, context(T0 + REAP_MS))).to.equal(false);
  });

  it('always hears the coordinator it follows and the one it is joining through', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    expect(roster.judge(rosterFrame('ann', 1, ['ann', 'bob', 'cat']), 'ann', false, context(T0 + 1))).to.equal(true);
    const newcomer = new Roster('eve');
    expect(newcomer.judge(rosterFrame('zed', 7, ['zed', 'eve']), 'zed', true, context(T0))).to.equal(true);
  });

  it('a coordinating peer never hands the room over on another member’s claim', () => {
    const roster = new Roster('ann');
    roster.found(entry('ann', 0));
    roster.takeOver();
    roster.add(entry('bob', roster.nextOrder()));
    const claim = rosterFrame('bob', 5, ['bob']);
    expect(
      roster.judge(
        claim,
        'bob',
        false,
        context(T0 + 10 * REAP_MS, () => true, true),
      ),
    ).to.equal(false);
    expect(roster.isCoordinator).to.equal(true);
  });
});

describe('roster: early claims', () => {
  it('keeps a claim that came too early and honours it when the election agrees', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    const early = rosterFrame('bob', 2, ['bob', 'cat']);
    expect(roster.judge(early, 'bob', false, context(T0 + 10))).to.equal(false);
    roster.remove('ann');
    const { successor, claim } = roster.elect(() => true, T0 + REAP_MS);
    expect(successor).to.equal('bob');
    expect(claim).to.deep.equal(early);
    roster.adopt(claim!, 'bob', T0 + REAP_MS);
    expect(roster.coordinatorId).to.equal('bob');
    expect(roster.ids()).to.deep.equal(['bob', 'cat']);
  });

  it('drops a kept claim when the election picks someone else', () => {
    const roster = following('dan', ['ann', 'bob', 'cat', 'dan']);
    expect(roster.judge(rosterFrame('bob', 2, ['bob', 'cat', 'dan']), 'bob', false, context(T0 + 10))).to.equal(false);
    roster.remove('ann');
    const { successor, claim } = roster.elect((id) => id !== 'bob', T0 + REAP_MS);
    expect(successor).to.equal('cat');
    expect(claim).to.equal(null);
  });
});

describe('roster: what it replicates', () => {
  it('knocks and the host record follow the coordinator’s roster as sent (the record is verified elsewhere); names are cleaned', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    const record = { p: 'kibitz-state', seq: 3 };
    roster.adopt(rosterFrame('ann', 1, ['ann', 'bob', 'cat'], { knocks: [{ id: 'eve', name: 'Eve\u202e' }], record }), 'ann', T0 + 1);
    expect(roster.shared.knocks).to.deep.equal([{ id: 'eve', name: 'Eve' }]);
    expect(roster.shared.record).to.deep.equal(record);
    roster.adopt(rosterFrame('ann', 1, ['ann', 'bob', 'cat']), 'ann', T0 + 2);
    expect(roster.shared.knocks).to.deep.equal([]);
  });

  it('adopting a roster reports who came and who went, with the reason it gives', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    const next = { ...rosterFrame('ann', 1, ['ann', 'cat', 'dan']), gone: [{ id: 'bob', reason: 'kicked' as const }] };
    next.peers[2] = entry('dan', 3);
    const change = roster.adopt(next, 'ann', T0 + 1);
    expect(change.joined.map((e) => e.id)).to.deep.equal(['dan']);
    expect(change.left.map(({ entry: e, reason }) => [e.id, reason])).to.deep.equal([['bob', 'kicked']]);
    expect(change.coordinatorChanged).to.equal(false);
  });
});

describe('roster: the election', () => {
  it('picks the earliest-joined reachable member, by join order rather than id or arrival', () => {
    const roster = new Roster('dan');
    roster.adopt({ ...rosterFrame('zed', 1, []), peers: [entry('zed', 0), entry('yan', 2), entry('xia', 1), entry('dan', 3)] }, 'zed', T0);
    roster.remove('zed');
    expect(roster.successor(() => true)).to.equal('xia');
    expect(roster.successor((id) => id !== 'xia')).to.equal('yan');
    expect(
      roster.successor(() => false),
      'no earlier member reachable: this peer',
    ).to.equal('dan');
    const { successor } = roster.elect(() => true, T0 + REAP_MS);
    expect(successor).to.equal('xia');
    expect(roster.coordinatorId).to.equal('xia');
  });

  it('never elects the coordinator it replaces', () => {
    const roster = following('cat', ['ann', 'bob', 'cat']);
    expect(roster.successor(() => true)).to.equal('bob');
  });
});
