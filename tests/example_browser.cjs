// Drives the example project in Debian's chromium through playwright-core (never a downloaded
// browser). Run by tests/test_example_browser.py:
//   node example_browser.cjs '{"base": ..., "username": ..., "password": ..., "upload": ...,
//                              "title": ..., "second": ..., "downloads": ..., "screenshots": ...}'
// Needs PLAYWRIGHT_CORE_DIR (the npm package's directory) and CHROMIUM (the executable).
// Prints one JSON line: what it saw. The Python test makes the assertions. Screenshots (full
// pages, PNG) go to opts.screenshots, named <width>-<page>.png.
"use strict";

const path = require("path");

const { launch, run } = require("./chromium.cjs");

async function main(opts) {
  const seen = {};
  const { context, close } = await launch({
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(10000);
  // Every value the upload page's progress bar takes, kept across the page change that
  // follows the upload (sessionStorage outlives it).
  await context.addInitScript(() => {
    new MutationObserver((changes) => {
      for (const change of changes) {
        if (change.target.id === "upload-progress") {
          const seen = JSON.parse(sessionStorage.getItem("progress-values") || "[]");
          seen.push(Number(change.target.getAttribute("value")));
          sessionStorage.setItem("progress-values", JSON.stringify(seen));
        }
      }
    }).observe(document, { attributes: true, attributeFilter: ["value"], subtree: true });
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    let width = 1280;
    const shot = async (name) => {
      await page.screenshot({
        path: path.join(opts.screenshots, width + "-" + name + ".png"),
        fullPage: true,
      });
    };

    // 1. Anonymous: the documents page sends us to the login form.
    await page.goto(opts.base + "/");
    seen.loginUrl = new URL(page.url()).pathname;
    await shot("login");
    await page.fill("input[name=username]", opts.username);
    await page.fill("input[name=password]", opts.password);
    await Promise.all([page.waitForNavigation(), page.click("form button[type=submit]")]);
    seen.afterLogin = new URL(page.url()).pathname;

    // 2. Upload through the form.
    await page.click("a[href='/upload/']");
    await page.fill("input[name=title]", opts.title);
    await page.setInputFiles("input[name=file]", opts.upload);
    await shot("upload-filled");
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    seen.afterUpload = new URL(page.url()).pathname;
    seen.message = (await page.textContent(".message")) || "";
    seen.progress = JSON.parse(
      (await page.evaluate(() => sessionStorage.getItem("progress-values"))) || "[]"
    );

    // 3. Listed: the row of the new document, its size and its links.
    const row = page.locator("tr[data-document]", { hasText: opts.title });
    seen.rows = await row.count();
    seen.size = (await row.locator("td.num").textContent()).trim();
    seen.file = (await row.locator("td.file").textContent()).trim();
    seen.openHref = await row.locator("a.open-link").getAttribute("href");
    seen.downloadHref = await row.locator("a.download-link").getAttribute("href");
    await shot("list-after-upload");

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
    await shot("403-signed-link");

    // 7. Every page at a desktop's width, then at a phone's: no sideways scrolling, and a
    // screenshot of each. At the phone's width: a second upload, found by searching, then
    // deleted from its page.
    seen.widths = {};
    for (width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      const pages = {};
      const visit = async (name, url) => {
        const answer = await page.goto(opts.base + url);
        pages[name] = {
          status: answer.status(),
          overflow: await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth
          ),
          heading: ((await page.textContent("h1")) || "").trim(),
        };
        await shot(name);
      };
      await visit("list", "/");
      await page.click("tr[data-document] a.detail-link");
      await visit("detail", new URL(page.url()).pathname);
      await visit("upload", "/upload/");
    pages.upload.progressShown = await page.isVisible("#upload-status");
      await visit("sync", "/sync/");
      await page.check("input[name=dry_run]");
      await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
      pages.sync.dryRun = (await page.innerText("#report dl")).replace(/\s+/g, " ");
      await shot("sync-dry-run");
      await visit("404", "/no/such/page/");
      pages["404"].id = await page.getAttribute(".error-page", "id");
      await visit("403", unsigned);
      pages["403"].id = await page.getAttribute(".error-page", "id");
      seen.widths[width] = pages;
    }

    // A cover that is no image: the form comes back with its error, in place (status 400 to
    // the script), and a second try, on the form that replaced the first, goes through.
    await page.goto(opts.base + "/upload/");
    await page.fill("input[name=title]", opts.second);
    await page.setInputFiles("input[name=file]", opts.upload);
    await page.setInputFiles("input[name=cover]", opts.upload);
    await page.click("main form button[type=submit]");
    await page.waitForSelector("#upload-form .errorlist");
    seen.coverError = (await page.textContent("#upload-form .errorlist")).trim();
    seen.afterRefusal = new URL(page.url()).pathname;
    await shot("upload-refused");
    await page.setInputFiles("input[name=file]", opts.upload);
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    await page.fill("input[name=q]", opts.second);
    await Promise.all([page.waitForNavigation(), page.press("input[name=q]", "Enter")]);
    seen.searchUrl = new URL(page.url()).search;
    seen.found = await page.locator("tr[data-document]").count();
    await shot("search");
    await page.click("tr[data-document] a.detail-link");
    page.once("dialog", (dialog) => dialog.accept());
    await Promise.all([page.waitForNavigation(), page.click("#delete-button")]);
    seen.afterDelete = new URL(page.url()).pathname;
    seen.deleteMessage = (await page.textContent(".message")) || "";
    seen.rowsAfterDelete = await page.locator("tr[data-document]").count();
    await shot("after-delete");
  } finally {
    await close();
  }
  return seen;
}

run(main);
