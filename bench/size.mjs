// Figure 5, size: the script-tag bundle as built (minified), gzip -9 and brotli (quality
// 11), split the way a page fetches it: what loads before join() (the bundle and every chunk
// it imports statically, transitively) and each chunk it loads on demand (reached only
// through `import()`), with the total of all; the ESM build for bundlers minified with lit
// left out (and with lit and @noble left out); the peerjs client's own minified build
// measured the same way.
import { readFileSync } from 'node:fs';
import { parseAst } from 'rollup/parseAst';
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

/** The chunks a module names, static (`import … from`, `export … from`) and dynamic (`import()`). */
function chunkImports(code) {
  const found = { static: new Set(), dynamic: new Set() };
  const visit = (node) => {
    if (!node || typeof node.type !== 'string') return;
    const source = node.source?.type === 'Literal' ? node.source.value : null;
    if (source && /^\.\//.test(source)) {
      if (node.type === 'ImportExpression') found.dynamic.add(source.slice(2));
      else if (/^(Import|ExportNamed|ExportAll)Declaration$/.test(node.type)) found.static.add(source.slice(2));
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(parseAst(code));
  return found;
}

/**
 * The script-tag bundle as a page loads it. Before join(): `kibitz-room.js` and the chunks it
 * imports statically, transitively (the browser fetches those before the module runs).
 * On demand: every other chunk reachable through `import()` from there, each with the chunks
 * it alone needs. Total: every file the bundle can ever load, counted once.
 */
function scriptBundle() {
  const files = new Map();
  const read = (name) => {
    if (!files.has(name)) {
      const bytes = readFileSync(`${root}dist/${name}`);
      files.set(name, { bytes, ...chunkImports(bytes.toString('utf8')) });
    }
    return files.get(name);
  };
  const closure = (start, seen = new Set()) => {
    const stack = [start];
    while (stack.length) {
      const name = stack.pop();
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...read(name).static);
    }
    return seen;
  };
  const beforeJoin = closure('kibitz-room.js');
  const all = new Set();
  const pending = ['kibitz-room.js'];
  while (pending.length) {
    for (const name of closure(pending.pop())) {
      if (all.has(name)) continue;
      all.add(name);
      pending.push(...read(name).dynamic);
    }
  }
  const chunks = [...all]
    .filter((name) => !beforeJoin.has(name))
    .sort()
    .map((name) => ({ name: name.replace(/^kibitz-(.+)-[0-9a-f]+\.js$/, '$1'), file: name, ...measure(read(name).bytes) }));
  return {
    // Each file compressed on its own, as a server sends it.
    beforeJoin: { files: [...beforeJoin].sort(), ...sumOf(beforeJoin, read) },
    chunks,
    total: sumOf(all, read),
  };
}

/** Files compressed one by one, summed. */
function sumOf(names, read) {
  const sum = { minified: 0, gzip: 0, brotli: 0 };
  for (const name of names) {
    const m = measure(read(name).bytes);
    for (const key of Object.keys(sum)) sum[key] += m[key];
  }
  return sum;
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
  const split = scriptBundle();
  const figures = {
    bundle: measure(readFileSync(`${root}dist/kibitz-room.js`)),
    ...split,
    esmWithoutLit: measure(await esm(['lit', 'lit/*', '@lit/*'])),
    esmWithoutLitNoble: measure(await esm(['lit', 'lit/*', '@lit/*', '@noble/*'])),
    peerjs: measure(readFileSync(`${root}node_modules/peerjs/dist/peerjs.min.js`)),
  };
  figures.contributions = await contributions();
  log(`size by origin (minified bytes): ${JSON.stringify(figures.contributions)}`);
  for (const [name, f] of Object.entries(figures))
    if (f.gzip) log(`size ${name}: ${f.minified} B minified, ${f.gzip} B gzip -9, ${f.brotli} B brotli`);
  log(`size before join(): ${figures.beforeJoin.files.join(' + ')}`);
  for (const c of figures.chunks)
    log(`size on demand ${c.name} (${c.file}): ${c.minified} B minified, ${c.gzip} B gzip -9, ${c.brotli} B brotli`);
  return { figures };
}
