// The one place that says how tests launch Firefox: the system's Firefox ESR (no test tool
// downloads a browser), driven over WebDriver BiDi by puppeteer-core, so no separate driver
// binary is needed. Used by web-test-runner (the Firefox half of the browser suite) and by the
// mixed-browser e2e tests.
import puppeteer from 'puppeteer-core';

/** The system Firefox ESR; FIREFOX_PATH points elsewhere on a machine that keeps it elsewhere. */
export const firefoxPath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

/** Preferences a headless call needs (Firefox takes these where Chromium takes switches). */
export const firefoxPrefs = {
  // Fake camera and microphone, granted without a prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Host candidates carry the interface address, not an mDNS name: peers in another browser
  // (a Chromium page) must resolve them without multicast DNS.
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Use the loopback interface too: the test TURN server (coturn) listens on 127.0.0.1 only,
  // and without this Firefox gathers no relay candidate from it.
  'media.peerconnection.ice.loopback': true,
  // Pages may play remote media without a gesture, as Chromium's autoplay switch allows.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Background pages must not throttle timers: presence heartbeats run in every page.
  'dom.min_background_timeout_value': 0,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.suspend_inactive.enabled': false,
  // No updates, telemetry or first-run pages competing with the test.
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
};

/**
 * Launch options for a headless Firefox ESR with the shared preferences plus `extraPrefs`,
 * as puppeteer-core's `launch` takes them (WebDriver BiDi).
 */
export function firefoxLaunchOptions(extraPrefs = {}) {
  return {
    browser: 'firefox',
    executablePath: firefoxPath,
    headless: true,
    protocolTimeout: 120_000,
    extraPrefsFirefox: { ...firefoxPrefs, ...extraPrefs },
  };
}

/** A headless Firefox ESR, driven by puppeteer-core. */
export function launchFirefox(extraPrefs = {}) {
  return puppeteer.launch(firefoxLaunchOptions(extraPrefs));
}

export { puppeteer };
