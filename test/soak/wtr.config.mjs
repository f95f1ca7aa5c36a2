// web-test-runner for soak runs: the project's config, with the garbage collector exposed to
// the page. Chromium refuses a page more than 500 RTCPeerConnections that are not yet
// garbage collected, closed or not; hundreds of churn cycles outrun V8's own collections.
import { chromeLauncher } from '@web/test-runner-chrome';
import base from '../../web-test-runner.config.mjs';
import { chromiumLaunchOptions } from '../support/chromium.mjs';

export default {
  ...base,
  testsFinishTimeout: 1_800_000,
  browsers: [chromeLauncher({ launchOptions: chromiumLaunchOptions(['--js-flags=--expose-gc']) })],
};
