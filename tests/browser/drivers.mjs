// Chromium (playwright-core) and Firefox (puppeteer-core) behind the few calls
// the gate and audience tests make, so one test body runs in both.

import { browserSkipReason, launchBrowser, firefoxSkipReason, launchFirefox, LOCAL_URL } from './helpers.mjs';

/** Playwright (Chromium) and puppeteer (Firefox) behind the few calls the tests make. */
export function makeDrivers(initScript) {
  return {
    chromium: {
      skip: () => browserSkipReason(),
      launch: () => launchBrowser(),
      async context(browser) {
        const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
        const offsite = [];
        context.on('request', (r) => { if (!LOCAL_URL.test(r.url())) offsite.push(r.url()); });
        if (initScript) await context.addInitScript(initScript);
        return { context, offsite, newPage: () => context.newPage() };
      },
      wait: (page, fn, arg) => page.waitForFunction(fn, arg, { timeout: 30000 }),
      type: (page, sel, value) => page.fill(sel, value),
      print: (page, on) => page.emulateMedia({ media: on ? 'print' : 'screen' }),
      resize: (page, width, height) => page.setViewportSize({ width, height }),
    },
    firefox: {
      skip: () => firefoxSkipReason(),
      launch: () => launchFirefox(),
      async context(browser) {
        const context = await browser.createBrowserContext();
        const offsite = [];
        const newPage = async () => {
          const page = await context.newPage();
          await page.setViewport({ width: 1200, height: 900 });
          page.on('request', (r) => { if (!LOCAL_URL.test(r.url())) offsite.push(r.url()); });
          if (initScript) await page.evaluateOnNewDocument(initScript);
          return page;
        };
        return { context, offsite, newPage };
      },
      wait: (page, fn, arg) => page.waitForFunction(fn, { timeout: 30000 }, arg),
      async type(page, sel, value) {
        await page.$eval(sel, (e) => { e.value = ''; });
        await page.type(sel, value);
      },
      resize: (page, width, height) => page.setViewport({ width, height }),
      print: null, // puppeteer's Firefox (BiDi) cannot emulate print media: the PDF below shows it
    },
  };
}
