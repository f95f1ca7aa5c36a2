// The one place that says how tests and benches launch Chromium: the system's own build
// (no test tool downloads a browser) with the switches a headless call needs. Used by
// web-test-runner (puppeteer), the e2e and soak drivers and the bench (playwright); both take
// these launch options as they are.

/** The system Chromium; CHROMIUM_PATH points elsewhere on a machine that keeps it elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const chromiumArgs = [
  // Required when running as root (CI containers).
  '--no-sandbox',
  // Containers give /dev/shm a few MiB; Chromium then crashes under load.
  '--disable-dev-shm-usage',
  // Fake camera and microphone, granted without a prompt.
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // No background traffic or updates competing with the measured work.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-gpu',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
  // Background tabs must not throttle timers: presence heartbeats run in every page.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Launch options for a headless Chromium with the shared switches plus `extraArgs`
 * (puppeteer's and playwright's `launch` both accept them).
 */
export function chromiumLaunchOptions(extraArgs = []) {
  return { executablePath: chromiumPath, headless: true, args: [...chromiumArgs, ...extraArgs] };
}
