// The private area's self-service (issue 15) in Debian's Chromium against the real local
// gateway and LocalStack: every page checked (heading, axe with 0 violations at 1280 and
// at 375 px, no console/CSP errors, screenshots in artifacts/). Once with the keyboard
// only and JavaScript on (password change, sessions, access history, the email change and
// its link opened in another browser), once with JavaScript off (data export links and the
// deletion with its SMS code).
//
// Run through ./run-flow-tests.sh (it bootstraps a table, starts the gateway, sets
// PUBLIC_BASE_URL and the environment portale-admin needs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE,
  TEST_TIMEOUT_MS,
  assertAccessible,
  checkPage,
  codeOf,
  launchBrowser,
  linkIn,
  mainText,
  navigate,
  newContext,
  randomEmail,
  registerUser,
  tabTo,
  waitForMessage,
  waitForNthSms,
} from "./flow-helpers.mjs";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** `checkPage` at 1280 px, then axe and a screenshot again at 375 px. */
async function checkBothWidths(t, name, expected) {
  await checkPage(t, name, expected);
  await t.page.setViewportSize({ width: 375, height: 800 });
  await assertAccessible(t, `${name}-375`);
  await t.page.setViewportSize({ width: 1280, height: 900 });
}

/** Login through the real pages (form fill; login.test.mjs checks those pages). */
async function signIn(t, user, nthCode = 1) {
  const { page } = t;
  await page.goto(`${BASE}/accesso`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso/codice");
  const sms = await waitForNthSms(user.number, "per completare l'accesso", nthCode, "login SMS");
  await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
  await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/area-clienti");
}

/** Tabs to the link or button named `name` in <main> and presses Enter. */
async function keyboardTo(page, role, name, expectedPath) {
  const target = page.locator("main").getByRole(role, { name, exact: true });
  await tabTo(page, target, 80);
  await navigate(page, () => page.keyboard.press("Enter"), expectedPath);
}

test("area: keyboard only, JavaScript on — password, sessions, accesses, email", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "area-tastiera" });
  const t = await newContext(browser, { prefix: "area-tastiera" });
  const { page } = t;
  try {
    await signIn(t, user);
    await checkBothWidths(t, "home", {
      path: "/area-clienti",
      h1: `Ciao, ${user.nome} ${user.cognome}`,
      also: async () => {
        const text = await mainText(page);
        assert.match(text, /La tua linea/);
        assert.match(text, /Stato in Convenzione Attiva/);
        assert.doesNotMatch(text, /prossimamente/);
      },
    });

    await keyboardTo(page, "link", "Cambia la password", "/area-clienti/password");
    await checkBothWidths(t, "password", { path: "/area-clienti/password", h1: "Cambia la password" });
    const newPassword = "Altra-Password-2027!";
    await tabTo(page, page.getByLabel("Password attuale"));
    await page.keyboard.type(user.password);
    await tabTo(page, page.getByLabel("Password", { exact: true }));
    await page.keyboard.type(newPassword);
    await tabTo(page, page.getByLabel("Conferma password"));
    await page.keyboard.type(newPassword);
    await navigate(page, () => page.keyboard.press("Enter"), "/area-clienti/password");
    await checkBothWidths(t, "password-modificata", {
      path: "/area-clienti/password",
      h1: "Cambia la password",
      also: async () => assert.match(await page.getByRole("status").innerText(), /La password è stata modificata/),
    });
    const changed = await waitForMessage(user.email, (b) => b.emails.findLast((m) => m.subject.startsWith("La tua password è stata modificata")), "password email");
    assert.match(changed.text, /altri dispositivi/);

    await keyboardTo(page, "link", "Area Clienti", "/area-clienti");
    await keyboardTo(page, "link", "Dispositivi e sessioni", "/area-clienti/sessioni");
    await checkBothWidths(t, "sessioni", {
      path: "/area-clienti/sessioni",
      h1: "Dispositivi e sessioni",
      also: async () => assert.match(await mainText(page), /chrome su linux \(questo dispositivo\)/i),
    });

    await page.goto(`${BASE}/area-clienti/accessi`);
    await checkBothWidths(t, "accessi", {
      path: "/area-clienti/accessi",
      h1: "Accessi recenti",
      also: async () => {
        const rows = await page.locator("tbody tr").allInnerTexts();
        assert.match(rows[0], /Accesso completato/);
        assert.ok(await page.getByRole("link", { name: "CAMBIA LA PASSWORD" }).isVisible(), "Non sei stato tu? leads to the password");
      },
    });

    await page.goto(`${BASE}/area-clienti/email`);
    await checkBothWidths(t, "email", { path: "/area-clienti/email", h1: "Cambia l'indirizzo email" });
    const newEmail = randomEmail("area-nuova");
    await tabTo(page, page.getByLabel("Nuovo indirizzo email"));
    await page.keyboard.type(newEmail);
    await tabTo(page, page.getByRole("checkbox", { name: /anche come username/ }));
    await page.keyboard.press("Space");
    await navigate(page, () => page.keyboard.press("Enter"), "/area-clienti/email");
    assert.match(await page.getByRole("status").innerText(), /Ti abbiamo inviato un'email al nuovo indirizzo/);
    const mail = await waitForMessage(newEmail, (b) => b.emails.findLast((m) => m.subject.startsWith("Conferma il tuo nuovo indirizzo")), "confirmation");

    // The link opened on the phone: a page with a button (a GET changes nothing).
    const phone = await newContext(browser, { prefix: "area-telefono" });
    try {
      await phone.page.goto(linkIn(mail, "CONFERMA IL NUOVO INDIRIZZO"));
      await checkBothWidths(phone, "conferma-email", { path: "/area-clienti/email/conferma", h1: "Conferma il nuovo indirizzo email" });
      await tabTo(phone.page, phone.page.getByRole("button", { name: "CONFERMA IL NUOVO INDIRIZZO" }));
      await navigate(phone.page, () => phone.page.keyboard.press("Enter"), "/area-clienti/email/conferma");
      await checkBothWidths(phone, "email-confermata", { path: "/area-clienti/email/conferma", h1: "Indirizzo email aggiornato" });
    } finally {
      await phone.context.close();
    }
    await page.goto(`${BASE}/area-clienti`);
    assert.match(await mainText(page), new RegExp(`Username ${newEmail.replace(/[.]/g, "\\.")}`));
  } finally {
    await t.context.close();
  }
});

