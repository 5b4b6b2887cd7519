// Chooses a file in the {% storage_upload_form %} of a page and reports what the form's
// script did. Run by tests/test_direct_upload_browser.py:
//   node direct_upload_browser.cjs '{"page": ..., "name": ..., "type": ..., "content": ...}'
// Needs PLAYWRIGHT_CORE_DIR and CHROMIUM (see chromium.cjs). Prints one JSON line.
"use strict";

const { launch, run } = require("./chromium.cjs");

async function main(opts) {
  const { context, close } = await launch({});
  context.setDefaultTimeout(15000);
  try {
    const page = await context.newPage();
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
    return result;
  } finally {
    await close();
  }
}

run(main);
