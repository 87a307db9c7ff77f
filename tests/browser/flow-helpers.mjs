// What the real-browser tests of the flows (registration, login, recovery) share: Debian's
// Chromium through playwright-core, axe-core, screenshots in artifacts/, the gateway's dev
// inbox (/_dev/inbox.json), fresh lines of the Convenzione through portale-admin, keyboard
// and navigation helpers, and a quick registration of a fresh user through the real pages.
//
// The tests run through ./run-flow-tests.sh, which bootstraps a table, starts the gateway
// and sets PUBLIC_BASE_URL (and the AWS/TABLE_NAME environment portale-admin needs).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const ARTIFACTS = path.join(here, "artifacts");
export const BASE = (process.env.PUBLIC_BASE_URL || "").replace(/\/$/, "");
export const ADMIN = process.env.PORTALE_ADMIN || path.resolve(here, "../../target/debug/portale-admin");

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// The entity of the lines the tests import.
export const ENTE = "00488410010";
export const ENTE_NAME = "ENTE DI PROVA BROWSER";
/// The sender of every email (EMAIL_FROM_ADDRESS in run-flow-tests.sh) and of every SMS.
export const EMAIL_SENDER = "convenzionemobile8@telecomitalia.it";
export const SMS_SENDER_ID = "40134";
/// A user's data, as the registration tests type them.
export const NOME = "Maria";
export const COGNOME = "Bianchi";
export const CF = "RSSMRA85T10A562S";

/**
 * The personal codice fiscale of the test person who holds `number` (the same as
 * e2e::register::cf_for): one person per line, since an active account of the same person
 * in the same entity makes a new registration a duplicate, as the guide says.
 */
export function cfFor(number) {
  const d = number.replace(/\D/g, "").slice(-7).split("").map(Number);
  const letter = (x) => String.fromCharCode(66 + x);
  const first15 = `${letter(d[0])}${letter(d[1])}${letter(d[2])}MRA${d[3]}${d[4]}A1${d[5]}A56${d[6]}`;
  const odd = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
  let sum = 0;
  [...first15].forEach((c, i) => {
    const v = /\d/.test(c) ? Number(c) : c.charCodeAt(0) - 65;
    sum += i % 2 === 0 ? (/\d/.test(c) ? [1, 0, 5, 7, 9, 13, 15, 17, 19, 21][v] : odd[v]) : v;
  });
  return first15 + String.fromCharCode(65 + (sum % 26));
}
export const PASSWORD = "Girasole-Blu-2026!";
/// shared::flows::challenge::MIN_HUMAN_SECS is 2 (whole seconds): 2.1 s since the page arrived.
export const HUMAN_PAUSE_MS = 2100;
/// shared::flows::challenge::POW_BITS
export const POW_BITS = 16;
/// A hung browser or gateway fails the test instead of stalling the run.
export const TEST_TIMEOUT_MS = 180_000;

/** Checks the environment and starts Debian's Chromium. */
export async function launchBrowser() {
  assert.ok(BASE, "PUBLIC_BASE_URL is not set: run these tests through tests/browser/run-flow-tests.sh");
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

// ---------------------------------------------------------------------------------------
// Data: a fresh line of the Convenzione per test, imported like the operator does.

export function randomNumber() {
  const n = crypto.randomInt(0, 10_000_000).toString().padStart(7, "0");
  return `+39333${n}`;
}

/** `+393331234567` → `333 123 4567`, as a user types it. */
export function pretty(e164) {
  const n = e164.replace(/^\+39/, "");
  return `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
}

/** `+393331234567` → `333 *** 4567`, as the code pages show it. */
export function masked(e164) {
  const n = e164.replace(/^\+39/, "");
  return `${n.slice(0, 3)} *** ${n.slice(-4)}`;
}

/** A unique email (and username) for a test's user. */
export function randomEmail(prefix) {
  return `${prefix}.${Date.now().toString(36)}${crypto.randomInt(100000, 999999)}@example.it`;
}

/**
 * A client address of its own for a browser context (TEST-NET-2/3, never routed). The local
 * gateway plays CloudFront and never trusts an address a client sends, except
 * `x-simulated-client-ip` when it was started with GATEWAY_SIMULATED_CLIENTS=1, as
 * run-flow-tests.sh does (one host playing many users, said explicitly), so the
 * per-IP caps (registration, login, recovery) count each test's "user" apart and repeated
 * runs of the suite against the same table within an hour are not refused by them.
 */
export function randomClientIp() {
  const net = crypto.randomInt(0, 2) === 0 ? "198.51.100" : "203.0.113";
  return `${net}.${crypto.randomInt(1, 255)}`;
}

/** Imports `e164` as a line of the entity ENTE (active unless `active: false`; `profilo`
 * "utente" or "referente"). */
export function addLine(e164, { active = true, profilo = "utente" } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linee-"));
  const csv = path.join(dir, "linee.csv");
  fs.writeFileSync(csv, `numero;codice_fiscale_ente;ragione_sociale;stato;profilo\n${e164};${ENTE};${ENTE_NAME};${active ? "attiva" : "cessata"};${profilo}\n`);
  try {
    const out = execFileSync(ADMIN, ["import-lines", csv], { encoding: "utf8" });
    assert.match(out, /righe importate: 1 /, out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The dev inbox.

export async function inbox(to) {
  const resp = await fetch(`${BASE}/_dev/inbox.json?to=${encodeURIComponent(to)}`);
  assert.equal(resp.status, 200, `/_dev/inbox.json: ${resp.status}`);
  return resp.json();
}

/** Polls the inbox until `pick` finds something (LocalStack records a message when the send returns). */
export async function waitForMessage(to, pick, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = pick(await inbox(to));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} for ${to} in /_dev/inbox.json`);
    await new Promise((r) => setTimeout(r, 100)); // poll interval
  }
}

