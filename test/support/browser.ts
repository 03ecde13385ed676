// Headless Chromium for the browser suites: how it is launched here, and signing in through the login
// page. Chromium aborts every request in flight with ERR_NETWORK_CHANGED when a network interface comes
// or goes, which Docker does whenever any suite on this machine creates or removes a network; a
// navigation that hit that is made again, and a sign-in that did not get through is submitted again.
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export const NETWORK_CHANGED = 'net::ERR_NETWORK_CHANGED';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** page.goto, again when Chromium dropped the navigation because a network interface changed (`changed` hears of it). */
export async function gotoRetrying(page: Page, url: string, changed: () => void = () => {}): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      return;
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.message.includes(NETWORK_CHANGED)) throw err;
      changed();
    }
  }
}

/**
 * Signs in on `${base}/login?next=${next}` and waits until the page it was going to is shown. A wrong
 * password fails at once with what the login page said; a submit that got no answer is tried again.
 */
export async function signIn(page: Page, base: string, next: string, user: string, password: string): Promise<void> {
  await gotoRetrying(page, `${base}/login?next=${encodeURIComponent(next)}`);
  for (let attempt = 1; ; attempt++) {
    await page.fill('#u', user);
    await page.fill('#p', password);
    await page.click('button[type=submit]');
    try {
      await page.waitForURL((u) => u.pathname !== '/login', { timeout: 15_000 });
      return;
    } catch (err) {
      const said = (await page.textContent('#login-error').catch(() => null))?.trim() ?? '';
      if (/wrong username or password/i.test(said)) throw new Error(`signing in as ${user}: the login page said "${said}"`, { cause: err });
      if (attempt >= 3) throw new Error(`signing in as ${user}: still on the login page after ${attempt} tries; it said "${said || 'nothing'}"`, { cause: err });
    }
  }
}
