// The whole registration (guide, section 3) in Debian's Chromium against the real local
// gateway and the real LocalStack: once with the keyboard only (the slider included, with
// JavaScript, so the page's proof-of-work runs for real) and once with JavaScript disabled
// (native form submissions, the slider moved with the mouse). On every page: the heading
// and step the user sees, axe-core with 0 violations, no console/CSP errors, a screenshot
// in artifacts/. SMS codes and emails come from the gateway's dev inbox (/_dev/inbox.json);
// the CONFERMA EMAIL link is opened from the rendered email in another browser context.
//
// Run through ./run-flow-tests.sh, which bootstraps a table, starts the gateway and sets
// PUBLIC_BASE_URL (and the AWS/TABLE_NAME environment portale-admin needs).
import { test, before, after } from "node:test";
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
const ARTIFACTS = path.join(here, "artifacts");
const BASE = (process.env.PUBLIC_BASE_URL || "").replace(/\/$/, "");
const ADMIN = process.env.PORTALE_ADMIN || path.resolve(here, "../../target/debug/portale-admin");

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const ENTE = "00488410010";
const ENTE_NAME = "ENTE DI PROVA BROWSER";
const NOME = "Maria";
const COGNOME = "Bianchi";
const CF = "RSSMRA85T10A562S";
const PASSWORD = "Girasole-Blu-2026!";
const SENDER = "convenzionemobile8@telecomitalia.it";
/// shared::flows::challenge::MIN_HUMAN_SECS is 2 (whole seconds): 2.1 s since the page arrived.
const HUMAN_PAUSE_MS = 2100;
/// shared::flows::challenge::POW_BITS
const POW_BITS = 16;
/// A hung browser or gateway fails the test instead of stalling the run.
const TEST_TIMEOUT_MS = 180_000;

let browser;

before(async () => {
  assert.ok(BASE, "PUBLIC_BASE_URL is not set: run these tests through tests/browser/run-flow-tests.sh");
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
});

// ---------------------------------------------------------------------------------------
// Data: a fresh line of the Convenzione per test, imported like the operator does.

function randomNumber() {
  const n = crypto.randomInt(0, 10_000_000).toString().padStart(7, "0");
  return `+39333${n}`;
}

function pretty(e164) {
  const n = e164.replace(/^\+39/, "");
  return `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
}

function addLine(e164) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linee-"));
  const csv = path.join(dir, "linee.csv");
  fs.writeFileSync(csv, `numero;codice_fiscale_ente;ragione_sociale;stato\n${e164};${ENTE};${ENTE_NAME};attiva\n`);
  try {
    const out = execFileSync(ADMIN, ["import-lines", csv], { encoding: "utf8" });
    assert.match(out, /righe importate: 1 /, out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// The dev inbox.

async function inbox(to) {
  const resp = await fetch(`${BASE}/_dev/inbox.json?to=${encodeURIComponent(to)}`);
  assert.equal(resp.status, 200, `/_dev/inbox.json: ${resp.status}`);
  return resp.json();
}

/** Polls the inbox until `pick` finds something (LocalStack records a message when the send returns). */
async function waitForMessage(to, pick, what) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = pick(await inbox(to));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} for ${to} in /_dev/inbox.json`);
    await new Promise((r) => setTimeout(r, 100)); // poll interval
  }
}

function codeOf(sms) {
  const m = sms.text.match(/\b(\d{6})\b/);
  assert.ok(m, `no 6-digit code in ${sms.text}`);
  return m[1];
}

// ---------------------------------------------------------------------------------------
// Pages.

async function newContext({ javaScriptEnabled }) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled,
    reducedMotion: "reduce",
    locale: "it-IT",
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.request().resourceType() !== "document" && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on("requestfailed", (r) => problems.push(`failed ${r.url()}: ${r.failure()?.errorText}`));
  return { context, page, problems, javaScriptEnabled };
}

function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.map((n) => `    - ${n.target.join(" ")}\n      ${n.html}\n      ${(n.failureSummary || "").replace(/\n/g, "\n      ")}`).join("\n");
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join("\n");
}

