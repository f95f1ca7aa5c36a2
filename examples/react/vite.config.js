// `kibitz` resolves to the package this example sits in (Node's self-reference through the
// root package.json's `exports`), so the example uses the built `dist/` exactly as an installed
// package would: run `npm run build` in the repository root first.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  // Its own dependency cache, so this example and the other can run side by side.
  cacheDir: '../../node_modules/.vite/react',
  plugins: [react()],
});
