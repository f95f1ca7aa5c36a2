// Three builds: an ESM tree for bundlers (lit and jose stay external, with type
// declarations), the script-tag bundle with everything inside, minified, where what a page
// needs only in a call or only in some rooms is split into chunks it loads on demand (see
// below); and the Node agent (`kibitz/agent`), one module with its dependencies external,
// which the browser builds never see.
// A type error fails the build (`noEmitOnError`); the plugin would only warn otherwise.
// The css`` literals are not minified: collapsing their whitespace saved 60 of ~30,600
// gzipped bytes, not worth a CSS minifier in the build.
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import { readdirSync, rmSync } from 'node:fs';

/** Chunk names carry a content hash: drop the chunks of earlier builds, so a packed tarball ships only what the bundle loads. */
function dropStaleChunks(dir) {
  return {
    name: 'drop-stale-chunks',
    writeBundle(_options, bundle) {
      for (const file of readdirSync(dir)) {
        if (/^kibitz-.+-[\w-]+\.js$/.test(file) && !(file in bundle)) rmSync(`${dir}/${file}`);
      }
    },
  };
}

/**
 * Chunks by what loads them. Everything the bundle imports statically goes into the bundle
 * itself, not into shared chunks that it and kibitz-engine.js (which imports it anyway) would
 * both fetch: one request before join(), one gzip stream. Everything else the engine entry
 * imports statically is the engine chunk, except the room-making code (room-link.ts and what
 * only it adds) in a chunk of its own: a page may load it alone, to make a room.
 */
function chunksByEntry() {
  let groups = null;
  const reach = (from, getModuleInfo, stop = new Set()) => {
    const seen = new Set([from]);
    for (const m of seen) for (const next of getModuleInfo(m)?.importedIds ?? []) if (!stop.has(next)) seen.add(next);
    return seen;
  };
  return (id, { getModuleIds, getModuleInfo }) => {
    if (!groups) {
      const find = (suffix) => [...getModuleIds()].find((m) => m.endsWith(suffix));
      const room = reach(find('src/kibitz-room.ts'), getModuleInfo);
      const links = reach(find('src/crypto/room-link.ts'), getModuleInfo, room);
      const engine = reach(find('src/kibitz-engine.ts'), getModuleInfo, new Set([...room, ...links]));
      groups = { room, links, engine };
    }
    if (groups.room.has(id)) return 'room';
    if (groups.links.has(id)) return 'room-link';
    if (groups.engine.has(id)) return 'engine';
    return undefined;
  };
}

const external = (id) => /^(lit|@lit|jose)(\/|$)/.test(id);
const nodeExternal = (id) => external(id) || /^(node:|ws$|node-datachannel$)/.test(id);

export default [
  {
    input: ['src/index.ts', 'src/define.ts'],
    external,
    output: {
      dir: 'dist/esm',
      format: 'es',
      preserveModules: true,
      preserveModulesRoot: 'src',
      // The TypeScript helpers (tslib) sit under vendor/, not under a node_modules folder inside the package.
      entryFileNames: (chunk) => `${chunk.name.replace(/(^|\/)node_modules\//g, '$1vendor/')}.js`,
    },
    plugins: [
      typescript({ tsconfig: './tsconfig.json', outDir: 'dist/esm', declaration: true, declarationDir: 'dist/esm', noEmitOnError: true }),
    ],
  },
  {
    // Two entries: the bundle a page loads, and the engine it fetches at join() (which a page
    // may also import on its own); the engine imports the bundle, so what both use is in the bundle.
    input: { 'kibitz-room': 'src/kibitz-room.ts', 'kibitz-engine': 'src/kibitz-engine.ts' },
    // The chunks import shared code from the bundle itself rather than through a facade file.
    preserveEntrySignatures: 'allow-extension',
    // Chunks beside the bundle, each behind an import(): the gate code (JOSE, the sign-in
    // flows) in rooms that need it, the file-transfer code at the first file, the in-call panels
    // when a call starts. Everything the pre-join state needs stays in kibitz-room.js.
    // Hex hashes: a chunk's name is everything before the last dash (base64url hashes may hold dashes).
    output: {
      dir: 'dist',
      entryFileNames: '[name].js',
      chunkFileNames: 'kibitz-[name]-[hash].js',
      hashCharacters: 'hex',
      manualChunks: chunksByEntry(),
      format: 'es',
      sourcemap: false,
    },
    plugins: [
      nodeResolve({ browser: true, exportConditions: ['production'] }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist', noEmitOnError: true }),
      terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } }),
      dropStaleChunks('dist'),
    ],
  },
  {
    input: 'src/agent/index.ts',
    external: nodeExternal,
    // One module: the gate code a browser loads on demand is plain code in Node.
    output: { dir: 'dist/agent', entryFileNames: 'index.js', inlineDynamicImports: true, format: 'es', sourcemap: false },
    plugins: [
      typescript({
        tsconfig: './tsconfig.agent.json',
        outDir: 'dist/agent',
        declaration: true,
        declarationDir: 'dist/agent',
        noEmitOnError: true,
      }),
    ],
  },
];
