// Drives the example project in Debian's chromium through playwright-core (never a downloaded
// browser). Run by tests/test_example_browser.py:
//   node example_browser.cjs '{"base": ..., "username": ..., "password": ..., "upload": ...,
//                              "title": ..., "downloads": ..., "screenshots": ...}'
// Needs PLAYWRIGHT_CORE_DIR (the npm package's directory) and CHROMIUM (the executable).
// Prints one JSON line: what it saw. The Python test makes the assertions.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const { chromium } = require(process.env.PLAYWRIGHT_CORE_DIR);

// The flags the machines need: no sandbox (root), and no background connections to the
// outside world (the network is closed; without these Chromium keeps retrying).
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function main() {
  const opts = JSON.parse(process.argv[2]);
  const seen = {};
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gsd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
    timeout: 20000,
  });
  context.setDefaultTimeout(10000);
  try {
    const page = context.pages()[0] || (await context.newPage());
    const shot = async (name) => {
      if (opts.screenshots) {
        await page.screenshot({ path: path.join(opts.screenshots, name + ".png"), fullPage: true });
      }
    };

    // 1. Anonymous: the documents page sends us to the login form.
    await page.goto(opts.base + "/");
    seen.loginUrl = new URL(page.url()).pathname;
    await shot("1-login");
    await page.fill("input[name=username]", opts.username);
    await page.fill("input[name=password]", opts.password);
    await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
    seen.afterLogin = new URL(page.url()).pathname;

    // 2. Upload through the form.
    await page.click("a[href='/upload/']");
    await page.fill("input[name=title]", opts.title);
    await page.setInputFiles("input[name=file]", opts.upload);
    await shot("2-upload");
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    seen.afterUpload = new URL(page.url()).pathname;
    seen.message = (await page.textContent(".message")) || "";

    // 3. Listed: the row of the new document, its size and its links.
    const row = page.locator("tr[data-document]", { hasText: opts.title });
    seen.rows = await row.count();
    seen.size = (await row.locator("td.num").textContent()).trim();
    seen.file = (await row.locator("td.file").textContent()).trim();
    seen.openHref = await row.locator("a.open-link").getAttribute("href");
    seen.downloadHref = await row.locator("a.download-link").getAttribute("href");
    await shot("3-list");

    // 4. Download it as a user would, by clicking the link, and keep the file.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row.locator("a.download-link").click(),
    ]);
    seen.downloadName = download.suggestedFilename();
    seen.downloadPath = path.join(opts.downloads, "downloaded.bin");
    await download.saveAs(seen.downloadPath);

    // 5. The inline link opens in the browser (same bytes, no attachment).
    const inline = await context.request.get(opts.base + seen.openHref);
    seen.inlineStatus = inline.status();
    seen.inlineDisposition = inline.headers()["content-disposition"] || "";

    // 6. The same path without its signature: refused, even to this logged-in browser.
    const unsigned = seen.downloadHref.split("?")[0];
    const refused = await page.goto(opts.base + unsigned);
    seen.unsignedStatus = refused.status();
    // ...and with a tampered signature.
    const tampered = await context.request.get(
      opts.base + seen.downloadHref.replace(/sig=([^&])/, (m, c) => "sig=" + (c === "A" ? "B" : "A"))
    );
    seen.tamperedStatus = tampered.status();
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(seen) + "\n");
}

main().catch((error) => {
  process.stderr.write(String((error && error.stack) || error) + "\n");
  process.exit(1);
});
