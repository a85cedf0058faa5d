// The resource methods (crm.contacts.list|get|create|update|delete, …): that every operation of the
// contract has one, exact money, retries through a stub server on 127.0.0.1, then round trips
// against the Go service (CRM_BASE_URL; `npm test` starts one).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { before, describe, it } from "node:test";

import {
  createCrmClient,
  CrmProblemError,
  etagOf,
  money,
  OPERATIONS,
  PROBLEM_CODES,
  PROBLEM_CODE_STATUSES,
  responseOf,
  type Contact,
  type CrmClient,
  type Deal,
} from "../src/index.js";
import { parseWithDecimals, stringifyWithDecimals, decimalTries } from "../src/money.js";

/**
 * The resource method of every operation of the contract. A new operation in openapi.yaml fails
 * the coverage test below until it gets a method here (and in src/resources.ts), or is listed in
 * RAW_ONLY with the reason why it has none.
 */
const METHOD_OF: Record<string, (crm: CrmClient) => unknown> = {
  register: (c) => c.auth.register,
  login: (c) => c.auth.login,
  refreshTokens: (c) => c.auth.refresh,
  logout: (c) => c.auth.logout,
  getMe: (c) => c.auth.me,
  updateMe: (c) => c.auth.updateMe,
  changePassword: (c) => c.auth.changePassword,
  listSessions: (c) => c.auth.sessions.list,
  deleteSession: (c) => c.auth.sessions.delete,
  logoutAll: (c) => c.auth.logoutAll,
  createOrganization: (c) => c.organizations.create,
  listMyOrganizations: (c) => c.organizations.list,
  getOrganization: (c) => c.organizations.get,
  updateOrganization: (c) => c.organizations.update,
  deleteOrganization: (c) => c.organizations.delete,
  listMembers: (c) => c.members.list,
  listInvitations: (c) => c.invitations.list,
  createInvitation: (c) => c.invitations.create,
  revokeInvitation: (c) => c.invitations.delete,
  acceptInvitation: (c) => c.invitations.accept,
  updateMember: (c) => c.members.update,
  removeMember: (c) => c.members.delete,
  listContacts: (c) => c.contacts.list,
  createContact: (c) => c.contacts.create,
  getContact: (c) => c.contacts.get,
  updateContact: (c) => c.contacts.update,
  deleteContact: (c) => c.contacts.delete,
  exportContacts: (c) => c.contacts.export,
  importContacts: (c) => c.contacts.import,
  listDeals: (c) => c.deals.list,
  createDeal: (c) => c.deals.create,
  getDeal: (c) => c.deals.get,
  updateDeal: (c) => c.deals.update,
  deleteDeal: (c) => c.deals.delete,
  exportDeals: (c) => c.deals.export,
  listActivities: (c) => c.activities.list,
  createActivity: (c) => c.activities.create,
  listTasks: (c) => c.tasks.list,
  createTask: (c) => c.tasks.create,
  getTask: (c) => c.tasks.get,
  updateTask: (c) => c.tasks.update,
  deleteTask: (c) => c.tasks.delete,
  getDealSummary: (c) => c.analytics.summary,
  getDealFunnel: (c) => c.analytics.funnel,
  getDealStageStats: (c) => c.analytics.stages,
  getDealVelocity: (c) => c.analytics.velocity,
  getDealForecast: (c) => c.analytics.forecast,
  listWebhooks: (c) => c.webhooks.list,
  createWebhook: (c) => c.webhooks.create,
  getWebhook: (c) => c.webhooks.get,
  updateWebhook: (c) => c.webhooks.update,
  deleteWebhook: (c) => c.webhooks.delete,
  pingWebhook: (c) => c.webhooks.ping,
  listWebhookDeliveries: (c) => c.webhooks.deliveries.list,
  redeliverWebhookDelivery: (c) => c.webhooks.deliveries.redeliver,
};

/** Operations reached through `crm.client` only, and why. */
const RAW_ONLY: Record<string, string> = {
  getHealthz: "a liveness probe for load balancers, not for API clients",
  getReadyz: "a readiness probe for load balancers, not for API clients",
};

