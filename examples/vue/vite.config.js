// `kibitz` resolves to the package this example sits in (Node's self-reference through the
// root package.json's `exports`), so the example uses the built `dist/` exactly as an installed
// package would: run `npm run build` in the repository root first.
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  // Its own dependency cache, so this example and the other can run side by side.
  cacheDir: '../../node_modules/.vite/vue',
  plugins: [
    vue({
      // <kibitz-*> are custom elements, not Vue components: render them as they are.
      template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('kibitz-') } },
    }),
  ],
});
