// "Recupera Username e Password", mode 2 "Password dimenticata" (guide, end of section 4),
// in Debian's Chromium against the real local gateway and the real LocalStack: from the
// login page, the choice of the mode (a GET form), the username, the "Richiesta inviata"
// page; the reset link read from the email and opened in another browser context (the
// phone); INVIA IL CODICE, the SMS code, a weak password refused (shown and announced),
// then the new password; the login page says it changed, and the user logs in with it
// through the SMS code. The used link and the old password stop working. On every page:
// the heading, axe-core with 0 violations, no console/CSP errors, a screenshot.
//
// Run through ./run-flow-tests.sh, which bootstraps a table, starts the gateway and sets
// PUBLIC_BASE_URL (and the AWS/TABLE_NAME environment portale-admin needs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE,
  EMAIL_SENDER,
  SMS_SENDER_ID,
  TEST_TIMEOUT_MS,
  accessibleNameAndDescription,
  checkPage,
  codeOf,
  launchBrowser,
  linkIn,
  mainText,
  masked,
  navigate,
  newContext,
  registerUser,
  showEmail,
  smsWith,
  tabTo,
  waitForMessage,
  waitForNthSms,
} from "./flow-helpers.mjs";

const NEW_PASSWORD = "Lanterna-Verde-2027?";
const WEAK_PASSWORD = "Password1!";
const TOO_WEAK = "La password è troppo comune o facile da indovinare: scegline una meno prevedibile.";
const RECOVERY_SMS_MARKER = "per recuperare le credenziali";
const LOGIN_SMS_MARKER = "per completare l'accesso";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

