// Browser tests: real headless Debian Chromium, then Debian Firefox ESR (over WebDriver BiDi),
// real RTCPeerConnections, and the real PeerJS broker started on localhost for the whole run
// (server commands reach it). A test that cannot run in Firefox says why, next to the test.
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { startBroker } from './scripts/broker.mjs';
import { startTurn } from './scripts/turn.mjs';
import { chromiumLaunchOptions } from './test/support/chromium.mjs';
import { firefoxLaunchOptions, puppeteer } from './test/support/firefox.mjs';

function brokerPlugin() {
  let broker;
  let port = 0;
  let turn;
  return {
    name: 'kibitz-broker',
    async serverStart() {
      broker = await startBroker({ port });
      port = broker.port;
    },
    async serverStop() {
      await broker?.close();
      await turn?.stop();
    },
    async executeCommand({ command, payload }) {
      switch (command) {
        case 'broker-url':
          return broker ? broker.url : null;
        case 'broker-stop':
          await broker?.close();
          broker = undefined;
          return true;
        case 'broker-start':
          if (!broker) broker = await startBroker({ port });
          return broker.url;
        case 'turn-start':
          turn ??= await startTurn(payload ?? {});
          return turn.info;
        case 'turn-requests':
          return turn ? { ...turn.requests } : null;
        case 'turn-log':
          return turn ? turn.log() : null;
        case 'turn-stop':
          await turn?.stop();
          turn = undefined;
          return true;
        default:
          return undefined;
      }
    },
  };
}

export default {
  files: ['test/unit/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  // One browser at a time: both share the machine's cores, and the load tests time real work.
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsStartTimeout: 60_000,
  testsFinishTimeout: 300_000,
  testFramework: { config: { timeout: 60_000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), brokerPlugin()],
  browsers: [
    chromeLauncher({
      launchOptions: chromiumLaunchOptions(),
    }),
    // chromeLauncher drives any browser puppeteer-core can launch; with `browser: 'firefox'`
    // it speaks WebDriver BiDi to the system Firefox ESR.
    chromeLauncher({
      puppeteer,
      launchOptions: firefoxLaunchOptions(),
    }),
  ],
};
