// Opens the documentation portal served by the live service (CRM_BASE_URL) in headless Chromium
// and checks that both renderers actually rendered the operations. Screenshots are written to
// ARTIFACTS_DIR (default ../ci-artifacts) for CI.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const base = process.env.CRM_BASE_URL;
const artifacts = resolve(process.env.ARTIFACTS_DIR ?? join(import.meta.dirname, "..", "..", "ci-artifacts"));
let browser;

before(async () => {
  assert.ok(base, "CRM_BASE_URL must point at a running service");
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
});

async function open(path) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const external = [];
  // The pages send a Content-Security-Policy: anything it blocks shows up as a console error. The
  // one expected block is ReDoc's "API docs by Redocly" logo from its CDN, which ReDoc hides when
  // it does not load: the portal loads nothing from outside the service.
  const blocked = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (msg.type() === "error" && /Content Security Policy/i.test(text) &&
      !text.startsWith("Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg'")) blocked.push(text);
  });
  page.on("pageerror", (err) => blocked.push(String(err)));
  page.on("request", (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith("data:") && !req.url().startsWith("blob:")) {
      external.push(req.url());
    }
  });
  const res = await page.goto(base + path, { waitUntil: "load" });
  assert.equal(res.status(), 200);
  assert.ok(res.headers()["content-security-policy"], "the page sends a Content-Security-Policy");
  assert.equal(res.headers()["x-frame-options"], "DENY");
  return { page, external, blocked };
}

test("ReDoc renders every tag and the Create deal operation, offline", async () => {
  const { page, external, blocked } = await open("/redoc");
  await page.getByText("Create deal", { exact: true }).first().waitFor({ state: "attached", timeout: 120000 });
  for (const tag of ["auth", "organizations", "members", "contacts", "deals", "tasks", "analytics"]) {
    assert.ok(await page.getByText(tag, { exact: true }).count() > 0, `tag ${tag} shown`);
  }
  assert.ok(await page.getByText("X-Organization-Id").count() > 0, "the organization header is documented");
  // Search runs in a web worker (allowed by the page's worker-src).
  await page.locator("input").first().fill("deal");
  await page.locator("[data-role='search:results'] li").first().waitFor({ state: "attached", timeout: 30000 });
  await page.screenshot({ path: join(artifacts, "redoc.png") });
  const scripts = external.filter((u) => u.endsWith(".js") || u.endsWith(".css"));
  assert.deepEqual(scripts, [], "no script or stylesheet from outside the service");
  assert.deepEqual(blocked, [], "nothing blocked by the Content-Security-Policy, no script error");
  await page.close();
});

test("Swagger UI renders the Create deal operation with bearer and organization auth", async () => {
  const { page, external, blocked } = await open("/docs");
  await page.locator(".opblock-summary-description", { hasText: "Create deal" }).first().waitFor({ state: "attached", timeout: 120000 });
  assert.ok(await page.locator(".auth-wrapper .authorize").count() > 0, "Authorize button for the security schemes");
  // A bearer token typed into Authorize stays in memory: nothing in the browser's storage.
  await page.locator(".auth-wrapper .authorize").first().click();
  await page.locator(".modal-ux input").first().fill("a-bearer-token");
  await page.locator(".modal-ux button.authorize").first().click();
  await page.locator(".modal-ux button.close-modal").first().click();
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes("a-bearer-token"), `the token is not persisted: ${stored}`);
  await page.screenshot({ path: join(artifacts, "swagger-ui.png") });
  const scripts = external.filter((u) => u.endsWith(".js") || u.endsWith(".css"));
  assert.deepEqual(scripts, [], "no script or stylesheet from outside the service");
  assert.deepEqual(blocked, [], "nothing blocked by the Content-Security-Policy, no script error");
  await page.close();
});

test("ReDoc: Getting started, operations in the document's order, code samples, named problem examples", async () => {
  // The order the document gives (/openapi.json keeps openapi.yaml's): the deals and auth
  // operations as the sidebar must list them.
  const spec = await (await fetch(base + "/openapi.json")).json();
  const order = (tag) => Object.values(spec.paths).flatMap((item) =>
    Object.values(item).filter((op) => op?.operationId && op.tags?.includes(tag)).map((op) => op.operationId));
  assert.deepEqual(order("deals").filter((id) => ["listDeals", "createDeal", "getDeal", "updateDeal", "deleteDeal"].includes(id)),
    ["listDeals", "createDeal", "getDeal", "updateDeal", "deleteDeal"], "openapi.json keeps the document's order");

  const { page, blocked } = await open("/redoc#tag/deals/operation/updateDeal");
  await page.getByText("Update deal", { exact: true }).first().waitFor({ state: "attached", timeout: 120000 });
  for (const tag of ["deals", "auth"]) {
    const shown = await page.locator(`li[data-item-id^="tag/${tag}/operation/"]`).evaluateAll((els) =>
      els.map((el) => el.getAttribute("data-item-id").split("/").pop()));
    assert.deepEqual(shown, order(tag), `the sidebar lists the ${tag} operations in the document's order`);
  }
  assert.ok(await page.locator('li[data-item-id="section/Getting-started"]').count() > 0, "Getting started is in the sidebar");

  const op = page.locator('[id="tag/deals/operation/updateDeal"]');
  for (const label of ["curl", "TypeScript SDK", "Go SDK"]) {
    assert.ok(await op.getByRole("tab", { name: label, exact: true }).count() > 0, `a ${label} sample`);
  }
  await op.getByRole("tab", { name: "Go SDK", exact: true }).first().click();
  await op.getByText("c.Deals.Update(ctx, dealID", { exact: false }).first().waitFor({ state: "visible", timeout: 30000 });

  // The 400 of updateDeal names its business rule among its examples.
  await op.getByRole("tab", { name: "400", exact: true }).first().click();
  const examples = await op.locator("option").allTextContents();
  assert.ok(examples.some((t) => /won with an amount of 0/.test(t)), `the 400 examples name won_requires_positive_amount: ${examples}`);
  await page.screenshot({ path: join(artifacts, "redoc-update-deal.png") });
  assert.deepEqual(blocked, [], "nothing blocked by the Content-Security-Policy, no script error");
  await page.close();
});
