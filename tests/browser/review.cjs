// The review page in a real browser (Debian's Chromium, driven by playwright-core): log in with
// a token, list the queue, open a submission (signer identity, verdicts, findings, the PDF),
// return it with a remark, approve another, switch to Kazakh. Run by tests/e2e/serve_browser.sh
// with QTB_URL, QTB_TOKEN, QTB_RETURN_KEY, QTB_APPROVE_KEY and QTB_CHROMIUM set.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const url = process.env.QTB_URL;
const token = process.env.QTB_TOKEN;
let passed = 0;
let failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log('ok   ' + name); } else { failed++; console.log('FAIL ' + name + (detail ? ': ' + detail : '')); }
}

// Click, then wait for the page to react. Chromium's PDF viewer, loading in the iframe above the
// buttons, can scroll the page between Playwright's scroll-into-view and its click, so the click
// lands elsewhere: retried (at most 3 times) until the reaction shows.
async function clickUntil(page, selector, reacted) {
  for (let i = 0; i < 3; i++) {
    await page.click(selector);
    const ok = await page.waitForFunction(reacted, null, { timeout: 3000 }).then(() => true, () => false);
    if (ok) return true;
  }
  return false;
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'qtb-chromium-'));
  // A fresh profile (--user-data-dir) per run, passed the way Playwright wants it.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.QTB_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

    await page.goto(url + '/');
    check('login form shown', await page.isVisible('#login-form'));
    // A wrong token is refused.
    await page.fill('#token', 'not-the-token-0000000');
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
    check('wrong token refused', await page.isVisible('#login-form'));
    // The right one opens the queue (PENDING by default).
    await page.fill('#token', token);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#queue:not([hidden]) #list tbody tr');
    const keys = await page.$$eval('#list tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent).sort());
    check('queue lists the pending submissions', keys.includes(process.env.QTB_RETURN_KEY) && keys.includes(process.env.QTB_APPROVE_KEY), keys.join(','));
    check('queue hides rejected ones by default', !keys.includes('wrong-person'), keys.join(','));
    // Filter: all statuses shows the rejected one with its reason.
    await page.selectOption('#status-filter', '');
    await page.waitForFunction(() => [...document.querySelectorAll('#list tbody tr td:nth-child(2)')].some((t) => t.textContent === 'wrong-person'));
    const reason = await page.textContent('#list tbody tr:has(td:text-is("wrong-person")) td:nth-child(5)');
    check('filter "all" shows the rejection reason', /SIGNER_IIN_MISMATCH/.test(reason), reason);
    await page.selectOption('#status-filter', 'PENDING');
    await page.waitForFunction(() => ![...document.querySelectorAll('#list tbody tr td:nth-child(2)')].some((t) => t.textContent === 'wrong-person'));

    // Open the one to return.
    await page.click(`#list tbody tr:has(td:text-is("${process.env.QTB_RETURN_KEY}"))`);
    await page.waitForSelector('#detail:not([hidden])');
    check('detail shows the key', (await page.textContent('#d-key')) === process.env.QTB_RETURN_KEY);
    const sig = await page.textContent('#d-validations');
    check('detail shows the signer IIN', sig.includes(process.env.QTB_RETURN_IIN), sig.slice(0, 200));
    check('detail shows the verdict', sig.includes('TOTAL_PASSED'));
    check('detail shows findings', (await page.$$('#d-findings li')).length > 0);
    await page.click('#d-pdf');
    await page.waitForSelector('#d-pdf-frame:not([hidden])');
    const size = Number(await page.getAttribute('#d-pdf-frame', 'data-size'));
    check('questionnaire PDF loaded', size > 1000, String(size));
    // Return needs a remark.
    const refused = await clickUntil(page, '#return', () => document.getElementById('d-message').textContent.length > 0);
    check('return without a remark is refused', refused && await page.isVisible('#decide'),
          `message "${await page.textContent('#d-message')}", detail visible ${await page.isVisible('#detail')}`);
    await page.fill('#remark', 'Приложите скан паспорта');
    await clickUntil(page, '#return', () => document.getElementById('decide').hidden);
    check('returned', (await page.textContent('#d-summary')).includes('RETURNED'));
    check('history shows the remark', (await page.textContent('#d-history')).includes('Приложите скан паспорта'));

    // Approve the other one.
    await page.click('#back');
    await page.waitForSelector('#queue:not([hidden])');
    await page.waitForFunction((k) => [...document.querySelectorAll('#list tbody tr td:nth-child(2)')].some((t) => t.textContent === k), process.env.QTB_APPROVE_KEY);
    const after = await page.$$eval('#list tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
    check('the returned one left the pending queue', !after.includes(process.env.QTB_RETURN_KEY), after.join(','));
    await page.click(`#list tbody tr:has(td:text-is("${process.env.QTB_APPROVE_KEY}"))`);
    await page.waitForSelector('#detail:not([hidden]) #decide:not([hidden])');
    await page.click('#approve');
    await page.waitForFunction(() => document.getElementById('decide').hidden);
    check('approved', (await page.textContent('#d-summary')).includes('APPROVED'));

    // Kazakh.
    await page.selectOption('#lang', 'kk');
    check('Kazakh labels', (await page.textContent('h1')) === 'Өтінімдерді тексеру');
    // The one expected error: the 401 of the wrong token above.
    const unexpected = errors.filter((e) => !/status of 401/.test(e));
    check('no page errors', unexpected.length === 0, unexpected.join(' | '));
  } catch (e) {
    check('browser run', false, String(e && e.stack || e));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
})();
