// Browser test of the admin panel in Debian's chromium via playwright-core. Started by
// panel_browser_test.sh with PANEL_URL, OWNER_PASSWORD, VIEWER_PASSWORD and ARTIFACTS.
// Any page error, and any console error that a step does not expect, fails the test.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const url = process.env.PANEL_URL;
const artifacts = process.env.ARTIFACTS;
let failures = 0;
const ok = (cond, what) => {
  console.log(`${cond ? 'ok' : 'not ok'} - ${what}`);
  if (!cond) failures++;
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  // playwright gives every launch a fresh, empty profile of its own (--user-data-dir).
});

// Console errors are failures unless the current step allows their pattern (a 401 or 403
// that the step provokes on purpose, a network error it simulates).
let allowed = [];
const problems = [];
function watch(page, who) {
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (allowed.some((re) => re.test(m.text()))) return;
    problems.push(`${who}: console error: ${m.text()} (${m.location().url})`);
  });
}
async function allowing(patterns, fn) {
  allowed = patterns;
  try { return await fn(); } finally { allowed = []; }
}
const shot = (page, name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

async function login(page, user, password) {
  await page.goto(url);
  await page.waitForSelector('#login-button');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-button');
  await page.waitForSelector('#dashboard .card');
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await ctx.newPage();
  watch(page, 'owner');

  // First render: navigation start to the login form drawn by the wasm code.
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('#login-button');
  const firstRender = Date.now() - t0;
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].duration);
  console.log(`# first render ${firstRender} ms (navigation ${Math.round(nav)} ms)`);
  ok(firstRender < 2000, `the login form renders quickly (${firstRender} ms)`);
  await shot(page, '01-login');

  // A wrong password is refused in the form.
  await page.fill('#username', 'owner1');
  await page.fill('#password', 'not-the-password');
  await allowing([/status of 401/], async () => {
    await page.click('#login-button');
    await page.waitForFunction(() => document.getElementById('login-error')?.textContent.length > 0);
  });
  ok((await page.textContent('#login-error')).includes('wrong username or password'), 'a wrong password says so');

  await login(page, 'owner1', process.env.OWNER_PASSWORD);
  ok((await page.textContent('#who')).includes('owner1 (owner)'), 'the owner is logged in');
  await page.waitForSelector('#dashboard .chart');
  await shot(page, '02-dashboard');

  // A plan: the form checks before sending, then the list shows it.
  await page.goto(`${url}#/plans`);
  await page.waitForSelector('#list-plans tbody tr');
  await page.click('button[data-action="new"]');
  await page.waitForSelector('form[data-form="plans"]');
  await page.click('form[data-form="plans"] button[type="submit"]');
  ok((await page.textContent('[data-error-for="name"]')).includes('required'), 'an empty plan name is refused in the form');
  await page.fill('#f-name', 'Gold Plan');
  await page.click('form[data-form="plans"] button[type="submit"]');
  ok((await page.textContent('[data-error-for="name"]')).includes('a-z'), 'an invalid plan name is refused in the form');
  await page.fill('#f-name', 'gold');
  await page.fill('#f-data_limit', '20GB');
  await page.fill('#f-duration', '30d');
  await page.fill('#f-device_limit', 'x');
  await page.click('form[data-form="plans"] button[type="submit"]');
  ok((await page.textContent('[data-error-for="device_limit"]')).includes('whole number'), 'a non-numeric device limit is refused');
  await page.fill('#f-device_limit', '2');
  await page.click('form[data-form="plans"] button[type="submit"]');
  await page.waitForSelector('#list-plans a[href="#/plans/gold"]');
  ok(true, 'the new plan is in the list');
  await shot(page, '03-plans');

  // A server-side refusal lands on the field: a duplicate name.
  await page.goto(`${url}#/plans/new`);
  await page.waitForSelector('#f-name');
  await page.fill('#f-name', 'gold');
  await allowing([/status of 409/], async () => {
    await page.click('form[data-form="plans"] button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('[data-error-for="name"]')?.textContent.includes('exists'));
  });
  ok(true, 'a duplicate plan name comes back on its field');

  // A user of that plan.
  await page.goto(`${url}#/users/new`);
  await page.waitForSelector('#f-username');
  await page.fill('#f-username', 'dora');
  await page.fill('#f-plan', 'gold');
  await page.click('form[data-form="users"] button[type="submit"]');
  await page.waitForSelector('#list-users a[href="#/users/dora"]');
  ok(true, 'the new user is in the list');
  // Search and sort go through the URL.
  await page.fill('#search', 'dor');
  await page.press('#search', 'Enter');
  await page.waitForFunction(() => location.hash.includes('q=dor'));
  await page.waitForFunction(() => document.querySelectorAll('#list-users tbody tr').length === 1);
  ok(true, 'search narrows the list to one user');

  // A device: its links and QR codes, shown once.
  await page.goto(`${url}#/devices/new`);
  await page.waitForSelector('#f-user');
  await page.fill('#f-user', 'dora');
  await page.fill('#f-name', 'phone');
  await page.click('form[data-form="devices"] button[type="submit"]');
  await page.waitForSelector('#device-links .link-text');
  const links = await page.$$eval('#device-links .link-text', (els) => els.map((e) => e.textContent));
  ok(links.some((l) => l.startsWith('httvps://')), 'the device page shows its httvps:// link');
  ok(links.some((l) => l.startsWith('ss://')), 'and its ss:// link');
  ok((await page.$$('#device-links svg.qr path')).length >= 2, 'with QR codes');
  await shot(page, '04-device-links');

  // Revoke it.
  await page.click('button[data-action="revoke"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.record dd')].some((d) => d.textContent === 'revoked'));
  ok(!(await page.$('button[data-action="revoke"]')), 'the device is revoked and the button is gone');

  // The audit log shows the changes.
  await page.goto(`${url}#/audit`);
  await page.waitForSelector('#list-audit tbody tr td');
  const audit = await page.textContent('#list-audit');
  for (const action of ['plan.create', 'user.create', 'device.issue', 'device.revoke']) {
    ok(audit.includes(action), `the audit log shows ${action}`);
  }
  ok(audit.includes('admin:owner1'), 'as done by admin:owner1');
  await shot(page, '05-audit');

  // The usage chart of a user with traffic.
  await page.goto(`${url}#/users/ursula`);
  await page.waitForSelector('.charts svg.usage-chart rect.bar');
  const heights = await page.$$eval('.charts rect.bar', (els) => els.map((e) => Number(e.getAttribute('height'))));
  ok(heights.length === 10 && Math.max(...heights) > 100, `the usage chart draws ${heights.length} days of traffic`);
  await shot(page, '06-user-usage');

  // Network down: a clear message, no crash.
  await page.goto(`${url}#/nodes`);
  await page.waitForSelector('#list-nodes tbody tr');
  await page.route('**/api/**', (r) => r.abort());
  await allowing([/ERR_FAILED/], async () => {
    await page.click('button[data-action="sort"]');
    await page.waitForFunction(() => document.getElementById('banner')?.textContent.includes('Cannot reach the server'));
  });
  ok(true, 'with the network down the banner says so');
  await page.unroute('**/api/**');

  // An expired or forged token sends the owner back to the login page.
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem('httvps.session'));
    s.token = s.token.slice(0, -2) + 'xx';
    sessionStorage.setItem('httvps.session', JSON.stringify(s));
  });
  await allowing([/status of 401/], async () => {
    await page.goto(`${url}#/users`);
    await page.reload();
    await page.waitForSelector('#login-button');
  });
  ok((await page.textContent('.login')).includes('session has ended'), 'a dead token leads back to the login');
  await ctx.close();

  // A viewer sees no create buttons, and the API refuses it anyway.
  const vctx = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const vpage = await vctx.newPage();
  watch(vpage, 'viewer');
  await login(vpage, 'viewer1', process.env.VIEWER_PASSWORD);
  for (const p of ['plans', 'users', 'devices']) {
    await vpage.goto(`${url}#/${p}`);
    await vpage.waitForSelector(`#list-${p} tbody tr`);
    ok(!(await vpage.$('button[data-action="new"]')), `a viewer sees no create button on ${p}`);
  }
  await shot(vpage, '07-viewer-plans');
  const status = await allowing([/status of 403/], () => vpage.evaluate(async () => {
    const token = JSON.parse(sessionStorage.getItem('httvps.session')).token;
    const r = await fetch('/api/v1/admin/plans', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"name":"sneaky"}' });
    return r.status;
  }));
  ok(status === 403, `a viewer calling the API anyway gets ${status}`);
  await vpage.goto(`${url}#/devices/new`);
  await vpage.waitForSelector('#f-user');
  await vpage.fill('#f-user', 'dora');
  await vpage.fill('#f-name', 'tablet');
  await allowing([/status of 403/], async () => {
    await vpage.click('form[data-form="devices"] button[type="submit"]');
    await vpage.waitForFunction(() => document.getElementById('banner')?.className.includes('forbidden'));
  });
  ok((await vpage.textContent('#banner')).includes('viewer'), 'a viewer forcing the form gets the 403 in the banner');
  await vpage.click('button[data-action="logout"]');
  await vpage.waitForSelector('#login-button');
  ok(true, 'log out returns to the login page');
  await vctx.close();
} catch (e) {
  ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  await browser.close();
}
for (const p of problems) ok(false, p);
ok(problems.length === 0, 'no page or console errors');
console.log(failures === 0 ? 'browser test passed' : `${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