async function runAxe(page) {
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
async function runAxeWithoutScripts(page) {
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

/**
 * What the user sees on a page of the flow: its path, heading, the stepper's current step;
 * then axe (0 violations), no console/CSP/sub-resource errors, and a screenshot.
 */
async function checkPage(t, name, { path: expectedPath, h1, step }) {
  const { page, problems } = t;
  assert.equal(new URL(page.url()).pathname, expectedPath, `${name}: at ${page.url()}, page says: ${await mainText(page)}`);
  assert.equal((await page.locator("main h1").innerText()).trim(), h1, `${name}: heading`);
  if (step) {
    const current = page.locator('nav[aria-label="Passaggi della registrazione"] [aria-current="step"]');
    assert.match(await current.innerText(), new RegExp(`Passo ${step}:`), `${name}: the stepper marks step ${step}`);
    assert.match(await page.locator("main").innerText(), new RegExp(`passo ${step} di 6`), `${name}: "passo ${step} di 6"`);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, `registrazione-${t.mode}-${name}.png`), fullPage: true });
  const violations = t.javaScriptEnabled ? await runAxe(page) : await runAxeWithoutScripts(page);
  assert.equal(violations.length, 0, `${name} (${page.url()}): axe violations:\n${formatViolations(violations)}`);
  assert.deepEqual(problems.splice(0), [], `${name}: console, CSP or sub-resource errors`);
}

async function mainText(page) {
  return (await page.locator("main").innerText().catch(() => "")).replace(/\s+/g, " ").trim();
}