describe("resource coverage of the contract", () => {
  const crm = createCrmClient({ baseUrl: "http://crm.test" });

  it("has a resource method for every operation of openapi.yaml (or a reason in RAW_ONLY)", () => {
    const missing = OPERATIONS.filter((op) => !(op.operationId in METHOD_OF) && !(op.operationId in RAW_ONLY)).map(
      (op) => `${op.operationId} (${op.method} ${op.path})`,
    );
    assert.deepEqual(missing, [], "operations without a resource method: add them to src/resources.ts and METHOD_OF");
    for (const [id, get] of Object.entries(METHOD_OF)) {
      assert.equal(typeof get(crm), "function", `${id}: not a function`);
    }
  });

  it("lists no operation the contract does not have", () => {
    const ids = new Set(OPERATIONS.map((op) => op.operationId));
    const stale = [...Object.keys(METHOD_OF), ...Object.keys(RAW_ONLY)].filter((id) => !ids.has(id));
    assert.deepEqual(stale, []);
  });

  it("knows every problem code of the contract", () => {
    for (const code of ["invalid_value", "too_many_attempts", "validation_failed", "precondition_failed"] as const) {
      assert.ok(PROBLEM_CODES.includes(code), code);
    }
    assert.deepEqual(PROBLEM_CODE_STATUSES.too_many_attempts, [429]);
  });
});

describe("money", () => {
  it("does exact arithmetic on decimal strings", () => {
    assert.equal(money.sum("0.10", "0.20"), "0.30");
    assert.equal(money.sum("999999999999.99", "999999999999.99", "0.02"), "2000000000000.00");
    assert.equal(money.subtract("10", "0.01"), "9.99");
    assert.equal(money.compare("10", "10.00"), 0);
    assert.equal(money.compare("9.99", "10"), -1);
    assert.equal(money.normalize("12.5"), "12.50");
    assert.equal(money.toCents("-1.05"), -105n);
    assert.equal(money.fromCents(-5n), "-0.05");
    assert.equal(money.sum(), "0.00");
    assert.throws(() => money.toCents("1.005"), RangeError);
    assert.throws(() => money.toCents("1e3"), RangeError);
    assert.ok(money.isValid("7") && !money.isValid(7) && !money.isValid("7."));
  });

  it("reads the decimals of an answer from its text, and writes them back digit for digit", () => {
    const list = decimalTries("GET", "/api/v1/deals")?.response;
    const text = '{"items":[{"amount":12345678901234567.89,"title":"x"}],"total":1,"page":1,"page_size":20}';
    assert.deepEqual(parseWithDecimals(text, list), {
      items: [{ amount: "12345678901234567.89", title: "x" }],
      total: 1,
      page: 1,
      page_size: 20,
    });
    const summary = decimalTries("GET", "/api/v1/analytics/deals/summary")?.response;
    const s = parseWithDecimals(
      '{"by_status":[{"status":"won","count":2,"amounts":[{"currency":"EUR","total":0.30}]}],"won_average":[{"currency":"EUR","average":0.15}],"new_deals":3}',
      summary,
    ) as { by_status: { count: number; amounts: { total: string }[] }[]; won_average: { average: string }[]; new_deals: number };
    assert.equal(s.by_status[0]?.count, 2);
    assert.equal(s.by_status[0]?.amounts[0]?.total, "0.30");
    assert.equal(s.won_average[0]?.average, "0.15");
    assert.equal(s.new_deals, 3);
    // Free-form activity payloads: `amount`, and `changes.amount.old/new`.
    const activities = decimalTries("GET", "/api/v1/deals/{deal_id}/activities")?.response;
    const a = parseWithDecimals(
      '{"items":[{"payload":{"amount":1.10,"changes":{"amount":{"old":1.10,"new":2.00},"title":{"old":"a","new":"b"}}}}],"total":1}',
      activities,
    );
    assert.deepEqual(a, {
      items: [{ payload: { amount: "1.10", changes: { amount: { old: "1.10", new: "2.00" }, title: { old: "a", new: "b" } } } }],
      total: 1,
    });
    const create = decimalTries("POST", "/api/v1/deals")?.request;
    assert.equal(
      stringifyWithDecimals({ title: "t\"x", amount: "1234567890123.45", contact_id: "c" }, create),
      '{"title":"t\\"x","amount":1234567890123.45,"contact_id":"c"}',
    );
    // Not a decimal: left a string, for the server to refuse.
    assert.equal(stringifyWithDecimals({ amount: "12,50" }, create), '{"amount":"12,50"}');
    assert.throws(() => parseWithDecimals('{"items":[1,]}', list), SyntaxError);
  });

  it("sends and receives exact amounts through the client", async () => {
    let sent = "";
    const crm = createCrmClient({
      baseUrl: "http://crm.test",
      organizationId: "org",
      tokens: { accessToken: "a", refreshToken: "r" },
      fetch: async (req) => {
        sent = await req.text();
        const deal = sent.replace('"amount":1234567890123.45', '"amount":12345678901234567.89').replace(/}$/, ',"id":"d"}');
        return new Response(deal, { status: 201, headers: { "Content-Type": "application/json", ETag: '"v1"' } });
      },
    });
    const deal = await crm.deals.create({ contact_id: "c", title: "Big", amount: "1234567890123.45" });
    assert.match(sent, /"amount":1234567890123\.45[,}]/);
    assert.equal(deal.amount, "12345678901234567.89");
    assert.equal(etagOf(deal), '"v1"');
    assert.equal(responseOf(deal)?.status, 201);
  });
});