/** The SMS messages to `number` whose text contains `marker`. */
export async function smsWith(number, marker) {
  return (await inbox(number)).sms.filter((s) => s.text.includes(marker));
}

/** Waits for the `n`-th (1-based) SMS to `number` whose text contains `marker`. */
export async function waitForNthSms(number, marker, n, what) {
  return waitForMessage(number, (box) => box.sms.filter((s) => s.text.includes(marker))[n - 1], what);
}

export function codeOf(sms) {
  const m = sms.text.match(/\b(\d{6})\b/);
  assert.ok(m, `no 6-digit code in ${sms.text}`);
  return m[1];
}

/** The link after `label: ` in an email's text part. */
export function linkIn(mail, label) {
  // The button's line ("LABEL: https://…"); a sentence may name the button too.
  const link = mail.text.match(new RegExp(`${label}: (https?://\\S+)`))?.[1];
  assert.ok(link, `no "${label}: <link>" in the text part:\n${mail.text}`);
  return link;
}

/** Opens an email (its HTML part) in a page, as a mail client shows it. */
export async function showEmail(page, mail) {
  await page.setContent(mail.html, { waitUntil: "load" });
}

// ---------------------------------------------------------------------------------------
// Pages.

/**
 * A fresh browser context (its own cookies) with one page, collecting console errors,
 * uncaught exceptions, failed or refused sub-resources (a CSP violation shows up as a
 * console error). `prefix` names its screenshots. Returns the "tab" the checks take.
 */
