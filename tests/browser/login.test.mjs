// Login with password + SMS code, the private area and logout (guide, section 4) in Debian's
// Chromium against the real local gateway and the real LocalStack: once with the keyboard
// only, from the header's "Accedi" on the home page; once with JavaScript disabled (native
// form submissions), starting from the private area, which sends the user to the login and
// back; and the wrong-password page (error summary, field error, labels, focus). Each test
// registers a fresh user first (flow-helpers.mjs registerUser). On every page: the heading,
// axe-core with 0 violations, no console/CSP errors, a screenshot in artifacts/.
//
// Run through ./run-flow-tests.sh, which bootstraps a table, starts the gateway and sets
// PUBLIC_BASE_URL (and the AWS/TABLE_NAME environment portale-admin needs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  BASE,
  ENTE,
  ENTE_NAME,
  SMS_SENDER_ID,
  TEST_TIMEOUT_MS,
  accessibleNameAndDescription,
  assertAccessible,
  checkPage,
  codeOf,
  launchBrowser,
  mainText,
  masked,
  navigate,
  newContext,
  pretty,
  registerUser,
  tabTo,
  waitForNthSms,
} from "./flow-helpers.mjs";

const LOGIN_H1 = "Accedi all'Area Clienti";
const CODE_H1 = "Inserisci il codice temporaneo";
const LOGIN_SMS_MARKER = "per completare l'accesso";
const WRONG_CREDENTIALS = "Username o password non corretti. Controlla i dati inseriti e riprova.";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** The login SMS number `n` (1-based) sent to the user, checked word for word. */
async function loginCode(user, n = 1) {
  const sms = await waitForNthSms(user.number, LOGIN_SMS_MARKER, n, "login SMS");
  assert.equal(sms.sender_id, SMS_SENDER_ID, "the SMS comes from 40134");
  const code = codeOf(sms);
  assert.equal(sms.text, `Usa il codice temporaneo ${code} per completare l'accesso all'Area Clienti TIM dedicata ai servizi in Convenzione Mobile 8.`);
  return code;
}

/** The private area's home: the greeting and the profile of `user`, then axe. */
async function checkPrivateArea(t, name, user) {
  await checkPage(t, name, {
    path: "/area-clienti",
    h1: `Ciao, ${user.nome} ${user.cognome}`,
    also: async () => {
      const profile = await t.page.locator("section[aria-labelledby=profilo] dl").evaluate((dl) =>
        Object.fromEntries([...dl.querySelectorAll("dt")].map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()])),
      );
      assert.deepEqual(profile, {
        Nome: user.nome,
        Cognome: user.cognome,
        "Ente/Amministrazione": ENTE_NAME,
        "C.F. Ente/Amministrazione": ENTE,
        "Numero mobile": pretty(user.number),
        Email: user.email,
        Username: user.username,
      });
      const text = await mainText(t.page);
      assert.match(text, /La tua linea/, "the line's status is shown");
      assert.doesNotMatch(text, /prossimamente/, "no card that leads nowhere");
    },
  });
}

/**
 * The accessible name and description of a field. The error's red "!" badge is CSS
 * generated content (.field-error::before in site.css) and Chromium puts it in the
 * description ("! Errore: …"); it is dropped here so the check reads what the markup says.
 */
async function fieldAx(page, selector) {
  const ax = await accessibleNameAndDescription(page, selector);
  return { ...ax, description: ax.description.replace(/(^|\s)! (?=Errore:)/g, "$1") };
}

/** The session cookie of a browser context (it must be HttpOnly and SameSite=Lax). */
async function sessionCookie(context) {
  const cookies = await context.cookies(BASE);
  assert.deepEqual(cookies.filter((c) => c.name === "login_flow"), [], "the login flow's cookie is cleared once signed in");
  const session = cookies.find((c) => c.name === "session");
  assert.ok(session, `no session cookie among ${cookies.map((c) => c.name).join(", ")}`);
  assert.equal(session.httpOnly, true, "HttpOnly");
  assert.equal(session.sameSite, "Lax", "SameSite=Lax");
  // A 256-bit random id, then the account it belongs to (the guard reads both in one call;
  // the session item must name the same account).
  assert.match(session.value, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+$/, "a 256-bit random id and the account");
  return session;
}

/** GET /area-clienti with only this session cookie (another client holding it). */
async function areaWithCookie(session) {
  return fetch(`${BASE}/area-clienti`, { headers: { cookie: `session=${session.value}` }, redirect: "manual" });
}

// ---------------------------------------------------------------------------------------

