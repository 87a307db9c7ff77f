// Passkeys (issue 24) in Debian's Chromium with a virtual authenticator through the DevTools
// protocol (WebAuthn.enable, WebAuthn.addVirtualAuthenticator: ctap2, internal transport,
// resident keys, user verification), against the real local gateway and LocalStack:
// - created from the Area Clienti (the home's offer after an SMS login), then ESCI, then the
//   login by the button ACCEDI CON UNA PASSKEY with the keyboard only, and by the username
//   field's autofill (conditional UI) — no SMS sent for either;
// - created from the registration's last page (its offer leads through the login);
// - user verification off: refused; the passkey removed: refused (one clear Italian page);
// - axe clean at 375 and 1280 px on the pages that show the passkey parts.
//
// Run through ./run-flow-tests.sh passkey.test.mjs (the portal is opened at
// http://localhost:PORT: WebAuthn takes no IP address as RP ID).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BASE,
  TEST_TIMEOUT_MS,
  assertAccessible,
  checkPage,
  codeOf,
  inbox,
  launchBrowser,
  mainText,
  navigate,
  newContext,
  registerUser,
  tabTo,
  waitForNthSms,
  withTimeout,
} from "./flow-helpers.mjs";

const LOGIN_H1 = "Accedi all'Area Clienti";
const LOGIN_SMS_MARKER = "per completare l'accesso";
const OFFER = "Accedi più velocemente con una passkey";
const PASSKEY_BUTTON = "ACCEDI CON UNA PASSKEY";
const REFUSED = "Non è stato possibile accedere con la passkey: non è valida, è stata rimossa o non appartiene a un account attivo. Accedi con username e password.";

let browser;

before(async () => {
  assert.equal(new URL(BASE).hostname, "localhost", "WebAuthn needs a domain: run-flow-tests.sh opens http://localhost:PORT");
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * A virtual platform authenticator on the page's target (it survives its navigations):
 * ctap2, internal, resident keys, user verification, presence given automatically.
 */
async function authenticator(t, { isUserVerified = true } = {}) {
  const cdp = await t.context.newCDPSession(t.page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
    userVerified: (v) => cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: v }),
  };
}

/**
 * A browser without autofill of passkeys (conditional mediation unavailable): only the
 * button signs in. Chromium's virtual authenticator answers a conditional request by itself
 * as soon as it holds a passkey, so the button is tested in such a browser.
 */
async function withoutAutofill(t) {
  await t.context.addInitScript(() => {
    if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);
  });
}

/** How many login SMS the user's number got so far. */
async function loginSmsCount(user) {
  return (await inbox(user.number)).sms.filter((s) => s.text.includes(LOGIN_SMS_MARKER)).length;
}

/** Username + password + the SMS code, through the real pages; lands on `landing`. */
async function smsLogin(t, user, landing = "/area-clienti") {
  const { page } = t;
  const before = await loginSmsCount(user);
  if (new URL(page.url()).pathname !== "/accesso") await navigate(page, () => page.goto(`${BASE}/accesso`), "/accesso");
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), "/accesso/codice");
  const sms = await waitForNthSms(user.number, LOGIN_SMS_MARKER, before + 1, "login SMS");
  await page.getByLabel("Codice temporaneo").fill(codeOf(sms));
  await navigate(page, () => page.getByRole("button", { name: "ACCEDI", exact: true }).click(), landing);
}

/** ESCI, through its confirmation page (GET /esci asks, its button POSTs). */
async function logout(t) {
  await navigate(t.page, () => t.page.goto(`${BASE}/esci`), "/esci");
  await navigate(t.page, () => t.page.locator("main").getByRole("button", { name: "ESCI" }).click(), "/accesso");
}

/** The creation page's CREA LA PASSKEY (the browser's dialog answered by the authenticator). */
async function createPasskey(t, auth) {
  const { page } = t;
  await checkPage(t, "crea-passkey", {
    path: "/area-clienti/passkey/nuova",
    h1: (await page.locator("main h1").innerText()).trim(),
    also: async () => assert.ok(await page.locator("#passkey-creation").count(), "the options are on the page"),
  });
  const before = (await auth.credentials()).length;
  await navigate(page, () => page.getByRole("button", { name: "CREA LA PASSKEY" }).click(), "/area-clienti/passkey");
  assert.equal((await auth.credentials()).length, before + 1, "the authenticator holds one more passkey");
  assert.equal(await removeButtons(page).count(), 1, `one passkey listed: ${await mainText(page)}`);
}

