import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const server = process.env.SEDUTA_DEV_SERVER ?? 'http://localhost:8080';

/**
 * The web client's build: `vite build` writes client/dist, which the server serves. In
 * development (`vite`), API and signalling requests go to the server on port 8080.
 *
 * Lit's decorators are TypeScript's experimental ones (tsconfig.json: experimentalDecorators,
 * useDefineForClassFields false); Vite's Oxc transform reads them from the nearest tsconfig.json,
 * and test/e2e checks that @property still works in the built bundle.
 */
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // No inline scripts or styles anywhere: the page must run under a strict CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