test("accesso, area clienti e uscita con la sola tastiera (dall'icona Accedi della home)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "accesso.tastiera" });
  const t = await newContext(browser, { javaScriptEnabled: true, prefix: "accesso-tastiera" });
  const { page } = t;
  const kb = page.keyboard;

  // The header's "Accedi" on the home page.
  await page.goto(`${BASE}/`);
  await tabTo(page, page.getByRole("navigation", { name: "Menu principale" }).getByRole("link", { name: "Accedi", exact: true }));
  await navigate(page, () => kb.press("Enter"), "/accesso");

  // Username + password, ACCEDI.
  await checkPage(t, "1-accesso", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => {
      const main = page.locator("main");
      assert.equal(await main.getByRole("link", { name: "Registrati ora" }).getAttribute("href"), "/registrazione/numero");
      assert.equal(await main.getByRole("link", { name: "Recupera Username e Password" }).getAttribute("href"), "/recupero");
      assert.equal(await page.getByRole("link", { name: "Accedi", exact: true }).getAttribute("aria-current"), "page", "the header marks the section");
    },
  });
  await tabTo(page, page.getByLabel("Username"));
  await kb.type(user.username);
  await tabTo(page, page.getByLabel("Password"));
  await kb.type(user.password);
  await tabTo(page, page.getByRole("button", { name: "ACCEDI", exact: true }));
  await navigate(page, () => kb.press("Enter"), "/accesso/codice");

  // The code page: the masked number, the SMS from 40134.
  await checkPage(t, "2-codice", {
    path: "/accesso/codice",
    h1: CODE_H1,
    also: async () => {
      const text = await mainText(page);
      assert.ok(text.includes(`sul numero ${masked(user.number)}`), `the masked number: ${text}`);
      assert.ok(!text.includes(user.number.slice(3)), "the whole number is not shown");
      assert.ok(await page.getByRole("button", { name: "Invia di nuovo" }).isVisible(), "a way to get a new code");
    },
  });
  const code = await loginCode(user);
  await tabTo(page, page.getByLabel("Codice temporaneo"));
  await kb.type(code);
  await tabTo(page, page.getByRole("button", { name: "ACCEDI", exact: true }));
  await navigate(page, () => kb.press("Enter"), "/area-clienti");

  // The private area.
  await checkPrivateArea(t, "3-area-clienti", user);
  const session = await sessionCookie(t.context);
  assert.equal((await areaWithCookie(session)).status, 200, "the session cookie opens the private area");

  // ESCI.
  await tabTo(page, page.locator("main").getByRole("button", { name: "ESCI" }));
  await navigate(page, () => kb.press("Enter"), "/accesso");
  await checkPage(t, "4-uscito", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => {
      assert.equal(await page.getByRole("status").innerText(), "Sei uscito dall'Area Clienti.");
    },
  });
  assert.equal((await t.context.cookies(BASE)).find((c) => c.name === "session"), undefined, "the browser's session cookie is cleared");

  // The old session no longer works anywhere: it was deleted server-side.
  const replay = await areaWithCookie(session);
  assert.equal(replay.status, 303, `the old cookie: ${replay.status}`);
  assert.equal(replay.headers.get("location"), "/accesso?next=%2Farea-clienti&sessione=scaduta");

  // The private area again: back to the login, which would return there.
  await navigate(page, () => page.goto(`${BASE}/area-clienti`), "/accesso");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/area-clienti");
  await checkPage(t, "5-area-senza-sessione", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => {
      assert.equal(await page.getByRole("status").innerText(), "Per continuare accedi all'Area Clienti.");
    },
  });
  await t.context.close();
});

test("accesso e uscita senza JavaScript (dall'area clienti all'accesso e ritorno)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "accesso.senzajs" });
  const t = await newContext(browser, { javaScriptEnabled: false, prefix: "accesso-senza-js" });
  const { page } = t;

  // A private page without a session: the login, with the way back in a hidden field.
  await navigate(page, () => page.goto(`${BASE}/area-clienti`), "/accesso");
  await checkPage(t, "1-accesso", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => {
      assert.equal(await page.getByRole("status").innerText(), "Per continuare accedi all'Area Clienti.");
      assert.equal(await page.locator("form[action='/accesso'] input[name=next]").inputValue(), "/area-clienti");
    },
  });
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  const [post] = await Promise.all([
    page.waitForRequest((r) => r.method() === "POST" && new URL(r.url()).pathname === "/accesso"),
    navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso/codice"),
  ]);
  assert.equal(new URLSearchParams(post.postData()).get("username"), user.username, "a native form submission");

  await checkPage(t, "2-codice", {
    path: "/accesso/codice",
    h1: CODE_H1,
    also: async () => assert.ok((await mainText(page)).includes(`sul numero ${masked(user.number)}`)),
  });
  await page.getByLabel("Codice temporaneo").fill(await loginCode(user));
  await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/area-clienti");
  await checkPrivateArea(t, "3-area-clienti", user);
  const session = await sessionCookie(t.context);

  // ESCI through the confirmation page (GET /esci asks, its button POSTs).
  await navigate(page, () => page.goto(`${BASE}/esci`), "/esci");
  await checkPage(t, "4-esci", { path: "/esci", h1: "Esci dall'Area Clienti" });
  assert.equal(await page.getByRole("link", { name: "ANNULLA" }).getAttribute("href"), "/area-clienti");
  await navigate(page, () => page.locator("main").getByRole("button", { name: "ESCI" }).click(), "/accesso");
  await checkPage(t, "5-uscito", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => assert.equal(await page.getByRole("status").innerText(), "Sei uscito dall'Area Clienti."),
  });
  assert.equal((await areaWithCookie(session)).status, 303, "the old session was ended server-side");
  await navigate(page, () => page.goto(`${BASE}/area-clienti`), "/accesso");
  assert.equal(new URL(page.url()).searchParams.get("next"), "/area-clienti");
  await t.context.close();
});