export async function newContext(browser, { javaScriptEnabled = true, prefix = "flusso", clientIp = randomClientIp() } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled,
    reducedMotion: "reduce",
    locale: "it-IT",
    extraHTTPHeaders: clientIp ? { "x-simulated-client-ip": clientIp } : {},
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    // Chromium logs a page answered with an error status (401 wrong password, 410 used
    // link…) as "Failed to load resource"; the tests check those statuses themselves.
    // A sub-resource's error status is still caught, by the "response" listener below.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && m.location()?.url === page.url()) return;
    problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.request().resourceType() !== "document" && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  // Chromium cancels what a page still has in flight when the page navigates on (a
  // favicon loading, the passkey options /accesso asks for on load, when the test follows a
  // link at once): that is not a broken resource. So each request remembers how many
  // main-frame navigations had started before it, and an abort after a newer one is skipped.
  let navigations = 0;
  const startedAfter = new WeakMap();
  page.on("request", (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) navigations += 1;
    startedAfter.set(r, navigations);
  });
  page.on("requestfailed", (r) => {
    const movedOn = navigations > (startedAfter.get(r) ?? navigations);
    if (r.failure()?.errorText === "net::ERR_ABORTED" && !r.isNavigationRequest() && movedOn) return;
    if (r.failure()?.errorText === "net::ERR_ABORTED" && /\/assets\/favicon\.[0-9a-f]+\.svg$/.test(r.url())) return;
    problems.push(`failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  return { browser, context, page, problems, javaScriptEnabled, prefix };
}

export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.map((n) => `    - ${n.target.join(" ")}\n      ${n.html}\n      ${(n.failureSummary || "").replace(/\n/g, "\n      ")}`).join("\n");
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join("\n");
}

export async function runAxe(page) {
  // Through the DevTools protocol, so the page's CSP does not block it. axe.run needs the
  // page's timers: see runAxeWithoutScripts for pages shown without JavaScript.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations;
  }, AXE_TAGS);
}

/**
 * axe on a page shown without JavaScript. Such a page runs no timers, which axe.run needs,
 * so the very DOM it shows is audited in a scripting page at the same URL (the same CSS
 * from the gateway) whose CSP lets none of the portal's own scripts run.
 */
export async function runAxeWithoutScripts(browser, page) {
  const url = page.url();
  const html = await page.content();
  const context = await browser.newContext({ viewport: page.viewportSize(), reducedMotion: "reduce", locale: "it-IT" });
  try {
    const audit = await context.newPage();
    await audit.route(
      (u) => u.href === url,
      (route) =>
        route.fulfill({
          status: 200,
          headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": "script-src 'none'" },
          body: html,
        }),
    );
    await audit.goto(url, { waitUntil: "load" });
    assert.equal(await audit.evaluate(() => document.querySelector("summary")?.hasAttribute("aria-expanded") ?? false), false, "the portal's scripts did not run");
    return await runAxe(audit);
  } finally {
    await context.close();
  }
}

/** A screenshot, axe with 0 violations, and no console/CSP/sub-resource errors so far. */
export async function assertAccessible(t, name) {
  const { page, problems } = t;
  await page.screenshot({ path: path.join(ARTIFACTS, `${t.prefix}-${name}.png`), fullPage: true });
  const violations = t.javaScriptEnabled ? await runAxe(page) : await runAxeWithoutScripts(t.browser, page);
  assert.equal(violations.length, 0, `${name} (${page.url()}): axe violations:\n${formatViolations(violations)}`);
  assert.deepEqual(problems.splice(0), [], `${name}: console, CSP or sub-resource errors`);
}

/**
 * What the user sees on a page of a flow: its path and heading (then `also`, the page's own
 * checks); then axe (0 violations), no console/CSP/sub-resource errors, and a screenshot
 * `<prefix>-<name>.png` in artifacts/.
 */
export async function checkPage(t, name, { path: expectedPath, h1, also }) {
  const { page } = t;
  assert.equal(new URL(page.url()).pathname, expectedPath, `${name}: at ${page.url()}, page says: ${await mainText(page)}`);
  assert.equal((await page.locator("main h1").innerText()).trim(), h1, `${name}: heading (page says: ${await mainText(page)})`);
  if (also) await also();
  await assertAccessible(t, name);
}

/**
 * The accessible name and description Chromium computes for the element at `selector`
 * (what a screen reader announces for a field: its label; its hint and error).
 */
export async function accessibleNameAndDescription(page, selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send("DOM.getDocument", { depth: 0 });
    const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
    assert.ok(nodeId, `no element ${selector}`);
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { nodeId, fetchRelatives: false });
    const node = nodes[0];
    const text = (v) => (v?.value ?? "").replace(/\s+/g, " ").trim();
    return { role: text(node.role), name: text(node.name), description: text(node.description) };
  } finally {
    await cdp.detach();
  }
}

export async function mainText(page) {
  return (await page.locator("main").innerText().catch(() => "")).replace(/\s+/g, " ").trim();
}

/** Presses Tab until `locator` has the focus (as a keyboard user does), at most `max` times. */
export async function tabTo(page, locator, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await locator.evaluate((el) => el === document.activeElement)) return;
  }
  const active = await page.evaluate(() => document.activeElement?.outerHTML?.slice(0, 200));
  throw new Error(`Tab never reached ${locator}; focus is on ${active}`);
}

/**
 * Runs `action` (a key press or click) and waits for the document it leads to (after the
 * POST-redirect-GET, often at the same path) to load; it must be at `expectedPath`.
 * Returns the main document's response.
 */
export async function navigate(page, action, expectedPath) {
  const committed = new Promise((resolve) => {
    const onNav = (frame) => {
      if (frame === page.mainFrame()) {
        page.off("framenavigated", onNav);
        resolve();
      }
    };
    page.on("framenavigated", onNav);
  });
  const response = page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().frame() === page.mainFrame() && !r.request().redirectedTo(), { timeout: 30_000 }).catch(() => null);
  await action();
  await withTimeout(committed, 30_000, () => `no navigation after the action; the page is still ${page.url()}`);
  await page.waitForLoadState("load");
  assert.equal(new URL(page.url()).pathname, expectedPath, `landed on ${page.url()}: ${await mainText(page)}`);
  return response;
}

export async function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The step-1 challenge needs ≥ 2 whole seconds since it was issued, i.e. since the server
 * answered the page: waits on the clock until 2.1 s after the response began. (Polled from
 * here: with JavaScript disabled the page runs no timers, so page.waitForFunction cannot.)
 */
export async function humanPause(page) {
  const servedAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByType("navigation")[0].responseStart);
  assert.ok(servedAt > 0 && servedAt <= Date.now(), `response time ${servedAt}`);
  while (Date.now() < servedAt + HUMAN_PAUSE_MS) {
    await new Promise((r) => setTimeout(r, 50)); // poll interval of the clock condition
  }
}

export function powOk(nonce, counter) {
  const d = crypto.createHash("sha256").update(`${nonce}:${counter}`).digest();
  let zeros = 0;
  for (const b of d) {
    if (b === 0) {
      zeros += 8;
      continue;
    }
    zeros += Math.clz32(b) - 24;
    break;
  }
  return zeros >= POW_BITS;
}

// ---------------------------------------------------------------------------------------
// A registered user, for the login and recovery tests.

/**
 * A fresh user: imports a fresh line, then registers it through the real pages (in a
 * browser context of its own, without JavaScript: native form submissions, the slider
 * clicked at its end), reading the SMS code and the confirmation link from the inbox.
 * No page checks here: registration.test.mjs checks these pages. `prosegui`: the person
 * (`cf`) already has an account in the entity, and the registration goes on past it; found
 * by person only (this is another SIM), it waits for the old owner's proof, given here by
 * the link emailed to `previous` (the old registration's address). `handOver`: a browser
 * context that gets this one's cookies at the last page (to show it with JavaScript).
 */
export async function registerUser(browser, { prefix = "utente", nome = NOME, cognome = COGNOME, cf, password = PASSWORD, prosegui = false, previous, profilo = "utente", handOver } = {}) {
  const number = randomNumber();
  cf ??= cfFor(number);
  const email = randomEmail(prefix);
  addLine(number, { profilo });
  const t = await newContext(browser, { javaScriptEnabled: false, prefix: `registrazione-${prefix}` });
  const { page } = t;
  try {
    await page.goto(`${BASE}/registrazione/numero`);
    await page.getByLabel("Numero mobile TIM in Convenzione 8").fill(pretty(number));
    const slider = page.getByRole("slider", { name: /Barra di controllo/ });
    const box = await slider.boundingBox();
    await slider.click({ position: { x: box.width - 1, y: box.height / 2 } });
    assert.equal(await slider.inputValue(), "100", "the slider is at the right end");
    await humanPause(page);
    await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/codice");
    const sms = await waitForMessage(number, (b) => b.sms.at(-1), "registration SMS");
    await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
    await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/dati");
    await page.getByLabel("Nome", { exact: true }).fill(nome);
    await page.getByLabel("Cognome").fill(cognome);
    await page.getByLabel("Codice Fiscale personale").fill(cf);
    if (prosegui) {
      // The same person already registered in the entity: the page offers PROSEGUI.
      await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/dati");
      assert.ok(previous, "the old registration's address, to confirm from");
      await navigate(page, () => page.getByRole("button", { name: "PROSEGUI" }).click(), "/registrazione/dati");
      assert.match(await mainText(page), /è necessaria la conferma del suo titolare/);
      const request = await waitForMessage(previous, (box) => box.emails.findLast((m) => m.subject.startsWith("Richiesta di cessazione")), "cease request email");
      await navigate(page, () => page.goto(linkIn(request, "CONFERMA LA CESSAZIONE")), "/registrazione/conferma-cessazione");
      await navigate(page, () => page.getByRole("button", { name: "CONFERMA LA CESSAZIONE" }).click(), "/registrazione/conferma-cessazione");
      assert.match(await mainText(page), /Cessazione confermata/);
      await navigate(page, () => page.goto(`${BASE}/registrazione/dati`), "/registrazione/email");
    } else {
      await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/email");
    }
    await page.getByLabel("Email", { exact: true }).fill(email);
    await navigate(page, () => page.getByRole("button", { name: "SALVA" }).click(), "/registrazione/email");
    await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/email");
    const mail = await waitForMessage(email, (box) => box.emails.findLast((m) => m.subject.includes("Conferma")), "confirmation email");
    await navigate(page, () => page.goto(linkIn(mail, "CONFERMA EMAIL")), "/registrazione/conferma-email");
    await navigate(page, () => page.getByRole("button", { name: "CONFERMA EMAIL" }).click(), "/registrazione/conferma-email");
    await navigate(page, () => page.getByRole("link", { name: "CREA PASSWORD" }).click(), "/registrazione/password");
    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Conferma password").fill(password);
    await page.getByRole("checkbox", { name: /Termini e condizioni generali/ }).check();
    await page.getByRole("checkbox", { name: /Informativa privacy/ }).check();
    await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/esito");
    assert.match(await mainText(page), /Richiesta inviata con successo/);
    // `handOver`: another browser context goes on from the last page (its flow's cookie).
    if (handOver) await handOver.addCookies(await t.context.cookies(BASE));
  } finally {
    await t.context.close();
  }
  return { number, email, username: email, password, nome, cognome, cf };
}
