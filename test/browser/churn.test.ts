// Churn in npm test: 100 join/leave cycles of one peer in a live room leak nothing (about a minute).
// The 300-cycle run is in `npm run soak` (test/soak/).
import { cleanup } from './helpers.js';
import { churn } from './churn-fixture.js';

describe('churn', () => {
  afterEach(cleanup);

  it('100 join/leave cycles of one peer: peer connections, data channels, sockets, timers, listeners and engine bookkeeping return to baseline; the roster is exact', async function () {
    this.timeout(600_000);
    await churn(100);
  });
});
