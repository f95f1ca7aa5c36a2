// Figure 6, crypto: host-command signs and verifies per second in Chromium, with the
// product's implementation (WebCrypto ECDSA P-256: createHostCommand + signHostCommand, and
// the full verifyHostCommand with its room, binding, freshness and replay checks), plus a
// raw WebCrypto ECDSA P-256 verify of the same bytes for comparison. One page, one thread.
import { readFileSync } from 'node:fs';
import { settle, summary } from './lib/browser.mjs';

/** Name the implementation from the source the bench bundles, so the report cannot go stale. */
function implementation() {
  const source = readFileSync(new URL('../src/crypto/command.ts', import.meta.url), 'utf8');
  if (/crypto\.subtle\.(sign|verify)/.test(source)) return "WebCrypto ECDSA P-256 (the browser's native implementation, asynchronous)";
  if (/@noble\/curves/.test(source)) return '@noble/curves P-256 (pure JavaScript, on the main thread)';
  return 'unknown';
}

const RUN_MS = 1000;

export async function cryptoFigure(bench, { runs, log }) {
  const page = await bench.open('crypto');
  const raw = [];
  for (let run = 0; run < runs; run++) {
    await settle({ minMs: 100, maxMs: 1500 });
    const r = await page.run((b, ms) => b.run(ms), RUN_MS);
    raw.push(r);
    log(
      `crypto run ${run + 1}: sign ${r.sign.toFixed(0)}/s, verify ${r.verify.toFixed(0)}/s (${r.failures} refused), WebCrypto verify ${r.webcryptoVerify.toFixed(0)}/s`,
    );
  }
  await page.close();
  return {
    figures: {
      implementation: implementation(),
      sign: summary(raw.map((r) => r.sign)),
      verify: summary(raw.map((r) => r.verify)),
      webcryptoVerify: summary(raw.map((r) => r.webcryptoVerify)),
      refused: raw.reduce((n, r) => n + r.failures, 0),
    },
    raw,
  };
}