/** A stub API on 127.0.0.1 answering from a script; records every request. */
async function stubServer(answer: (n: number, req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const seen: { method: string; url: string; key: string | undefined; at: number }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const n = seen.length;
      seen.push({ method: req.method ?? "", url: req.url ?? "", key: req.headers["idempotency-key"] as string | undefined, at: Date.now() });
      answer(n, req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function sendProblem(res: ServerResponse, status: number, code: string, retryAfter?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/problem+json" };
  if (retryAfter !== undefined) headers["Retry-After"] = retryAfter;
  res.writeHead(status, headers).end(JSON.stringify({ type: "about:blank", title: "t", status, code }));
}

function sendJSON(res: ServerResponse, status: number, body: string) {
  res.writeHead(status, { "Content-Type": "application/json" }).end(body);
}

const contactJSON = (id: string) =>
  JSON.stringify({ id, owner_id: "u", name: "Ada", email: null, phone: null, company: null, notes: null, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" });

describe("retries of resource methods (stub server on 127.0.0.1)", () => {
  const session = { tokens: { accessToken: "a", refreshToken: "r" }, organizationId: "org" };

  it("retries 503 and 429 after their Retry-After, then returns the parsed object", async () => {
    const stub = await stubServer((n, _req, _body, res) => {
      if (n === 0) return sendProblem(res, 503, "service_unavailable", "1");
      if (n === 1) return sendProblem(res, 429, "rate_limited", "1");
      sendJSON(res, 200, JSON.stringify({ items: [JSON.parse(contactJSON("c1"))], total: 1, page: 1, page_size: 20 }));
    });
    try {
      const crm = createCrmClient({ baseUrl: stub.baseUrl, ...session, retry: { maxAttempts: 3, baseDelayMs: 1 } });
      const start = Date.now();
      const page = await crm.contacts.list({ search: "ada" });
      assert.equal(page.items[0]?.id, "c1");
      assert.equal(stub.seen.length, 3);
      assert.ok(stub.seen[1]!.at - start >= 900, "waited the first Retry-After");
      assert.ok(stub.seen[2]!.at - stub.seen[1]!.at >= 900, "waited the second Retry-After");
      assert.match(stub.seen[0]!.url, /search=ada/);
    } finally {
      await stub.close();
    }
  });

  it("retries a POST with its idempotency key (the same on every attempt), not a PATCH without If-Match", async () => {
    const stub = await stubServer((n, req, _body, res) => {
      if (req.method === "POST" && n === 0) return sendProblem(res, 503, "service_unavailable", "0");
      if (req.method === "POST") return sendJSON(res, 201, contactJSON("c2"));
      sendProblem(res, 503, "service_unavailable", "0");
    });
    try {
      const crm = createCrmClient({ baseUrl: stub.baseUrl, ...session, retry: { baseDelayMs: 1 } });
      const c = await crm.contacts.create({ name: "Ada" }, { idempotencyKey: "key-1" });
      assert.equal(c.id, "c2");
      assert.deepEqual(stub.seen.map((s) => s.key), ["key-1", "key-1"]);

      const e = await crm.contacts.update("c2", { name: "Ada L." }).then(
        () => assert.fail("expected a CrmProblemError"),
        (err: unknown) => err,
      );
      assert.ok(CrmProblemError.is(e, "service_unavailable"));
      assert.equal(stub.seen.length, 3, "a PATCH without If-Match is sent once");

      await assert.rejects(crm.contacts.update("c2", { name: "Ada L." }, { ifMatch: '"v1"' }), CrmProblemError);
      assert.equal(stub.seen.length, 6, "a PATCH with If-Match is retried (3 attempts)");
    } finally {
      await stub.close();
    }
  });

  it("does not retry with retry: false", async () => {
    const stub = await stubServer((_n, _req, _body, res) => sendProblem(res, 429, "rate_limited", "0"));
    try {
      const crm = createCrmClient({ baseUrl: stub.baseUrl, ...session, retry: false });
      const e = await crm.deals.get("d").catch((err: unknown) => err);
      assert.ok(e instanceof CrmProblemError);
      assert.equal(e.code, "rate_limited");
      assert.equal(e.status, 429);
      assert.equal(stub.seen.length, 1);
    } finally {
      await stub.close();
    }
  });
});

const baseUrl = process.env.CRM_BASE_URL;
const unique = () => randomBytes(6).toString("hex");

describe("resource methods against the Go service", { skip: baseUrl ? false : "CRM_BASE_URL is not set" }, () => {
  let crm: CrmClient;
  let orgId: string;
  let userId: string;

  before(async () => {
    crm = createCrmClient({ baseUrl: baseUrl! });
    const reg = await crm.register({
      email: `res-${unique()}@example.com`,
      password: "correct-horse-battery",
      name: "Ada",
      organization_name: "Resources Ltd",
    });
    orgId = reg.organization.id;
    userId = reg.user.id;
  });

  it("register() selects the new organization", () => {
    assert.equal(crm.organizationId(), orgId);
  });

  it("contacts: create, get, list with search, update with If-Match, delete", async () => {
    const tag = unique();
    const created = await crm.contacts.create({ name: `Charles ${tag}`, email: `c-${tag}@example.com` });
    assert.equal(created.name, `Charles ${tag}`);
    const got = await crm.contacts.get(created.id);
    assert.equal(got.id, created.id);
    const etag = etagOf(got);
    assert.ok(etag, "a contact carries an ETag");

    const page = await crm.contacts.list({ search: tag });
    assert.deepEqual(page.items.map((c) => c.id), [created.id]);

    const updated = await crm.contacts.update(created.id, { company: "Engines" }, { ifMatch: etag! });
    assert.equal(updated.company, "Engines");
    const stale = await crm.contacts.update(created.id, { company: "Other" }, { ifMatch: etag! }).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(stale, "precondition_failed"));
    assert.equal(stale.status, 412);
    assert.equal(stale.etag, etagOf(updated));

    await crm.contacts.delete(created.id);
    const gone = await crm.contacts.get(created.id).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(gone, "not_found"));
    assert.equal(gone.status, 404);
  });

  it("contacts.iterate walks every page", async () => {
    const tag = unique();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await crm.contacts.create({ name: `Iter ${tag} ${i}` })).id);
    const seen: Contact[] = [];
    for await (const c of crm.contacts.iterate({ search: tag, page_size: 2 })) seen.push(c);
    assert.deepEqual(seen.map((c) => c.id).sort(), [...ids].sort());
    // The SDK 1.x call form still iterates.
    let n = 0;
    for await (const _ of crm.contacts({ search: tag, page_size: 2 })) n++;
    assert.equal(n, 5);
  });

  it("deals and tasks: round trips with exact amounts; activities; analytics", async () => {
    const contact = await crm.contacts.create({ name: `Deal contact ${unique()}` });
    const deal = await crm.deals.create({ contact_id: contact.id, title: "Engine", amount: "1234567890.10", currency: "EUR" });
    assert.equal(deal.amount, "1234567890.10");
    const second = await crm.deals.create({ contact_id: contact.id, title: "Engine 2", amount: "0.20", currency: "EUR" });

    const moved = await crm.deals.update(deal.id, { stage: "proposal" });
    assert.equal(moved.stage, "proposal");
    assert.equal((await crm.deals.get(deal.id)).stage, "proposal");

    const bad = await crm.deals.update(deal.id, { status: "won", amount: "0" }).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(bad, "won_requires_positive_amount"));
    assert.equal(bad.status, 400);

    const found: Deal[] = [];
    for await (const d of crm.deals.iterate({ contact_id: contact.id, page_size: 1 })) found.push(d);
    assert.equal(found.length, 2);
    assert.equal(money.sum(...found.map((d) => d.amount)), "1234567890.30");
    const cheap = await crm.deals.list({ contact_id: contact.id, max_amount: "1.00" });
    assert.deepEqual(cheap.items.map((d) => d.id), [second.id]);

    const task = await crm.tasks.create({ deal_id: deal.id, title: "Call back" });
    assert.equal(task.is_done, false);
    assert.equal((await crm.tasks.update(task.id, { is_done: true })).is_done, true);
    assert.equal((await crm.tasks.get(task.id)).id, task.id);
    assert.ok((await crm.tasks.list({ deal_id: deal.id })).items.some((t) => t.id === task.id));
    await crm.tasks.delete(task.id);

    const comment = await crm.activities.create(deal.id, { type: "comment", payload: { text: "Looks good" } });
    assert.equal(comment.type, "comment");
    const timeline = [];
    for await (const a of crm.activities.iterate(deal.id, { page_size: 2 })) timeline.push(a);
    assert.ok(timeline.some((a) => a.id === comment.id));
    const createdEvent = timeline.find((a) => a.type === "deal_created");
    assert.equal(createdEvent?.payload["amount"], "1234567890.10");

    await crm.deals.update(deal.id, { status: "won", stage: "closed" });
    const summary = await crm.analytics.summary();
    const won = summary.by_status.find((s) => s.status === "won");
    assert.deepEqual(won?.amounts, [{ currency: "EUR", total: "1234567890.10" }]);
    const funnel = await crm.analytics.funnel();
    assert.ok(funnel.stages.length > 0);

    await crm.deals.delete(second.id);
    const gone = await crm.deals.get(second.id).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(gone, "not_found"));
  });

  it("organizations and members", async () => {
    const mine = await crm.organizations.list();
    assert.ok(mine.some((o) => o.id === orgId));
    assert.equal((await crm.organizations.get()).id, orgId);
    const renamed = await crm.organizations.update(orgId, { name: "Resources GmbH" });
    assert.equal(renamed.name, "Resources GmbH");

    const members = await crm.members.list();
    assert.deepEqual(members.items.map((m) => m.user_id), [userId]);
    const all = [];
    for await (const m of crm.members.iterate()) all.push(m);
    assert.equal(all.length, 1);
    const last = await crm.members.delete(userId).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(last, "last_owner"));

    const other = await crm.organizations.create({ name: "Side Ltd" });
    assert.equal(crm.organizationId(), orgId, "create does not switch the organization");
    assert.equal((await crm.organizations.get(other.id)).name, "Side Ltd");
    assert.equal((await crm.members.list(undefined, { organizationId: other.id })).items.length, 1);
    await crm.organizations.delete(other.id);
  });

  it("invitations: create, list, accept by the invitee, revoke", async () => {
    const email = `inv-${unique()}@example.com`;
    const invitation = await crm.invitations.create({ email, role: "manager" });
    assert.ok(invitation.token.length > 0);
    assert.ok((await crm.invitations.list()).items.some((i) => i.id === invitation.id));
    const seen = [];
    for await (const i of crm.invitations.iterate({ page_size: 1 })) seen.push(i.id);
    assert.ok(seen.includes(invitation.id));

    const invitee = createCrmClient({ baseUrl: baseUrl! });
    await invitee.register({ email, password: "correct-horse-battery", name: "Grace", organization_name: "Grace Ltd" });
    const membership = await invitee.invitations.accept(invitation.token);
    assert.equal(membership.organization_id, orgId);
    assert.equal(membership.role, "manager");
    const members = [];
    for await (const m of crm.members.iterate({ page_size: 1 })) members.push(m);
    assert.equal(members.length, 2);

    const other = await crm.invitations.create({ email: `inv-${unique()}@example.com`, role: "member" });
    await crm.invitations.delete(other.id);
    const revoked = await invitee.invitations.accept(other.token).catch((e: unknown) => e);
    assert.ok(revoked instanceof CrmProblemError, "a revoked invitation cannot be accepted");
  });

  it("CSV: contacts import (dry run, then for real) and export; deals export keeps amounts exact", async () => {
    const tag = unique();
    const csv = `name,email,company\r\nImported ${tag},imp-${tag}@example.com,Engines\r\nSecond ${tag},,\r\n`;
    const dry = await crm.contacts.import(csv, { dryRun: true });
    assert.equal(dry.created, 2);
    assert.equal((await crm.contacts.list({ search: tag })).items.length, 0, "a dry run creates nothing");
    const done = await crm.contacts.import(new TextEncoder().encode(csv));
    assert.equal(done.created, 2);
    const again = await crm.contacts.import(csv, { dryRun: true });
    assert.equal(again.skipped, 1, "the row with a known email is skipped");

    const exported = await crm.contacts.export({ search: tag });
    assert.match(exported, /^id,owner_id,name,email/);
    assert.ok(exported.includes(`Imported ${tag}`) && exported.includes(`Second ${tag}`));

    const streamed = await new Response(await crm.contacts.exportStream({ search: tag })).text();
    assert.equal(streamed, exported);

    const bad = await crm.contacts.import("email\r\nx@example.com\r\n").catch((e: unknown) => e);
    assert.ok(bad instanceof CrmProblemError);
    assert.equal(bad.status, 422);

    const contact = (await crm.contacts.list({ search: `Imported ${tag}` })).items[0]!;
    await crm.deals.create({ contact_id: contact.id, title: `Export ${tag}`, amount: "98765432109.87" });
    const deals = await crm.deals.export({ contact_id: contact.id });
    assert.ok(deals.includes("98765432109.87"));
  });

  it("analytics: stages, velocity, forecast with exact amounts", async () => {
    const contact = await crm.contacts.create({ name: `Forecast ${unique()}` });
    const deal = await crm.deals.create({ contact_id: contact.id, title: "Forecast", amount: "100.10", currency: "USD" });
    await crm.deals.update(deal.id, { stage: "proposal" });
    const forecast = await crm.analytics.forecast();
    const usd = forecast.currencies.find((c) => c.currency === "USD");
    assert.equal(typeof usd?.pipeline_amount, "string");
    assert.ok(money.compare(usd!.pipeline_amount, "100.10") >= 0);
    const stages = await crm.analytics.stages({ days: 30 });
    assert.equal(stages.days, 30);
    const velocity = await crm.analytics.velocity({ days: 30 });
    assert.equal(velocity.days, 30);
    for (const c of velocity.currencies) assert.equal(typeof c.won_amount, "string");
  });

  it("auth and webhooks: the problem codes of refused requests", async () => {
    const me = await crm.auth.me();
    assert.equal(me.user.id, userId);
    assert.ok((await crm.auth.sessions.list()).some((s) => s.current));
    const refused = await crm.webhooks.create({ url: "http://127.0.0.1/hook", events: ["*"] }).catch((e: unknown) => e);
    assert.ok(refused instanceof CrmProblemError);
    assert.ok(refused.code === "invalid_webhook_url" || refused.code === "validation_failed", refused.code);
    assert.equal((await crm.webhooks.list()).items.length, 0);
    const noOrg = await crm.contacts.list(undefined, { organizationId: "0193a0c4-7b1e-7c3a-9d51-2a3b4c5d6e7f" }).catch((e: unknown) => e);
    assert.ok(CrmProblemError.is(noOrg, "not_a_member"));
    assert.equal(noOrg.status, 403);
  });
});

