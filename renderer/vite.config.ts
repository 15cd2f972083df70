// Builds the renderer into dist/renderer with relative asset paths, so that the same build loads
// from file:// (Electron) and from the lab server over HTTP. The output has no inline script and
// no eval, as the Content-Security-Policy of both hosts requires.
//
// `npm run dev:renderer` serves the sources with hot reload and forwards /api to a running lab
// server, FRAGILITY_LAB_SERVER (http://127.0.0.1:8765 by default); open the dev URL with
// ?token=TOKEN from the URL that `fragility-lab serve` printed.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const rendererRoot = fileURLToPath(new URL('.', import.meta.url));
const labServer = process.env.FRAGILITY_LAB_SERVER ?? 'http://127.0.0.1:8765';

/**
 * The Content-Security-Policy of the built page, also sent as a header by the lab server. The meta
 * copy covers hosts that send no header (a file:// load). The dev server gets none, since its
 * hot-reload client needs more than this policy allows.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'fragility-lab-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
  };
}

export default defineConfig({
  root: rendererRoot,
  base: './',
  plugins: [svelte(), contentSecurityPolicyMeta()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // The preload polyfill would be injected into the entry; modern Chromium needs none.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'chrome120',
  },
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      '/api': {
        target: labServer,
        changeOrigin: true,
        configure: (proxy) => {
          // The lab server rejects requests from another origin, and the dev server is one.
          proxy.on('proxyReq', (request) => request.removeHeader('origin'));
        },
      },
    },
  },
});
