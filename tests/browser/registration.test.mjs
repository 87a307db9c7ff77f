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
import path from "node:path";
import {
  ARTIFACTS,
  BASE,
  cfFor,
  COGNOME,
  EMAIL_SENDER,
  ENTE,
  ENTE_NAME,
  NOME,
  PASSWORD,
  SMS_SENDER_ID,
  TEST_TIMEOUT_MS,
  addLine,
  checkPage as checkFlowPage,
  codeOf,
  humanPause,
  launchBrowser,
  mainText,
  navigate,
  newContext,
  powOk,
  pretty,
  randomNumber,
  showEmail,
  tabTo,
  waitForMessage,
} from "./flow-helpers.mjs";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * A page of the registration: its path, heading and the stepper's current step; then axe
 * (0 violations), no console/CSP/sub-resource errors, and a screenshot in artifacts/.
 */
async function checkPage(t, name, { path: expectedPath, h1, step }) {
  const { page } = t;
  await checkFlowPage(t, name, {
    path: expectedPath,
    h1,
    also: async () => {
      if (!step) return;
      const current = page.locator('nav[aria-label="Passaggi della registrazione"] [aria-current="step"]');
      assert.match(await current.innerText(), new RegExp(`Passo ${step}:`), `${name}: the stepper marks step ${step}`);
      assert.match(await page.locator("main").innerText(), new RegExp(`passo ${step} di 6`), `${name}: "passo ${step} di 6"`);
    },
  });
}

// ---------------------------------------------------------------------------------------
// The shared checks of the emails.

async function confirmationEmail(email) {
  const mail = await waitForMessage(email, (box) => box.emails.findLast((m) => m.subject.includes("Conferma")), "confirmation email");
  assert.ok(mail.from.includes(EMAIL_SENDER), `sender: ${mail.from}`);
  assert.match(mail.from, /TIM/, `sender name: ${mail.from}`);
  const link = mail.text.match(/CONFERMA EMAIL: (\S+)/)?.[1];
  assert.ok(link?.startsWith(`${BASE}/registrazione/conferma-email?t=`), `link in the text part: ${mail.text}`);
  return { mail, link };
}

async function assertSummaryEmail(email, number) {
  const mail = await waitForMessage(email, (box) => box.emails.find((m) => m.subject.includes("Registrazione completata")), "summary email");
  assert.ok(mail.from.includes(EMAIL_SENDER), `sender: ${mail.from}`);
  const national = number.replace(/^\+39/, "");
  for (const field of [
    `Nome e Cognome: ${NOME} ${COGNOME}`,
    `Ragione Sociale Ente/Amministrazione: ${ENTE_NAME}`,
    `C.F. Ente/Amministrazione: ${ENTE}`,
    `Codice Fiscale Personale: ${cfFor(number)}`,
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

// ---------------------------------------------------------------------------------------

test("registrazione completa con la sola tastiera (slider incluso, proof-of-work JavaScript)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const number = randomNumber();
  const email = `tastiera.${crypto.randomInt(100000, 999999)}@example.it`;
  addLine(number);
  const desk = await newContext(browser, { javaScriptEnabled: true, prefix: "registrazione-tastiera" });
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
  assert.equal(sms.sender_id, SMS_SENDER_ID);
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
  await kb.type(cfFor(number));
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
  const phone = await newContext(browser, { javaScriptEnabled: true, prefix: "registrazione-tastiera" });
  await showEmail(phone.page, mail);
  const button = phone.page.getByRole("link", { name: "CONFERMA EMAIL" });
  assert.equal(await button.getAttribute("href"), link, "the button and the text carry the same link");
  await tabTo(phone.page, button);
  await navigate(phone.page, () => phone.page.keyboard.press("Enter"), "/registrazione/conferma-email");
  // Opening the link changes nothing (mail scanners open links): its button confirms.
  await checkPage(phone, "4-conferma-email", { path: "/registrazione/conferma-email", h1: "Conferma il tuo indirizzo email", step: 4 });
  await tabTo(phone.page, phone.page.getByRole("button", { name: "CONFERMA EMAIL" }));
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
  const desk = await newContext(browser, { javaScriptEnabled: false, prefix: "registrazione-senza-js" });
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
  assert.equal(sms.sender_id, SMS_SENDER_ID);
  await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/registrazione/dati");

  // Step 3.
  await checkPage(desk, "3-dati", { path: "/registrazione/dati", h1: "Inserisci i tuoi dati e quelli dell'Ente/Amministrazione", step: 3 });
  assert.equal(await page.getByLabel("Codice Fiscale dell'Ente/Amministrazione").inputValue(), ENTE);
  await page.getByLabel("Nome", { exact: true }).fill(NOME);
  await page.getByLabel("Cognome").fill(COGNOME);
  await page.getByLabel("Codice Fiscale personale").fill(cfFor(number));
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
  const phone = await newContext(browser, { javaScriptEnabled: false, prefix: "registrazione-senza-js" });
  await showEmail(phone.page, mail);
  const button = phone.page.getByRole("link", { name: "CONFERMA EMAIL" });
  assert.equal(await button.getAttribute("href"), link);
  await navigate(phone.page, () => button.click(), "/registrazione/conferma-email");
  await checkPage(phone, "4-conferma-email-senza-js", { path: "/registrazione/conferma-email", h1: "Conferma il tuo indirizzo email", step: 4 });
  await navigate(phone.page, () => phone.page.getByRole("button", { name: "CONFERMA EMAIL" }).click(), "/registrazione/conferma-email");
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
