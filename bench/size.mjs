// Figure 5, size: the script-tag bundle as built (minified), gzip -9 and brotli (quality
// 11); the ESM build for bundlers minified with lit left out (and with lit and @noble left
// out); the peerjs client's own minified build measured the same way.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

function measure(bytes) {
  const buffer = Buffer.from(bytes);
  return {
    minified: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: buffer.length,
      },
    }).length,
  };
}

/** What a bundler user ships on top of what stays external: the ESM build, minified. */
async function esm(external, metafile = false) {
  const result = await build({
    metafile,
    stdin: { contents: "export * from './dist/esm/index.js';\nimport './dist/esm/define.js';", resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    minify: true,
    write: false,
    target: 'es2022',
    external,
    logLevel: 'silent',
  });
  return metafile ? result : result.outputFiles[0].contents;
}

/** Minified bytes by origin (lit, @noble, the product's own code) in the whole ESM build. */
async function contributions() {
  const { metafile } = await esm([], true);
  const groups = { lit: 0, noble: 0, kibitz: 0, other: 0 };
  for (const [file, info] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    const group = /node_modules\/(lit|lit-html|lit-element|@lit)\//.test(file)
      ? 'lit'
      : /node_modules\/@noble\//.test(file)
        ? 'noble'
        : file.startsWith('dist/esm/')
          ? 'kibitz'
          : 'other';
    groups[group] += info.bytesInOutput;
  }
  return groups;
}

export async function sizeFigure(_bench, { log }) {
  const figures = {
    bundle: measure(readFileSync(`${root}dist/kibitz-room.js`)),
    esmWithoutLit: measure(await esm(['lit', 'lit/*', '@lit/*'])),
    esmWithoutLitNoble: measure(await esm(['lit', 'lit/*', '@lit/*', '@noble/*'])),
    peerjs: measure(readFileSync(`${root}node_modules/peerjs/dist/peerjs.min.js`)),
  };
  figures.contributions = await contributions();
  log(`size by origin (minified bytes): ${JSON.stringify(figures.contributions)}`);
  for (const [name, f] of Object.entries(figures))
    if (f.gzip) log(`size ${name}: ${f.minified} B minified, ${f.gzip} B gzip -9, ${f.brotli} B brotli`);
  return { figures };
}
