// custom-elements.json is generated from the source's JSDoc (`npm run analyze`, part of the build).
export default {
  globs: ['src/**/*.ts'],
  exclude: ['src/**/*.test.ts'],
  litelement: true,
  // package.json names the manifest itself; a run with another --outdir must not rewrite it.
  packagejson: false,
};
