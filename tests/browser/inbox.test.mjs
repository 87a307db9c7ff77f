// The dev inbox (/_dev/inbox, MailHog's job) and the emails as a mail client shows them,
// in Debian's Chromium against the real local gateway and the real LocalStack, without
// JavaScript (the filter is a GET form, "svuota" a POST form): a user registers, asks for
// the username, sets a new password, then registers again with another SIM (PROSEGUI: the
// old account's owner confirms by the emailed link, and it is ceased): seven emails, one of
// each kind; the inbox filtered by the user's address and by the number keeps
// what was typed and lists the messages newest first; each email opens as HTML in a
// sandboxed frame (its links open a new tab) and as text (its links clickable); "svuota"
// on the filtered view removes only those messages. Every page: axe with 0 violations at
// 375 and 1280 px, a screenshot. Each email alone (as a mail client shows it): axe and a
// screenshot at 375 and 1280 px, in artifacts/email-*.png.
//
// Run through ./run-flow-tests.sh inbox.test.mjs (it starts the gateway and LocalStack's
// table). The shared LocalStack holds other people's messages: this test only ever clears
// the ones of its own fresh user (the filtered "svuota").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  ARTIFACTS,
  BASE,
  EMAIL_SENDER,
  codeOf,
  waitForNthSms,
  TEST_TIMEOUT_MS,
  assertAccessible,
  formatViolations,
  inbox,
  linkIn,
  mainText,
  navigate,
  newContext,
  pretty,
  registerUser,
  runAxe,
  showEmail,
  launchBrowser,
  waitForMessage,
} from "./flow-helpers.mjs";

let browser;
const NEW_PASSWORD = "Lanterna-Verde-2027?";

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const WIDTHS = [375, 1280];

