// Two builds: an ESM tree for bundlers (lit stays external, with type
// declarations) and the single-file script-tag bundle with everything inside, minified.
import nodeResolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

/**
 * Collapse the whitespace of css`` literals in the script-tag bundle: terser leaves template
 * text alone. Runs after TypeScript, which compiles from disk and ignores earlier transforms.
 */
const compactCss = () => ({
  name: 'compact-css',
  transform(code, id) {
    if (!id.endsWith('styles.ts')) return null;
    return code.replace(/css\s*`([^`]*)`/g, (_, body) => 'css`' + body.replace(/\s+/g, ' ').replace(/\s*([{};:,>])\s*/g, '$1').trim() + '`');
  },
});

const external = (id) => /^(lit|@lit)(\/|$)/.test(id);

export default [
  {
    input: ['src/index.ts', 'src/define.ts'],
    external,
    output: { dir: 'dist/esm', format: 'es', preserveModules: true, preserveModulesRoot: 'src' },
    plugins: [typescript({ tsconfig: './tsconfig.json', outDir: 'dist/esm', declaration: true, declarationDir: 'dist/esm' })],
  },
  {
    input: 'src/kibitz-room.ts',
    output: { file: 'dist/kibitz-room.js', format: 'es', sourcemap: false },
    plugins: [
      nodeResolve({ browser: true, exportConditions: ['production'] }),
      typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' }),
      compactCss(),
      terser({ ecma: 2022, module: true, compress: { passes: 2 }, format: { comments: false } }),
    ],
  },
];