test("area: the referente's lines — keyboard only, search kept, an error explained", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "area-referente", profilo: "referente" });
  const t = await newContext(browser, { prefix: "area-referente" });
  const { page } = t;
  try {
    await signIn(t, user);
    assert.match(await mainText(page), /Referente dell'Ente/);
    await keyboardTo(page, "link", "vedi le linee del tuo Ente", "/area-clienti/linee");
    await checkBothWidths(t, "linee", {
      path: "/area-clienti/linee",
      h1: "Le linee del tuo Ente",
      also: async () => assert.ok((await page.locator("tbody tr").count()) >= 1, "the entity's lines are listed"),
    });
    const digits = user.number.replace("+39", "");
    await tabTo(page, page.getByLabel("Cerca per numero"));
    await page.keyboard.type(`${digits.slice(0, 3)} ${digits.slice(3, 7)}`);
    await navigate(page, () => page.keyboard.press("Enter"), "/area-clienti/linee");
    await checkBothWidths(t, "linee-ricerca", {
      path: "/area-clienti/linee",
      h1: "Le linee del tuo Ente",
      also: async () => {
        assert.equal(await page.getByLabel("Cerca per numero").inputValue(), `${digits.slice(0, 3)} ${digits.slice(3, 7)}`, "what was typed is kept");
        assert.match(await page.locator("tbody").innerText(), new RegExp(`${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`));
      },
    });
    await page.getByLabel("Cerca per numero").fill("abc");
    await navigate(page, () => page.getByRole("button", { name: "CERCA" }).click(), "/area-clienti/linee");
    await checkBothWidths(t, "linee-errore", {
      path: "/area-clienti/linee",
      h1: "Le linee del tuo Ente",
      also: async () => assert.match(await mainText(page), /Inserisci solo cifre/),
    });
  } finally {
    await t.context.close();
  }
});

test("area: JavaScript off — privacy, export and deletion with the SMS code", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "area-nojs" });
  const t = await newContext(browser, { javaScriptEnabled: false, prefix: "area-nojs" });
  const { page } = t;
  try {
    await signIn(t, user);
    await navigate(page, () => page.getByRole("link", { name: "Privacy e dati personali" }).click(), "/area-clienti/privacy");
    await checkBothWidths(t, "privacy", {
      path: "/area-clienti/privacy",
      h1: "Privacy e dati personali",
      also: async () => {
        const json = await page.request.get(`${BASE}/area-clienti/privacy/dati.json`);
        assert.equal(json.status(), 200);
        const data = await json.json();
        assert.equal(data.profilo.email, user.email);
        const pdf = await page.request.get(`${BASE}/area-clienti/privacy/dati.pdf`);
        assert.equal(pdf.headers()["content-type"], "application/pdf");
      },
    });
    await navigate(page, () => page.getByRole("link", { name: "ELIMINA IL TUO ACCOUNT" }).click(), "/area-clienti/elimina");
    await checkBothWidths(t, "elimina", {
      path: "/area-clienti/elimina",
      h1: "Elimina il tuo account",
      also: async () => assert.match(await mainText(page), /per 10 anni/),
    });
    await page.getByLabel("Password attuale").fill("Sbagliata-2026!");
    await navigate(page, () => page.getByRole("button", { name: "CONTINUA" }).click(), "/area-clienti/elimina");
    await checkBothWidths(t, "elimina-password-errata", {
      path: "/area-clienti/elimina",
      h1: "Elimina il tuo account",
      also: async () => assert.match(await mainText(page), /La password attuale non è corretta/),
    });
    await page.getByLabel("Password attuale").fill(user.password);
    await navigate(page, () => page.getByRole("button", { name: "CONTINUA" }).click(), "/area-clienti/elimina/codice");
    await checkBothWidths(t, "elimina-codice", { path: "/area-clienti/elimina/codice", h1: "Inserisci il codice temporaneo" });
    const sms = await waitForNthSms(user.number, "eliminazione del tuo account", 1, "deletion SMS");
    await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
    await navigate(page, () => page.getByRole("button", { name: "ELIMINA L'ACCOUNT" }).click(), "/accesso");
    await checkBothWidths(t, "eliminato", {
      path: "/accesso",
      h1: "Accedi all'Area Clienti",
      also: async () => assert.match(await page.getByRole("status").innerText(), /Il tuo account è stato eliminato/),
    });
    await waitForMessage(user.email, (b) => b.emails.findLast((m) => m.subject.startsWith("Il tuo account è stato eliminato")), "deletion email");
  } finally {
    await t.context.close();
  }
});