/** A file-name slug of an email's subject ("Conferma il tuo indirizzo email - …" → "conferma-il-tuo-indirizzo-email"). */
function slug(subject) {
  return subject
    .split(" - ")[0]
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

test("posta di sviluppo: filtro, email in HTML e in testo, svuota", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "posta" });
  const desk = await newContext(browser, { javaScriptEnabled: false, prefix: "posta" });
  const { page } = desk;

  // More emails: the username (recovery mode 1), a reset link (mode 2) used to set a new
  // password (the "password changed" email).
  await page.goto(`${BASE}/recupero?modalita=username`);
  await page.getByLabel("Numero mobile TIM in Convenzione 8").fill(pretty(user.number));
  await page.getByLabel("Codice Fiscale personale").fill(user.cf);
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/recupero");
  await page.goto(`${BASE}/recupero?modalita=password`);
  await page.getByLabel("Username").fill(user.username);
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/recupero");
  const reset = await waitForMessage(user.email, (box) => box.emails.find((m) => m.subject.startsWith("Scegli una nuova password")), "reset email");
  await navigate(page, () => page.goto(linkIn(reset, "SCEGLI UNA NUOVA PASSWORD")), "/recupero/nuova-password");
  await navigate(page, () => page.getByRole("button", { name: "INVIA IL CODICE" }).click(), "/recupero/codice");
  const code = await waitForNthSms(user.number, "per recuperare le credenziali", 1, "recovery SMS");
  await page.getByLabel("Codice temporaneo").fill(codeOf(code));
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/recupero/nuova-password");
  await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Conferma password").fill(NEW_PASSWORD);
  await navigate(page, () => page.getByRole("button", { name: "SALVA" }).click(), "/accesso");
  await waitForMessage(user.email, (box) => box.emails.find((m) => m.subject.startsWith("La tua password è stata modificata")), "password-changed email");
  // The same person registers again with another SIM and goes on (PROSEGUI, confirmed by
  // the link emailed to the old address): the old account is ceased, and its owner told.
  await registerUser(browser, { prefix: "posta.nuova", cf: user.cf, prosegui: true, previous: user.email });
  const ceased = await waitForMessage(user.email, (box) => box.emails.find((m) => m.subject.startsWith("La tua registrazione è stata cessata")), "ceased email");
  const subjects = (await inbox(user.email)).emails.map((m) => m.subject);
  assert.equal(subjects.length, 7, `seven emails, one of each kind: ${subjects}`);

  // The inbox filtered by the address: what was typed stays, newest first.
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${BASE}/_dev/inbox`);
    await page.getByLabel("Filtra per numero o indirizzo email").fill(user.email);
    await navigate(page, () => page.getByRole("button", { name: "Filtra" }).click(), "/_dev/inbox");
    assert.equal(new URL(page.url()).searchParams.get("q"), user.email, "a GET form");
    assert.equal(await page.getByLabel("Filtra per numero o indirizzo email").inputValue(), user.email, "what was typed stays");
    assert.equal((await page.locator("main h1").innerText()).trim(), "Posta in arrivo di sviluppo");
    const rows = page.getByRole("region", { name: "Email" }).getByRole("listitem");
    assert.equal(await rows.count(), 7);
    assert.equal(await rows.first().getByRole("heading").innerText(), ceased.subject, "the newest first");
    assert.match(await rows.first().locator("time").innerText(), /^\d\d\/\d\d\/\d{4} alle \d\d:\d\d$/, "the time (Europe/Rome)");
    assert.match(await mainText(page), /Nessun SMS\./, "an address filter shows no SMS");
    await assertAccessible(desk, `filtro-email-${width}`);
  }

  // Each email: its page (HTML in a sandboxed frame, then the text), and the email alone.
  const mails = (await inbox(user.email)).emails;
  for (const mail of mails) {
    const name = slug(mail.subject);
    assert.equal(mail.from, `TIM <${EMAIL_SENDER}>`, "the sender is TIM");
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${BASE}/_dev/inbox?q=${encodeURIComponent(user.email)}`);
      await navigate(page, () => page.getByRole("link", { name: mail.subject, exact: true }).click(), "/_dev/inbox/email");
      assert.equal((await page.locator("main h1").innerText()).trim(), mail.subject);
      const frame = page.locator("iframe");
      const sandbox = await frame.getAttribute("sandbox");
      assert.ok(sandbox !== null && !sandbox.includes("allow-scripts") && !sandbox.includes("allow-same-origin"), `sandbox="${sandbox}"`);
      const inFrame = page.frameLocator("iframe");
      assert.match(await inFrame.locator("body").innerText(), /Servizio Clienti Convenzione Mobile 8/);
      // The text part, its links clickable.
      const text = page.getByRole("region", { name: "Versione testo" });
      for (const href of mail.text.match(/https?:\/\/\S+/g) ?? []) {
        assert.equal(await text.locator(`a[href="${href}"]`).count() > 0, true, `the link ${href} in the text view`);
      }
      await assertAccessible(desk, `email-pagina-${name}-${width}`);
    }
  }

  // The links in the HTML open in a new tab (the portal cannot be framed): a link in the
  // text and a button.
  for (const [subject, name] of [
    ["Registrazione completata", "Accedi subito all'Area Clienti cliccando qui"],
    ["La tua username", "ACCEDI"],
  ]) {
    const mail = mails.find((m) => m.subject.startsWith(subject));
    await page.goto(`${BASE}/_dev/inbox?q=${encodeURIComponent(user.email)}`);
    await navigate(page, () => page.getByRole("link", { name: mail.subject, exact: true }).click(), "/_dev/inbox/email");
    const [tab] = await Promise.all([
      desk.context.waitForEvent("page"),
      page.frameLocator("iframe").getByRole("link", { name, exact: true }).click(),
    ]);
    await tab.waitForLoadState("load");
    assert.equal(new URL(tab.url()).pathname, "/accesso", `${name}: ${tab.url()}`);
    assert.equal((await tab.locator("main h1").innerText()).trim(), "Accedi all'Area Clienti");
    await tab.close();
  }

  // Each email alone, as a mail client shows it.
  const phone = await newContext(browser, { javaScriptEnabled: true, prefix: "email" });
  for (const mail of mails) {
    for (const width of WIDTHS) {
      await phone.page.setViewportSize({ width, height: 900 });
      await showEmail(phone.page, mail);
      assert.equal(await phone.page.locator("html").getAttribute("lang"), "it");
      assert.equal(await phone.page.locator("img").count(), 0, "real text, no images");
      const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${mail.subject} at ${width}px overflows by ${overflow}px`);
      await phone.page.screenshot({ path: path.join(ARTIFACTS, `email-${slug(mail.subject)}-${width}.png`), fullPage: true });
      const violations = await runAxe(phone.page);
      assert.equal(violations.length, 0, `${mail.subject} at ${width}px: axe violations:\n${formatViolations(violations)}`);
    }
  }
  await phone.context.close();

  // The number's SMS, filtered by the number as a person types it.
  await page.setViewportSize({ width: 375, height: 900 });
  await page.goto(`${BASE}/_dev/inbox?q=${encodeURIComponent(pretty(user.number))}`);
  const sms = page.getByRole("region", { name: "SMS" }).getByRole("listitem");
  assert.equal(await sms.count(), 4, "the registration code, the username, the recovery code, the cease code");
  assert.match(await sms.first().innerText(), /Usa il codice temporaneo \d{6} solo se sei tu a chiedere di cessare/, "newest first");
  assert.match(await sms.last().innerText(), /Usa il codice temporaneo \d{6} per proseguire con la registrazione/);
  await assertAccessible(desk, "filtro-numero-375");

  // Svuota on the address's view: its emails go, the number's SMS stays.
  await page.goto(`${BASE}/_dev/inbox?q=${encodeURIComponent(user.email)}`);
  await navigate(page, () => page.getByRole("button", { name: "Svuota i messaggi filtrati" }).click(), "/_dev/inbox");
  assert.equal(new URL(page.url()).searchParams.get("q"), user.email, "back to the same filter");
  assert.equal(await page.getByLabel("Filtra per numero o indirizzo email").inputValue(), user.email, "back to the same filter");
  assert.match(await mainText(page), /Nessuna email\./);
  assert.equal((await inbox(user.email)).emails.length, 0, "LocalStack no longer holds them");
  assert.equal((await inbox(user.number)).sms.length, 4, "the SMS were not in the view: kept");
  await assertAccessible(desk, "svuotata-375");

  // And on the number's view: its SMS go.
  await page.goto(`${BASE}/_dev/inbox?q=${encodeURIComponent(pretty(user.number))}`);
  await navigate(page, () => page.getByRole("button", { name: "Svuota i messaggi filtrati" }).click(), "/_dev/inbox");
  assert.match(await mainText(page), /Nessun SMS\./);
  assert.equal((await inbox(user.number)).sms.length, 0);
  await desk.context.close();
});
