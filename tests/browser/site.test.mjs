// Browser tests of the public area with Debian's Chromium (playwright-core, no browser
// download) and axe-core. Run through ./run-site-tests.sh, or directly:
//   BASE_URL=http://127.0.0.1:8080 node --test site.test.mjs   (a running site)
//   SITE_DIR=/path/to/site node --test site.test.mjs          (served here; default <repo>/target/site)
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";
import { serve } from "./server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const ARTIFACTS = path.join(here, "artifacts");
const SITE_DIR = process.env.SITE_DIR || path.resolve(here, "../../target/site");

// Paths of the dynamic pages (shared::routes): asserted as navigation targets only,
// the static server does not serve them.
const REGISTER_NUMBER = "/registrazione/numero";
const LOGIN = "/accesso";

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
const WIDTHS = [375, 1280];
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

let browser;
let server;
let baseUrl;

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  if (process.env.BASE_URL) {
    baseUrl = process.env.BASE_URL.replace(/\/$/, "");
  } else {
    server = await serve(SITE_DIR);
    baseUrl = server.url;
  }
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page at `width`, recording console errors (CSP violations), page errors and failed sub-resources. */
async function openPage(width, { javaScriptEnabled = true } = {}) {
  const context = await browser.newContext({
    viewport: { width, height: width < 600 ? 812 : 900 },
    javaScriptEnabled,
    reducedMotion: "reduce",
  });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource: the server responded with a status of 404/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("response", (r) => {
    if (r.request().resourceType() !== "document" && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on("requestfailed", (r) => {
    if (r.resourceType() !== "document") problems.push(`failed ${r.url()}: ${r.failure()?.errorText}`);
  });
  return { context, page, problems };
}

/** The pages to check: the fixed ones plus every article, news list page and document page found by following links. */
async function discoverPages() {
  const { context, page } = await openPage(1280);
  const pages = new Map([
    ["/", "home"],
    ["/news/", "news"],
    ["/documenti/", "documenti"],
    ["/contatti/", "contatti"],
    ["/privacy/", "privacy"],
    ["/pagina-che-non-esiste/", "404"],
  ]);
  const hrefs = async (url, selector) => {
    await page.goto(baseUrl + url);
    return page.$$eval(selector, (as) => as.map((a) => new URL(a.href).pathname));
  };
  const listPages = ["/news/", ...(await hrefs("/news/", ".pagination a"))];
  for (const lp of new Set(listPages)) {
    if (lp !== "/news/") pages.set(lp, "news-" + lp.split("/").filter(Boolean).join("-"));
    for (const a of await hrefs(lp, ".news-list h2 a")) pages.set(a, "articolo-" + a.split("/").filter(Boolean).pop());
  }
  for (const d of await hrefs("/documenti/", ".doc-list a:not([href$='.pdf'])")) {
    if (!pages.has(d)) pages.set(d, "documento-" + d.split("/").filter(Boolean).pop());
  }
  await context.close();
  return pages;
}

function formatViolations(url, violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    - ${n.target.join(" ")}\n      ${n.html}\n      ${(n.failureSummary || "").replace(/\n/g, "\n      ")}`)
        .join("\n");
      return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
    })
    .join("\n");
}

async function runAxe(page) {
  // Evaluated through the DevTools protocol, so the page's CSP does not block it.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations;
  }, AXE_TAGS);
}

const pagesPromise = { value: null };
function allPages() {
  pagesPromise.value ??= discoverPages();
  return pagesPromise.value;
}

test("discovers every kind of page", async () => {
  const pages = await allPages();
  const names = [...pages.values()];
  assert.ok(names.some((n) => n.startsWith("articolo-")), `no article found: ${names}`);
  assert.ok(names.some((n) => n.startsWith("documento-")), `no document page found: ${names}`);
  assert.ok(pages.size >= 9, names.join(", "));
});

for (const width of WIDTHS) {
  describe(`${width} px`, () => {
    test("every page: 0 axe violations (WCAG 2.1 A/AA), no CSP or console errors, screenshot", async () => {
      const pages = await allPages();
      const { context, page, problems } = await openPage(width);
      const failures = [];
      for (const [url, name] of pages) {
        problems.length = 0;
        const resp = await page.goto(baseUrl + url, { waitUntil: "load" });
        assert.equal(resp.status(), name === "404" ? 404 : 200, `${url} status`);
        await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
        const violations = await runAxe(page);
        if (violations.length) failures.push(`${url} (${width} px):\n${formatViolations(url, violations)}`);
        if (problems.length) failures.push(`${url} (${width} px):\n  ${problems.join("\n  ")}`);
        // No horizontal scrolling at any width.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) failures.push(`${url} (${width} px): horizontal overflow of ${overflow}px`);
      }
      await context.close();
      assert.equal(failures.length, 0, "\n" + failures.join("\n\n"));
    });

    test("REGISTRATI ORA leads to the registration", async () => {
      const { context, page } = await openPage(width);
      await page.goto(baseUrl + "/");
      const button = page.getByRole("link", { name: "REGISTRATI ORA" });
      assert.equal(await button.getAttribute("href"), REGISTER_NUMBER);
      const [req] = await Promise.all([
        page.waitForRequest((r) => r.isNavigationRequest() && r.frame() === page.mainFrame()),
        button.click(),
      ]);
      assert.equal(new URL(req.url()).pathname, REGISTER_NUMBER);
      await context.close();
    });

    test("Accedi leads to the login page", async () => {
      const { context, page } = await openPage(width);
      await page.goto(baseUrl + "/");
      const login = page.locator("header nav a", { hasText: "Accedi" });
      assert.equal(await login.getAttribute("href"), LOGIN);
      if (width < 992) await page.locator("details.menu-toggle > summary").click();
      assert.ok(await login.isVisible(), "Accedi visible");
      assert.ok(await login.locator("svg").count(), "person icon");
      const [req] = await Promise.all([
        page.waitForRequest((r) => r.isNavigationRequest() && r.frame() === page.mainFrame()),
        login.click(),
      ]);
      assert.equal(new URL(req.url()).pathname, LOGIN);
      await context.close();
    });
  });
}

describe("header menu", () => {
  const navLinks = (page) => page.locator("#menu-principale a");
  const toggle = (page) => page.locator("details.menu-toggle > summary");
  async function expectOpen(page, open, how) {
    assert.equal(await navLinks(page).first().isVisible(), open, `menu ${open ? "open" : "closed"} after ${how}`);
    assert.equal(await page.locator("details.menu-toggle").evaluate((d) => d.open), open, how);
  }

  test("375 px, mouse: hamburger opens and closes the menu; a click outside closes it", async () => {
    const { context, page } = await openPage(375);
    await page.goto(baseUrl + "/");
    await expectOpen(page, false, "load");
    const box = await toggle(page).boundingBox();
    assert.ok(box.x + box.width > 375 - 40, "toggle at the top right");
    assert.ok(box.y < 80, "toggle at the top");
    assert.ok(box.width >= 44 && box.height >= 44, "target size");
    assert.equal(await toggle(page).getAttribute("aria-expanded"), "false");
    await toggle(page).click();
    await expectOpen(page, true, "click");
    assert.equal(await toggle(page).getAttribute("aria-expanded"), "true");
    assert.deepEqual(await navLinks(page).allTextContents(), ["News", "Documenti", "Accedi"]);
    await page.screenshot({ path: path.join(ARTIFACTS, "menu-aperto-375.png") });
    await toggle(page).click();
    await expectOpen(page, false, "second click");
    assert.equal(await toggle(page).getAttribute("aria-expanded"), "false");
    await toggle(page).click();
    await page.mouse.click(200, 760); // below the open menu panel
    await expectOpen(page, false, "click outside");
    await context.close();
  });

  test("375 px, keyboard: Enter and Space toggle, Escape closes and returns focus", async () => {
    const { context, page } = await openPage(375);
    await page.goto(baseUrl + "/");
    await page.keyboard.press("Tab"); // skip link
    await page.keyboard.press("Tab"); // brand
    await page.keyboard.press("Tab"); // menu toggle
    assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY");
    await page.keyboard.press("Enter");
    await expectOpen(page, true, "Enter");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "News", "Tab goes into the menu");
    await page.keyboard.press("Escape");
    await expectOpen(page, false, "Escape");
    assert.equal(await page.evaluate(() => document.activeElement.tagName), "SUMMARY", "focus back on the toggle");
    await page.keyboard.press("Space");
    await expectOpen(page, true, "Space");
    await page.keyboard.press("Space");
    await expectOpen(page, false, "Space again");
    await page.keyboard.press("Enter");
    await expectOpen(page, true, "Enter again");
    await page.keyboard.press("Escape");
    await expectOpen(page, false, "Escape again");
    // Tabbing past the last link closes the menu.
    await page.keyboard.press("Enter");
    for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
    await expectOpen(page, false, "focus leaving the menu");
    await context.close();
  });

  test("375 px without JavaScript: the menu still opens and closes (mouse and keyboard)", async () => {
    const { context, page } = await openPage(375, { javaScriptEnabled: false });
    await page.goto(baseUrl + "/");
    await expectOpen(page, false, "load");
    await toggle(page).click();
    await expectOpen(page, true, "click");
    await toggle(page).click();
    await expectOpen(page, false, "second click");
    await toggle(page).focus();
    await page.keyboard.press("Enter");
    await expectOpen(page, true, "Enter");
    await page.keyboard.press("Enter");
    await expectOpen(page, false, "Enter again");
    await context.close();
  });

  test("1280 px: links shown in the header, no hamburger; keyboard reaches them", async () => {
    const { context, page } = await openPage(1280);
    await page.goto(baseUrl + "/");
    assert.equal(await toggle(page).isVisible(), false, "no hamburger on desktop");
    assert.equal(await navLinks(page).count(), 3);
    for (const link of await navLinks(page).all()) assert.ok(await link.isVisible());
    const boxes = await Promise.all((await navLinks(page).all()).map((l) => l.boundingBox()));
    assert.ok(boxes.every((b) => b.y < 80 && b.x > 640), "quick links at the top right");
    await page.keyboard.press("Tab"); // skip link
    await page.keyboard.press("Tab"); // brand
    await page.keyboard.press("Tab"); // News (the hidden toggle is skipped)
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "News");
    await page.keyboard.press("Escape"); // harmless on desktop
    assert.ok(await navLinks(page).first().isVisible());
    await context.close();
  });

  test("skip link moves focus to the main content", async () => {
    const { context, page } = await openPage(375);
    await page.goto(baseUrl + "/");
    await page.keyboard.press("Tab");
    const skip = page.locator("a.skip-link");
    assert.equal(await skip.evaluate((a) => a === document.activeElement), true);
    assert.ok(await skip.isVisible(), "visible when focused");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "contenuto");
    await context.close();
  });
});
