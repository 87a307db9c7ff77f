// The dev metrics (/_dev/metriche): the registration funnel counted from the functions' own
// EMF lines (in lambda mode read from the function processes' stdout), shown as a table and
// bars, axe clean at 375 and 1280 px. It asserts exact counts, so run-flow-tests.sh runs
// this file alone, after the other files (which run side by side).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, TEST_TIMEOUT_MS, assertAccessible, newContext, registerUser, launchBrowser } from "./flow-helpers.mjs";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

const WIDTHS = [375, 1280];

test("metriche di sviluppo: il funnel dalle righe EMF delle funzioni", { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = (await (await fetch(`${BASE}/_dev/metriche.json`)).json()).counts;
  await registerUser(browser, { prefix: "metriche" });
  // In lambda mode the lines come from the function processes' stdout, read as they print.
  const deadline = Date.now() + 10_000;
  let counts;
  for (;;) {
    counts = (await (await fetch(`${BASE}/_dev/metriche.json`)).json()).counts;
    if (counts.EmailSent >= before.EmailSent + 2 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100)); // poll interval
  }
  for (const m of ["RegistrationStarted", "RegistrationCodeVerified", "RegistrationProfile", "RegistrationEmailSent", "RegistrationEmailConfirmed", "RegistrationCompleted", "SmsSent"]) {
    assert.equal(counts[m], before[m] + 1, `${m}: ${JSON.stringify(counts)}`);
  }
  assert.equal(counts.EmailSent, before.EmailSent + 2, "confirmation and summary");
  const t = await newContext(browser, { javaScriptEnabled: false, prefix: "metriche" });
  for (const width of WIDTHS) {
    await t.page.setViewportSize({ width, height: 900 });
    await t.page.goto(`${BASE}/_dev/metriche`);
    assert.equal((await t.page.locator("main h1").innerText()).trim(), "Metriche di sviluppo");
    const funnel = t.page.getByRole("table", { name: /Funnel della registrazione/ });
    assert.match(await funnel.innerText(), new RegExp(`Registrazione completata\\s+${counts.RegistrationCompleted}`));
    assert.equal(await t.page.getByRole("img", { name: "Funnel della registrazione" }).count(), 1, "the bars");
    await assertAccessible(t, `${width}`);
  }
  await t.context.close();
});
