// Chooses a file in the {% storage_upload_form %} of a page, in Debian's chromium through
// playwright-core, and reports what the form's script did. Run by
// tests/test_direct_upload_browser.py:  node direct_upload_browser.cjs '{"page": ..., "name": ...,
// "type": ..., "content": ...}'. Needs PLAYWRIGHT_CORE_DIR and CHROMIUM. Prints one JSON line.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");

const { chromium } = require(process.env.PLAYWRIGHT_CORE_DIR);

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
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gsd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: FLAGS,
    timeout: 20000,
  });
  context.setDefaultTimeout(15000);
  try {
    const page = await context.newPage();
    const console_lines = [];
    page.on("console", (message) => console_lines.push(message.text()));
    await page.goto(opts.page);
    const outcome = page.evaluate(
      () =>
        new Promise((resolve) => {
          document.addEventListener("storage-upload", (event) => resolve({ uploaded: event.detail }));
          document.addEventListener("storage-upload-error", (event) => resolve(event.detail));
        })
    );
    await page.setInputFiles("form.gsd-direct-upload input[type=file]", {
      name: opts.name,
      mimeType: opts.type,
      buffer: Buffer.from(opts.content),
    });
    const result = await outcome;
    result.output = await page.textContent("form.gsd-direct-upload output");
    result.progress = await page.$eval("form.gsd-direct-upload progress", (bar) => bar.value);
    result.console = console_lines;
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