/** The list's remove buttons, one per passkey ("RIMUOVI LA PASSKEY <name>"). */
function removeButtons(page) {
  return page.locator("main").getByRole("button", { name: /^rimuovi/i });
}

/** axe and a screenshot of the current page at phone and desktop widths. */
async function bothWidths(t, name) {
  for (const width of [375, 1280]) {
    await t.page.setViewportSize({ width, height: 900 });
    await assertAccessible(t, `${name}-${width}`);
  }
}

// ---------------------------------------------------------------------------------------

test("passkey creata dall'offerta nell'area clienti, poi accesso con il pulsante (tastiera) e con l'autocompletamento, senza SMS", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "passkey.area" });
  const t = await newContext(browser, { prefix: "passkey-area" });
  const { page } = t;
  const auth = await authenticator(t);

  // The login page: the button is shown (JavaScript, WebAuthn), the field offers passkeys.
  await page.goto(`${BASE}/accesso`);
  await page.getByRole("button", { name: PASSKEY_BUTTON }).waitFor({ state: "visible" });
  assert.equal(await page.getByLabel("Username").getAttribute("autocomplete"), "username webauthn");
  await bothWidths(t, "1-accesso");

  // A login by password + SMS, then the home offers a passkey.
  await smsLogin(t, user);
  const offer = page.getByRole("region", { name: OFFER });
  await offer.waitFor({ state: "visible" });
  await bothWidths(t, "2-home-offerta");
  await navigate(page, () => offer.getByRole("button", { name: "CREA UNA PASSKEY" }).click(), "/area-clienti/passkey/nuova");
  await createPasskey(t, auth);

  // The username field's autofill (conditional mediation, started at page load): ESCI lands
  // on /accesso, whose autofill the virtual authenticator answers at once, and the login
  // page signs in by itself — at a moment of its own, so the test follows every navigation
  // of the tab rather than checking the path after one.
  const sms = await loginSmsCount(user);
  await navigate(page, () => page.goto(`${BASE}/esci`), "/esci");
  const seen = [];
  const onNav = (frame) => {
    if (frame === page.mainFrame()) seen.push(new URL(frame.url()).pathname);
  };
  page.on("framenavigated", onNav);
  await page.locator("main").getByRole("button", { name: "ESCI" }).click();
  await page.waitForURL((u) => u.pathname === "/area-clienti", { timeout: 30_000 });
  await page.waitForLoadState("load");
  page.off("framenavigated", onNav);
  assert.deepEqual(seen, ["/accesso", "/area-clienti"], "signed out, then in again by the autofill");
  assert.equal((await page.locator("main h1").innerText()).trim(), `Ciao, ${user.nome} ${user.cognome}`);
  assert.equal(await page.getByRole("region", { name: OFFER }).count(), 0, "no offer to one who has a passkey and used it");
  await assertAccessible(t, "3-area-con-passkey");
  assert.equal(await loginSmsCount(user), sms, "no SMS for a passkey login");

  // The button, with the keyboard only, in a browser without autofill: no password, no SMS.
  await withoutAutofill(t);
  await logout(t);
  const button = page.getByRole("button", { name: PASSKEY_BUTTON });
  await button.waitFor({ state: "visible" });
  await tabTo(page, button);
  await navigate(page, () => page.keyboard.press("Enter"), "/area-clienti");
  assert.equal(await loginSmsCount(user), sms, "no SMS for the button either");
  await t.context.close();
});

