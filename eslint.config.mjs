// Lint: `npm run lint` (part of `npm test`). typescript-eslint's recommended rules plus a few
// that catch real bugs here; style is prettier's job, not the linter's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'tmp/', 'custom-elements.json', 'test/vectors/', '.turn/', 'examples/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `==`/`!=` only against null (both null and undefined), `===` everywhere else.
      eqeqeq: ['error', 'smart'],
      // Unused names are dead code; a leading underscore marks a deliberately unused one.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // TypeScript: type-aware rules for sources and tests.
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // verbatimModuleSyntax keeps every import that is not marked `type`: mark them, inline.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // A promise where a boolean or a void callback is expected is almost always a bug.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
    },
  },
  // In the SDK a promise nobody awaits loses its rejection: `void` marks the deliberate ones.
  // Not in tests: @open-wc/testing's DOM-diff typings make chai's `equal` return a Promise, so
  // every `expect(…).to.equal(…)` would be flagged.
  {
    files: ['src/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // Browser code.
  {
    files: ['src/**', 'test/unit/**', 'test/browser/**', 'test/soak/**/*.ts', 'demo/**/*.js', 'bench/pages/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
  },
  // The framework examples: browser code, JSX in the React one (the .vue file is left to Vue's compiler).
  {
    files: ['examples/*/src/**/*.{js,jsx}'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { ecmaFeatures: { jsx: true } } },
  },
  // Node scripts, configs, the bench driver, the demo server, e2e and soak drivers.
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  // Drivers whose callbacks run inside a page (playwright's `page.evaluate`).
  {
    files: ['test/e2e/**/*.mjs', 'test/soak/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
