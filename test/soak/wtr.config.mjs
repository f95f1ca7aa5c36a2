// web-test-runner for soak runs: the project's config, with the garbage collector exposed to
// the page. Chromium refuses a page more than 500 RTCPeerConnections that are not yet
// garbage collected, closed or not; hundreds of churn cycles outrun V8's own collections.
import { chromeLauncher } from '@web/test-runner-chrome';
import base, { chromiumArgs } from '../../web-test-runner.config.mjs';

export default {
  ...base,
  testsFinishTimeout: 1_800_000,
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: '/usr/bin/chromium', headless: true, args: [...chromiumArgs, '--js-flags=--expose-gc'] },
    }),
  ],
};
