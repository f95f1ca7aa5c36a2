// Soak: 300 join/leave cycles of one peer in a live room leak nothing (run by churn.test.mjs
// through web-test-runner, so it has the real broker; not part of npm test).
import { cleanup } from '../browser/helpers.js';
import { churn } from '../browser/churn-fixture.js';

describe('churn soak', () => {
  afterEach(cleanup);

  it('300 join/leave cycles of one peer: peer connections, data channels, sockets, timers, listeners and engine bookkeeping return to baseline; the roster is exact', async function () {
    this.timeout(1_500_000);
    await churn(300);
  });
});