/** Presses Tab until `locator` has the focus (as a keyboard user does), at most `max` times. */
async function tabTo(page, locator, max = 40) {
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
 */
async function navigate(page, action, expectedPath) {
  const committed = new Promise((resolve) => {
    const onNav = (frame) => {
      if (frame === page.mainFrame()) {
        page.off("framenavigated", onNav);
        resolve();
      }
    };
    page.on("framenavigated", onNav);
  });
  await action();
  await withTimeout(committed, 30_000, () => `no navigation after the action; the page is still ${page.url()}`);
  await page.waitForLoadState("load");
  assert.equal(new URL(page.url()).pathname, expectedPath, `landed on ${page.url()}: ${await mainText(page)}`);
}

async function withTimeout(promise, ms, message) {
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
async function humanPause(page) {
  const servedAt = await page.evaluate(() => performance.timeOrigin + performance.getEntriesByType("navigation")[0].responseStart);
  assert.ok(servedAt > 0 && servedAt <= Date.now(), `response time ${servedAt}`);
  while (Date.now() < servedAt + HUMAN_PAUSE_MS) {
    await new Promise((r) => setTimeout(r, 50)); // poll interval of the clock condition
  }
}

function powOk(nonce, counter) {
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
// The shared checks of the emails.

async function confirmationEmail(email) {
  const mail = await waitForMessage(email, (box) => box.emails.findLast((m) => m.subject.includes("Conferma")), "confirmation email");
  assert.ok(mail.from.includes(SENDER), `sender: ${mail.from}`);
  assert.match(mail.from, /TIM/, `sender name: ${mail.from}`);
  const link = mail.text.match(/CONFERMA EMAIL: (\S+)/)?.[1];
  assert.ok(link?.startsWith(`${BASE}/registrazione/conferma-email?t=`), `link in the text part: ${mail.text}`);
  return { mail, link };
}

async function assertSummaryEmail(email, number) {
  const mail = await waitForMessage(email, (box) => box.emails.find((m) => m.subject.includes("Registrazione completata")), "summary email");
  assert.ok(mail.from.includes(SENDER), `sender: ${mail.from}`);
  const national = number.replace(/^\+39/, "");
  for (const field of [
    `Nome e Cognome: ${NOME} ${COGNOME}`,
    `Ragione Sociale Ente/Amministrazione: ${ENTE_NAME}`,
    `C.F. Ente/Amministrazione: ${ENTE}`,
    `Codice Fiscale Personale: ${CF}`,
    `Numero Mobile: ${national}`,
    `Email: ${email}`,
    `Username: ${email}`,
  ]) {
    assert.ok(mail.text.includes(field), `the summary email lacks ${JSON.stringify(field)}:\n${mail.text}`);
  }
  assert.match(mail.html, /cliccando qui/);
  assert.match(mail.html, new RegExp(`href="${BASE}/accesso"`));
  return mail;
}

/** Opens the confirmation email (its HTML part) in a page, as a mail client shows it. */
async function showEmail(page, mail) {
  await page.setContent(mail.html, { waitUntil: "load" });
}

// ---------------------------------------------------------------------------------------

test("registrazione completa con la sola tastiera (slider incluso, proof-of-work JavaScript)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const number = randomNumber();
  const email = `tastiera.${crypto.randomInt(100000, 999999)}@example.it`;
  addLine(number);
  const desk = { ...(await newContext({ javaScriptEnabled: true })), mode: "tastiera" };
  const { page } = desk;
  const kb = page.keyboard;

  // From the home page: REGISTRATI ORA.
  await page.goto(`${BASE}/`);
  await tabTo(page, page.getByRole("link", { name: "REGISTRATI ORA" }));
  await navigate(page, () => kb.press("Enter"), "/registrazione/numero");

  // Step 1: number, slider (arrow keys, then End), AVANTI.
  await checkPage(desk, "1-numero", { path: "/registrazione/numero", h1: "Inserisci il numero aziendale", step: 1 });
  await tabTo(page, page.getByLabel("Numero mobile TIM in Convenzione 8"));
  await kb.type(pretty(number));
  const slider = page.getByRole("slider", { name: /Barra di controllo/ });
  await tabTo(page, slider);
  for (let i = 0; i < 3; i++) await kb.press("ArrowRight");
  assert.equal(await slider.inputValue(), "3", "the arrow keys move the slider");
  assert.match(await slider.getAttribute("aria-valuetext"), /3 per cento/);
  await kb.press("End");
  assert.equal(await slider.inputValue(), "100", "End reaches the end value");
  assert.match(await slider.getAttribute("aria-valuetext"), /fine corsa/);
  // The page's site.js solves the proof-of-work while the slider moves.
  const nonce = await slider.getAttribute("data-pow-nonce");
  assert.ok(nonce, "the slider carries the challenge's nonce");
  await page.waitForFunction(() => document.querySelector("input[name=pow]").value !== "");
  await humanPause(page);
  await tabTo(page, page.getByRole("button", { name: "AVANTI" }));
  const [post] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/registrazione/numero"),
    navigate(page, () => kb.press("Enter"), "/registrazione/codice"),
  ]);
  const sent = new URLSearchParams(post.postData());
  assert.equal(sent.get("conferma"), "100", "the slider's value was posted");
  assert.equal(sent.get("numero"), pretty(number));
  assert.match(sent.get("pow"), /^\d+$/, "the proof-of-work was posted");
  assert.ok(powOk(nonce, sent.get("pow")), `pow ${sent.get("pow")} solves nonce ${nonce}`);

  // Step 2: the SMS code.
  await checkPage(desk, "2-codice", { path: "/registrazione/codice", h1: "Inserisci il codice temporaneo", step: 2 });
  const sms = await waitForMessage(number, (box) => box.sms.at(-1), "SMS");
  assert.equal(sms.sender_id, "40134");
  const code = codeOf(sms);
  assert.equal(sms.text, `Usa il codice temporaneo ${code} per proseguire con la registrazione all'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8`);
  assert.match(await mainText(page), new RegExp(`sul numero ${number.slice(3, 6)} \\*\\*\\* ${number.slice(-4)}`), "the masked number");
  await tabTo(page, page.getByLabel("Codice temporaneo"));
  await kb.type(code);
  await tabTo(page, page.getByRole("button", { name: "AVANTI" }));
  await navigate(page, () => kb.press("Enter"), "/registrazione/dati");

  // Step 3: personal data; the entity's code is pre-filled from the SIM.
  await checkPage(desk, "3-dati", { path: "/registrazione/dati", h1: "Inserisci i tuoi dati e quelli dell'Ente/Amministrazione", step: 3 });
  assert.equal(await page.getByLabel("Codice Fiscale dell'Ente/Amministrazione").inputValue(), ENTE);
  await tabTo(page, page.getByLabel("Nome", { exact: true }));
  await kb.type(NOME);
  await tabTo(page, page.getByLabel("Cognome"));
  await kb.type(COGNOME);
  await tabTo(page, page.getByLabel("Codice Fiscale personale"));
  await kb.type(CF);
  await tabTo(page, page.getByRole("button", { name: "AVANTI" }));
  await navigate(page, () => kb.press("Enter"), "/registrazione/email");

  // Step 4: email (SALVA), the proposed username, AVANTI.
  await checkPage(desk, "4-email", { path: "/registrazione/email", h1: "Inserisci la tua email", step: 4 });
  assert.match(await mainText(page), /non sono ammessi indirizzi di Posta Elettronica Certificata \(PEC\)/);
  await tabTo(page, page.getByLabel("Email", { exact: true }));
  await kb.type(email);
  await tabTo(page, page.getByRole("button", { name: "SALVA" }));
  await navigate(page, () => kb.press("Enter"), "/registrazione/email");
  await checkPage(desk, "4-username", { path: "/registrazione/email", h1: "Scegli la tua username", step: 4 });
  assert.match(await mainText(page), new RegExp(`Username: ${email.replace(/\./g, "\\.")}`), "the email is proposed as username");
  assert.ok(await page.getByRole("link", { name: "MODIFICA", exact: true }).isVisible());
  await tabTo(page, page.getByRole("button", { name: "AVANTI" }));
  await navigate(page, () => kb.press("Space"), "/registrazione/email");
  await checkPage(desk, "4-email-inviata", { path: "/registrazione/email", h1: "Conferma la tua email", step: 4 });
  const sentText = await mainText(page);
  assert.ok(sentText.includes(`Ti abbiamo inviato una email all'indirizzo ${email}`), sentText);
  assert.ok(sentText.includes("Posta indesiderata"), "the spam-folder hint");
  assert.ok(await page.getByRole("button", { name: "INVIA DI NUOVO" }).isVisible(), "a way to resend");

  // The CONFERMA EMAIL link, opened on "the phone": another browser context, its own cookies.
  const { mail, link } = await confirmationEmail(email);
  const phone = { ...(await newContext({ javaScriptEnabled: true })), mode: "tastiera" };
  await showEmail(phone.page, mail);
  const button = phone.page.getByRole("link", { name: "CONFERMA EMAIL" });
  assert.equal(await button.getAttribute("href"), link, "the button and the text carry the same link");
  await tabTo(phone.page, button);
  await navigate(phone.page, () => phone.page.keyboard.press("Enter"), "/registrazione/conferma-email");
  await checkPage(phone, "4-email-confermata", { path: "/registrazione/conferma-email", h1: "Email Confermata", step: 4 });
  assert.match(await mainText(phone.page), /Gentile utente, grazie per aver confermato il tuo indirizzo email\./);
  assert.equal((await phone.context.cookies()).filter((c) => c.name === "reg_flow").length, 1, "the flow moved to the phone's cookie");

  // Step 5 on the phone, keyboard only: password, confirmation, both acceptances.
  await tabTo(phone.page, phone.page.getByRole("link", { name: "CREA PASSWORD" }));
  await navigate(phone.page, () => phone.page.keyboard.press("Enter"), "/registrazione/password");
  await checkPage(phone, "5-password", { path: "/registrazione/password", h1: "Scegli la password e accetta le condizioni", step: 5 });
  const pk = phone.page.keyboard;
  await tabTo(phone.page, phone.page.getByLabel("Password", { exact: true }));
  await pk.type(PASSWORD);
  await tabTo(phone.page, phone.page.getByLabel("Conferma password"));
  await pk.type(PASSWORD);
  const terms = phone.page.getByRole("checkbox", { name: /Termini e condizioni generali/ });
  const privacy = phone.page.getByRole("checkbox", { name: /Informativa privacy/ });
  await tabTo(phone.page, terms);
  await pk.press("Space");
  await tabTo(phone.page, privacy);
  await pk.press("Space");
  assert.ok((await terms.isChecked()) && (await privacy.isChecked()), "Space ticks both boxes");
  await tabTo(phone.page, phone.page.getByRole("button", { name: "AVANTI" }));
  await navigate(phone.page, () => pk.press("Enter"), "/registrazione/esito");

  // Step 6.
  await checkPage(phone, "6-esito", { path: "/registrazione/esito", h1: "Richiesta inviata con successo", step: 6 });
  assert.match(await mainText(phone.page), /Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso\./);
  assert.equal(await phone.page.locator("main").getByRole("link", { name: "ACCEDI", exact: true }).getAttribute("href"), "/accesso");
  const summary = await assertSummaryEmail(email, number);
  await showEmail(phone.page, summary);
  await phone.page.screenshot({ path: path.join(ARTIFACTS, "registrazione-tastiera-email-riepilogo.png"), fullPage: true });

  // The desk browser's cookie no longer carries the flow: it starts over.
  await page.goto(`${BASE}/registrazione/password`);
  assert.equal(new URL(page.url()).pathname, "/registrazione/numero");
  await desk.context.close();
  await phone.context.close();
});

