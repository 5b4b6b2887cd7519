// Debian's chromium through playwright-core (never a downloaded browser), shared by the
// browser tests' scripts. Needs PLAYWRIGHT_CORE_DIR (the npm package's directory) and
// CHROMIUM (the executable).
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

// A headless browser on a fresh profile; close() closes it and removes the profile.
async function launch(options) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gsd-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: FLAGS,
    timeout: 20000,
    ...options,
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// Runs main() with the script's JSON argument and prints what it returns as one JSON line;
// an error goes to stderr with exit status 1.
function run(main) {
  main(JSON.parse(process.argv[2]))
    .then((result) => process.stdout.write(JSON.stringify(result) + "\n"))
    .catch((error) => {
      process.stderr.write(String((error && error.stack) || error) + "\n");
      process.exit(1);
    });
}

module.exports = { launch, run };