test("password errata: riepilogo degli errori, errore sul campo, etichette e focus; stessa risposta per username sconosciuta", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "accesso.errata" });
  const t = await newContext(browser, { javaScriptEnabled: true, prefix: "accesso-password-errata" });
  const { page } = t;

  await page.goto(`${BASE}/accesso`);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(`${user.password}x`);
  const resp = await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso");
  assert.equal(resp?.status(), 401, "the refused login's status");

  await checkPage(t, "1-password-errata", {
    path: "/accesso",
    h1: LOGIN_H1,
    also: async () => {
      // The summary at the top, announced (role=alert), linking to the field.
      const summary = page.getByRole("alert");
      assert.equal(await summary.count(), 1, "one alert");
      assert.equal((await summary.getByRole("heading").innerText()).trim(), "Controlla i dati inseriti");
      const link = summary.getByRole("link");
      assert.equal(await link.innerText(), WRONG_CREDENTIALS);
      assert.equal(await link.getAttribute("href"), "#password");
      // The field: labelled, invalid, its error (with "Errore:" for screen readers) as its description.
      const password = page.getByLabel("Password");
      assert.equal(await password.getAttribute("aria-invalid"), "true");
      assert.equal(await password.inputValue(), "", "the password is not echoed");
      assert.equal((await page.locator("#password-error").textContent()).trim(), `Errore: ${WRONG_CREDENTIALS}`);
      const ax = await fieldAx(page, "#password");
      assert.deepEqual(ax, { role: "textbox", name: "Password", description: `Errore: ${WRONG_CREDENTIALS}` });
      const username = await fieldAx(page, "#username");
      assert.equal(username.name, "Username");
      assert.equal(await page.getByLabel("Username").inputValue(), user.username, "the username is kept");
      assert.equal(await page.getByLabel("Username").getAttribute("aria-invalid"), null, "only the password is marked");
    },
  });
  // The summary's link takes the keyboard to the field.
  await tabTo(page, page.getByRole("alert").getByRole("link"));
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.activeElement?.id === "password");
  assert.equal(new URL(page.url()).hash, "#password");
  await page.keyboard.type(user.password);
  await tabTo(page, page.getByRole("button", { name: "ACCEDI", exact: true }));
  await navigate(page, () => page.keyboard.press("Enter"), "/accesso/codice");
  await checkPage(t, "2-codice", { path: "/accesso/codice", h1: CODE_H1 });

  // A wrong code on the code page: the same pattern.
  const code = await loginCode(user);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  await page.getByLabel("Codice temporaneo").fill(wrong);
  const wrongResp = await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso/codice");
  assert.equal(wrongResp?.status(), 422);
  await checkPage(t, "3-codice-errato", {
    path: "/accesso/codice",
    h1: CODE_H1,
    also: async () => {
      assert.equal(await page.getByRole("alert").getByRole("link").innerText(), "Codice errato: hai ancora 4 tentativi.");
      const ax = await fieldAx(page, "#codice");
      assert.equal(ax.name, "Codice temporaneo");
      assert.equal(ax.description, "6 cifre, valido 5 minuti Errore: Codice errato: hai ancora 4 tentativi.");
    },
  });

  // An unknown username gets the very same page and status (a fresh context: no login flow).
  const other = await newContext(browser, { javaScriptEnabled: true, prefix: "accesso-username-sconosciuta" });
  await other.page.goto(`${BASE}/accesso`);
  await other.page.getByLabel("Username").fill(`sconosciuto.${crypto.randomInt(100000, 999999)}@example.it`);
  await other.page.getByLabel("Password").fill(`${user.password}x`);
  const unknown = await navigate(other.page, () => other.page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso");
  assert.equal(unknown?.status(), 401);
  const known = await newContext(browser, { javaScriptEnabled: true, prefix: "accesso-password-errata-bis" });
  await known.page.goto(`${BASE}/accesso`);
  await known.page.getByLabel("Username").fill(user.username);
  await known.page.getByLabel("Password").fill(`${user.password}y`);
  await navigate(known.page, () => known.page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso");
  assert.equal(await mainText(other.page), await mainText(known.page), "unknown username and wrong password read the same");
  await assertAccessible(other, "1-username-sconosciuta");

  await t.context.close();
  await other.context.close();
  await known.context.close();
});
