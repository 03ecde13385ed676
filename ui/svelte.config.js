import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// A single-page app: the reconciler serves ui/build at / and answers every unknown
// non-API path with index.html, so client-side routes like /sandboxes/x survive a reload.
export default {
  preprocess: vitePreprocess(),
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // the UI calls only its own origin (the reconciler); nothing is fetched from elsewhere
    csp: { mode: 'hash', directives: { 'default-src': ['self'], 'connect-src': ['self', 'ws:', 'wss:'], 'img-src': ['self', 'data:'], 'style-src': ['self', 'unsafe-inline'] } },
  },
};
