import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` style work: point SDP_SERVER at a running reconciler and the dev server proxies to it.
const server = process.env.SDP_SERVER ?? 'http://127.0.0.1:3452';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: {
      '/api': server,
      '/ws': { target: server.replace(/^http/, 'ws'), ws: true },
    },
    fs: { allow: ['..'] },
  },
});