test("registrazione completa senza JavaScript (invii nativi dei moduli, slider col mouse)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const number = randomNumber();
  const email = `senzajs.${crypto.randomInt(100000, 999999)}@example.it`;
  addLine(number);
  const desk = { ...(await newContext({ javaScriptEnabled: false })), mode: "senza-js" };
  const { page } = desk;

  await page.goto(`${BASE}/`);
  await navigate(page, () => page.getByRole("link", { name: "REGISTRATI ORA" }).click(), "/registrazione/numero");

  // Step 1: the native range input dragged from the left end to the right end.
  await checkPage(desk, "1-numero", { path: "/registrazione/numero", h1: "Inserisci il numero aziendale", step: 1 });
  await page.getByLabel("Numero mobile TIM in Convenzione 8").fill(pretty(number));
  const slider = page.getByRole("slider", { name: /Barra di controllo/ });
  // With JavaScript disabled Chromium never acknowledges pointer moves while a range input
  // is being dragged (Playwright's mouse.move would wait forever), so the pointer moves the
  // cursor with a click at the right end of the bar, which a native range input also honours.
  const box = await slider.boundingBox();
  assert.equal(await slider.inputValue(), "0", "the cursor starts at the left end");
  await slider.click({ position: { x: box.width - 1, y: box.height / 2 } });
  assert.equal(await slider.inputValue(), "100", "the cursor is at the right end");
  await humanPause(page);
  const [post] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/registrazione/numero"),
    navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/codice"),
  ]);
  const sent = new URLSearchParams(post.postData());
  assert.equal(sent.get("conferma"), "100");
  assert.equal(sent.get("pow"), "", "no JavaScript, no proof-of-work");

  // Step 2.
  await checkPage(desk, "2-codice", { path: "/registrazione/codice", h1: "Inserisci il codice temporaneo", step: 2 });
  const sms = await waitForMessage(number, (b) => b.sms.at(-1), "SMS");
  assert.equal(sms.sender_id, "40134");
  await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/dati");

  // Step 3.
  await checkPage(desk, "3-dati", { path: "/registrazione/dati", h1: "Inserisci i tuoi dati e quelli dell'Ente/Amministrazione", step: 3 });
  assert.equal(await page.getByLabel("Codice Fiscale dell'Ente/Amministrazione").inputValue(), ENTE);
  await page.getByLabel("Nome", { exact: true }).fill(NOME);
  await page.getByLabel("Cognome").fill(COGNOME);
  await page.getByLabel("Codice Fiscale personale").fill(CF);
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/email");

  // Step 4.
  await checkPage(desk, "4-email", { path: "/registrazione/email", h1: "Inserisci la tua email", step: 4 });
  await page.getByLabel("Email", { exact: true }).fill(email);
  await navigate(page, () => page.getByRole("button", { name: "SALVA" }).click(), "/registrazione/email");
  await checkPage(desk, "4-username", { path: "/registrazione/email", h1: "Scegli la tua username", step: 4 });
  assert.ok((await mainText(page)).includes(`Username: ${email}`), "the email is proposed as username");
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/email");
  await checkPage(desk, "4-email-inviata", { path: "/registrazione/email", h1: "Conferma la tua email", step: 4 });
  assert.ok((await mainText(page)).includes(`Ti abbiamo inviato una email all'indirizzo ${email}`));

  // The link in another browser context (JavaScript disabled there too).
  const { mail, link } = await confirmationEmail(email);
  const phone = { ...(await newContext({ javaScriptEnabled: false })), mode: "senza-js" };
  await showEmail(phone.page, mail);
  const button = phone.page.getByRole("link", { name: "CONFERMA EMAIL" });
  assert.equal(await button.getAttribute("href"), link);
  await navigate(phone.page, () => button.click(), "/registrazione/conferma-email");
  await checkPage(phone, "4-email-confermata", { path: "/registrazione/conferma-email", h1: "Email Confermata", step: 4 });
  assert.match(await mainText(phone.page), /Gentile utente, grazie per aver confermato il tuo indirizzo email\./);
  await navigate(phone.page, () => phone.page.getByRole("link", { name: "CREA PASSWORD" }).click(), "/registrazione/password");

  // Step 5.
  await checkPage(phone, "5-password", { path: "/registrazione/password", h1: "Scegli la password e accetta le condizioni", step: 5 });
  await phone.page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await phone.page.getByLabel("Conferma password").fill(PASSWORD);
  await phone.page.getByRole("checkbox", { name: /Termini e condizioni generali/ }).check();
  await phone.page.getByRole("checkbox", { name: /Informativa privacy/ }).check();
  await navigate(phone.page, () => phone.page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/esito");

  // Step 6.
  await checkPage(phone, "6-esito", { path: "/registrazione/esito", h1: "Richiesta inviata con successo", step: 6 });
  assert.match(await mainText(phone.page), /Ti abbiamo inviato una email per ricordarti i tuoi dati di accesso\./);
  assert.equal(await phone.page.locator("main").getByRole("link", { name: "ACCEDI", exact: true }).getAttribute("href"), "/accesso");
  await assertSummaryEmail(email, number);

  await desk.context.close();
  await phone.context.close();
});
