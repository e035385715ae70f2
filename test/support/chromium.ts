import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's chromium, headless (the package managers here cannot fetch a browser of their own). */
export const launchChromium = (): Promise<Browser> =>
  puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
