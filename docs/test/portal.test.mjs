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
  page.on("request", (req) => {
    if (!req.url().startsWith(base) && !req.url().startsWith("data:") && !req.url().startsWith("blob:")) {
      external.push(req.url());
    }
  });
  const res = await page.goto(base + path, { waitUntil: "load" });
  assert.equal(res.status(), 200);
  return { page, external };
}

test("ReDoc renders every tag and the Create deal operation, offline", async () => {
  const { page, external } = await open("/redoc");
  await page.getByText("Create deal", { exact: true }).first().waitFor({ state: "attached", timeout: 120000 });
  for (const tag of ["auth", "organizations", "members", "contacts", "deals", "tasks", "analytics"]) {
    assert.ok(await page.getByText(tag, { exact: true }).count() > 0, `tag ${tag} shown`);
  }
  assert.ok(await page.getByText("X-Organization-Id").count() > 0, "the organization header is documented");
  await page.screenshot({ path: join(artifacts, "redoc.png") });
  const scripts = external.filter((u) => u.endsWith(".js") || u.endsWith(".css"));
  assert.deepEqual(scripts, [], "no script or stylesheet from outside the service");
  await page.close();
});

test("Swagger UI renders the Create deal operation with bearer and organization auth", async () => {
  const { page, external } = await open("/docs");
  await page.locator(".opblock-summary-description", { hasText: "Create deal" }).first().waitFor({ state: "attached", timeout: 120000 });
  assert.ok(await page.locator(".auth-wrapper .authorize").count() > 0, "Authorize button for the security schemes");
  await page.screenshot({ path: join(artifacts, "swagger-ui.png") });
  const scripts = external.filter((u) => u.endsWith(".js") || u.endsWith(".css"));
  assert.deepEqual(scripts, [], "no script or stylesheet from outside the service");
  await page.close();
});