test("passkey dalla fine della registrazione: l'offerta porta all'accesso e alla pagina delle passkey", { timeout: TEST_TIMEOUT_MS }, async () => {
  const t = await newContext(browser, { prefix: "passkey-registrazione" });
  const { page } = t;
  const auth = await authenticator(t);
  await withoutAutofill(t);
  const user = await registerUser(browser, { prefix: "passkey.reg", handOver: t.context });
  await navigate(page, () => page.goto(`${BASE}/registrazione/esito`), "/registrazione/esito");
  const offer = page.getByRole("region", { name: OFFER });
  await offer.waitFor({ state: "visible" });
  await bothWidths(t, "1-esito-offerta");
  await navigate(page, () => offer.getByRole("link", { name: "ACCEDI E CREA UNA PASSKEY" }).click(), "/accesso");
  await smsLogin(t, user, "/area-clienti/passkey");
  await navigate(page, () => page.getByRole("button", { name: "AGGIUNGI UNA PASSKEY" }).click(), "/area-clienti/passkey/nuova");
  await createPasskey(t, auth);
  await logout(t);
  await navigate(page, () => page.getByRole("button", { name: PASSKEY_BUTTON }).click(), "/area-clienti");
  await t.context.close();
});

test("passkey senza verifica dell'utente, poi rimossa: rifiutata con una pagina chiara", { timeout: TEST_TIMEOUT_MS }, async () => {
  const user = await registerUser(browser, { prefix: "passkey.rifiuti" });
  const t = await newContext(browser, { prefix: "passkey-rifiuti" });
  const { page } = t;
  const auth = await authenticator(t);
  await withoutAutofill(t);
  await smsLogin(t, user, "/area-clienti");
  await navigate(page, () => page.goto(`${BASE}/area-clienti/passkey`), "/area-clienti/passkey");
  await navigate(page, () => page.getByRole("button", { name: "AGGIUNGI UNA PASSKEY" }).click(), "/area-clienti/passkey/nuova");
  await createPasskey(t, auth);
  await logout(t);

  // User verification off: the authenticator cannot give it (the options require it), or
  // gives an assertion without it, which the server refuses. Either way: not signed in.
  await auth.userVerified(false);
  await page.getByRole("button", { name: PASSKEY_BUTTON }).click();
  const refusedOrCancelled = page.getByText(REFUSED).or(page.locator("#passkey-login-stato:not([hidden])"));
  await refusedOrCancelled.first().waitFor({ state: "visible" });
  assert.equal(new URL(page.url()).pathname, "/accesso", "still on the login");
  assert.equal((await t.context.cookies(BASE)).find((c) => c.name === "session"), undefined, "no session");
  await auth.userVerified(true);

  // Removed from the area: the authenticator still offers it, the portal refuses it.
  await smsLogin(t, user, "/area-clienti");
  await navigate(page, () => page.goto(`${BASE}/area-clienti/passkey`), "/area-clienti/passkey");
  await navigate(page, () => removeButtons(page).first().click(), "/area-clienti/passkey");
  assert.equal(await removeButtons(page).count(), 0, `none listed: ${await mainText(page)}`);
  await logout(t);
  const resp = await navigate(page, () => page.getByRole("button", { name: PASSKEY_BUTTON }).click(), "/accesso/passkey");
  assert.equal(resp?.status(), 401, "the refusal's status");
  await checkPage(t, "rimossa-rifiutata", {
    path: "/accesso/passkey",
    h1: LOGIN_H1,
    also: async () => {
      assert.equal(await page.getByRole("alert").getByRole("link").innerText(), REFUSED, "the error summary says why");
      assert.ok((await mainText(page)).includes(REFUSED));
      assert.ok(await page.getByLabel("Username").isVisible(), "the password stays the way in");
    },
  });
  await bothWidths(t, "rimossa-rifiutata");
  await t.context.close();
});

test("senza JavaScript la pagina di accesso non mostra nulla delle passkey", { timeout: TEST_TIMEOUT_MS }, async () => {
  const t = await newContext(browser, { javaScriptEnabled: false, prefix: "passkey-senza-js" });
  const { page } = t;
  await page.goto(`${BASE}/accesso`);
  assert.equal(await page.getByRole("button", { name: PASSKEY_BUTTON }).count(), 0, "the button stays hidden");
  assert.doesNotMatch(await mainText(page), /passkey/i);
  await checkPage(t, "accesso", { path: "/accesso", h1: LOGIN_H1 });
  await t.context.close();
});
