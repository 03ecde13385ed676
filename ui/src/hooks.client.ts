import type { HandleClientError } from '@sveltejs/kit';

// A page whose code chunk failed to download (a phone switching networks; Chromium aborts every
// request in flight with ERR_NETWORK_CHANGED when an interface appears) gets one automatic reload
// instead of a dead "500"; a second failure within the window shows the error.
const RELOAD_KEY = 'sdp.reloaded-at';
const WINDOW_MS = 15_000;

export const handleError: HandleClientError = ({ error }) => {
  const message = error instanceof Error ? error.message : String(error);
  if (/dynamically imported module|Importing a module script failed|error loading dynamically/i.test(message)) {
    const last = Number(sessionStorage.getItem(RELOAD_KEY) ?? 0);
    if (Date.now() - last > WINDOW_MS) {
      sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
      location.reload();
    }
    return { message: 'The page could not download its code (did the network change?). Reload to try again.' };
  }
  console.error(error);
  return { message: 'Something went wrong in the dashboard; reload to try again.' };
};

// The theme chosen with the toggle (else the system's), applied before the app renders. Here and
// not inline in app.html: the CSP (svelte.config.js) allows only SvelteKit's own hashed scripts.
try {
  const theme = localStorage.getItem('sdp-theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch {
  // storage unavailable: follow the system
}
