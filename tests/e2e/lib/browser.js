// tests/e2e/lib/browser.js - a real browser for the tests of the connector store page:
// Debian's Chromium (the `chromium` package that `scripts/setup test` installs), driven by
// playwright-core from npm. The flags are the ones that work on these machines (no sandbox
// as root, no GPU, no background traffic); every launch gets a fresh profile directory that
// close() removes. A missing Chromium fails the calling test: the page must not go untested
// just because a machine lacks the browser.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { REPO_ROOT } = require('./server');

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Where the tests leave screenshots (build/ is ignored by git).
const SCREENSHOT_DIR = path.join(REPO_ROOT, 'build', 'test-output', 'screenshots');

// Starts Chromium with a fresh profile. Resolves {context, newPage(opts), close()}; pages
// log their console errors and uncaught exceptions into .errors, which tests assert empty.
async function launchBrowser() {
  assert.ok(fs.existsSync(CHROMIUM),
            `${CHROMIUM} is missing: run scripts/setup test (it installs Debian's chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'connectord-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 900 },
      timeout: 30000,
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(10000);
  const errors = [];
  return {
    context,
    errors,
    // A new tab (its own sessionStorage, so its own sign-in).
    async newPage({ width = 1280, height = 900 } = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/the server responded with a status of (4\d\d)/.test(m.text()))
          errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        fs.rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

// Saves a full-page screenshot as SCREENSHOT_DIR/<name>.png; returns the path.
async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

module.exports = { CHROMIUM, FLAGS, SCREENSHOT_DIR, launchBrowser, screenshot };