test("recupero in modalità 2 (Password dimenticata): link via email, codice SMS, nuova password, accesso", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "recupero.modo2" });
  const desk = await newContext(browser, { javaScriptEnabled: true, prefix: "recupero-password" });
  const { page } = desk;

  // The login page's link.
  await page.goto(`${BASE}/accesso`);
  await navigate(page, () => page.getByRole("link", { name: "Recupera Username e Password" }).click(), "/recupero");

  // The three modes; "Password dimenticata", AVANTI (a GET form).
  await checkPage(desk, "1-scelta", {
    path: "/recupero",
    h1: "Recupera Username e Password",
    also: async () => {
      const group = page.getByRole("group", { name: "Cosa hai dimenticato?" });
      assert.equal(await group.getByRole("radio").count(), 3, "three modes");
      for (const title of ["Username dimenticata", "Password dimenticata", "Username e password dimenticate"]) {
        assert.equal(await group.getByRole("radio", { name: new RegExp(`^${title}`) }).count(), 1, `the mode "${title}"`);
      }
    },
  });
  const mode = page.getByRole("radio", { name: /^Password dimenticata/ });
  await mode.check();
  assert.ok(await mode.isChecked());
  const [choice] = await Promise.all([
    page.waitForRequest((r) => r.isNavigationRequest() && new URL(r.url()).pathname === "/recupero"),
    navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/recupero"),
  ]);
  assert.equal(choice.method(), "GET", "the choice is a GET form");
  assert.equal(new URL(choice.url()).searchParams.get("modalita"), "password");

  // The username, AVANTI.
  await checkPage(desk, "2-username", {
    path: "/recupero",
    h1: "Password dimenticata",
    also: async () => assert.match(await mainText(page), /riceverai via email un link per scegliere una nuova password/),
  });
  await page.getByLabel("Username").fill(user.username);
  await navigate(page, () => page.getByRole("button", { name: "AVANTI" }).click(), "/recupero");
  await checkPage(desk, "3-richiesta-inviata", {
    path: "/recupero",
    h1: "Richiesta inviata",
    also: async () => {
      assert.equal(new URL(page.url()).searchParams.get("inviato"), "password");
      assert.match(await page.getByRole("status").innerText(), /^Se i dati inseriti sono corretti, riceverai a breve una email .* con un link per scegliere una nuova password\. Il link è valido 30 minuti\.$/);
    },
  });

  // The email with the single-use link.
  const mail = await waitForMessage(user.email, (box) => box.emails.findLast((m) => m.subject.startsWith("Scegli una nuova password")), "reset email");
  assert.ok(mail.from.includes(EMAIL_SENDER), `sender: ${mail.from}`);
  assert.equal(mail.subject, "Scegli una nuova password - Area Clienti Convenzione Mobile 8");
  const link = linkIn(mail, "SCEGLI UNA NUOVA PASSWORD");
  assert.match(link, new RegExp(`^${BASE}/recupero/nuova-password\\?token=[A-Za-z0-9_-]{43,}$`));
  assert.match(mail.text, /valido 30 minuti e può essere usato una sola volta/);

  // Opened on the phone: another browser context, its own cookies.
  const phone = await newContext(browser, { javaScriptEnabled: true, prefix: "recupero-password-telefono" });
  const ph = phone.page;
  await showEmail(ph, mail);
  const button = ph.getByRole("link", { name: "SCEGLI UNA NUOVA PASSWORD" });
  assert.equal(await button.getAttribute("href"), link, "the button and the text carry the same link");
  await navigate(ph, () => button.click(), "/recupero/nuova-password");
  await checkPage(phone, "4-link", {
    path: "/recupero/nuova-password",
    h1: "Scegli una nuova password",
    also: async () => assert.ok(await ph.getByRole("button", { name: "INVIA IL CODICE" }).isVisible()),
  });
  assert.deepEqual(await smsWith(user.number, RECOVERY_SMS_MARKER), [], "opening the link sends nothing by itself");

  // INVIA IL CODICE → the code page; the SMS.
  await navigate(ph, () => ph.getByRole("button", { name: "INVIA IL CODICE" }).click(), "/recupero/codice");
  await checkPage(phone, "5-codice", {
    path: "/recupero/codice",
    h1: "Inserisci il codice temporaneo",
    also: async () => assert.ok((await mainText(ph)).includes(`sul numero ${masked(user.number)}`), "the masked number"),
  });
  const sms = await waitForNthSms(user.number, RECOVERY_SMS_MARKER, 1, "recovery SMS");
  assert.equal(sms.sender_id, SMS_SENDER_ID, "the SMS comes from 40134");
  const code = codeOf(sms);
  assert.equal(sms.text, `Usa il codice temporaneo ${code} per recuperare le credenziali dell'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8.`);
  await ph.getByLabel("Codice temporaneo").fill(code);
  await navigate(ph, () => ph.getByRole("button", { name: "AVANTI" }).click(), "/recupero/nuova-password");

  // The new password: the rules are shown and are the field's description.
  const rules = async () => {
    const shown = await ph.locator("#password-hint li").allInnerTexts();
    assert.ok(shown.length >= 4 && shown.some((r) => /almeno 10 caratteri/.test(r)), `the rules: ${shown}`);
    const ax = await accessibleNameAndDescription(ph, "#password");
    assert.equal(ax.name, "Password");
    assert.ok(ax.description.startsWith("La password deve contenere:"), `the rules describe the field: ${ax.description}`);
    assert.equal((await accessibleNameAndDescription(ph, "#conferma_password")).name, "Conferma password");
    return ax;
  };
  await checkPage(phone, "6-nuova-password", { path: "/recupero/nuova-password", h1: "Scegli una nuova password", also: rules });

  // A weak password first: refused, the error in a summary (role=alert) and on the field.
  await ph.getByLabel("Password", { exact: true }).fill(WEAK_PASSWORD);
  await ph.getByLabel("Conferma password").fill(WEAK_PASSWORD);
  const weak = await navigate(ph, () => ph.getByRole("button", { name: "SALVA" }).click(), "/recupero/nuova-password");
  assert.equal(weak?.status(), 422);
  await checkPage(phone, "7-password-debole", {
    path: "/recupero/nuova-password",
    h1: "Scegli una nuova password",
    also: async () => {
      const alert = ph.getByRole("alert");
      assert.equal(await alert.count(), 1, "one alert");
      assert.equal((await alert.getByRole("heading").innerText()).trim(), "Controlla i dati inseriti");
      assert.equal(await alert.getByRole("link").innerText(), TOO_WEAK);
      assert.equal(await alert.getByRole("link").getAttribute("href"), "#password");
      const field = ph.getByLabel("Password", { exact: true });
      assert.equal(await field.getAttribute("aria-invalid"), "true");
      assert.equal(await field.inputValue(), "", "the password is not echoed");
      const ax = await rules();
      assert.ok(ax.description.endsWith(`Errore: ${TOO_WEAK}`), `the error is announced with the field: ${ax.description}`);
    },
  });
  // The summary's link takes the keyboard to the field.
  await tabTo(ph, ph.getByRole("alert").getByRole("link"));
  await ph.keyboard.press("Enter");
  await ph.waitForFunction(() => document.activeElement?.id === "password");

  // The new password, SALVA: the login page says so; a confirmation email.
  await ph.keyboard.type(NEW_PASSWORD);
  await ph.getByLabel("Conferma password").fill(NEW_PASSWORD);
  await navigate(ph, () => ph.getByRole("button", { name: "SALVA" }).click(), "/accesso");
  await checkPage(phone, "8-password-modificata", {
    path: "/accesso",
    h1: "Accedi all'Area Clienti",
    also: async () => assert.equal(await ph.getByRole("status").innerText(), "La password è stata modificata: accedi con la nuova password."),
  });
  const changed = await waitForMessage(user.email, (box) => box.emails.find((m) => m.subject.startsWith("La tua password è stata modificata")), "password-changed email");
  assert.match(changed.text, /la tua password è stata modificata/);

  // Log in with the new password, through the SMS code.
  await ph.getByLabel("Username").fill(user.username);
  await ph.getByLabel("Password").fill(NEW_PASSWORD);
  await navigate(ph, () => ph.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso/codice");
  await checkPage(phone, "9-accesso-codice", { path: "/accesso/codice", h1: "Inserisci il codice temporaneo" });
  const login = await waitForNthSms(user.number, LOGIN_SMS_MARKER, 1, "login SMS");
  assert.equal(login.text, `Usa il codice temporaneo ${codeOf(login)} per completare l'accesso all'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8.`);
  await ph.getByLabel("Codice temporaneo").fill(codeOf(login));
  await navigate(ph, () => ph.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/area-clienti");
  await checkPage(phone, "10-area-clienti", {
    path: "/area-clienti",
    h1: `Ciao, ${user.nome} ${user.cognome}`,
    also: async () => assert.ok((await mainText(ph)).includes(user.username)),
  });

  // The link was used up; the old password no longer opens the account.
  const reused = await navigate(page, () => page.goto(link), "/recupero/nuova-password");
  assert.equal(reused?.status(), 410);
  await checkPage(desk, "11-link-usato", { path: "/recupero/nuova-password", h1: "Link non valido" });
  await page.goto(`${BASE}/accesso`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  const old = await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso");
  assert.equal(old?.status(), 401, "the old password is refused");

  await desk.context.close();
  await phone.context.close();
});
