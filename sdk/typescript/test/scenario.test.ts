// The end-to-end scenario against a running service (CRM_BASE_URL; `npm test` starts one).
// The steps share state and run in order.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";

import {
  createCrmClient,
  CrmProblemError,
  unwrap,
  type Activity,
  type Contact,
  type CrmClient,
  type Deal,
  type Organization,
  type Task,
  type User,
} from "../src/index.js";

const baseUrl = process.env.CRM_BASE_URL;
const run = randomBytes(4).toString("hex");
const password = "correct-horse-battery";
const ownerEmail = `ada.${run}@example.com`;
const memberEmail = `grace.${run}@example.com`;

/** A fetch that counts the requests per path, for the refresh assertions. */
function countingFetch() {
  const counts = new Map<string, number>();
  const fetch = (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    return globalThis.fetch(req);
  };
  return { fetch, count: (path: string) => counts.get(path) ?? 0 };
}

/** Expects `fn` to throw a CrmProblemError and returns it. */
async function problemOf(fn: () => Promise<unknown>): Promise<CrmProblemError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CrmProblemError) return e;
    throw e;
  }
  assert.fail("expected a CrmProblemError");
}

function tomorrowUTC(): string {
  // The organization's time zone is UTC by default.
  return new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
}

describe("scenario against the Go service", { skip: baseUrl ? false : "CRM_BASE_URL is not set" }, () => {
  let owner: CrmClient;
  let member: CrmClient;
  let ownerUser: User;
  let memberUser: User;
  let org: Organization;
  let contact: Contact;
  let deal: Deal;
  let task: Task;
  const tokenEvents: unknown[] = [];

  before(async () => {
    const health = await createCrmClient({ baseUrl: baseUrl! }).client.GET("/healthz");
    assert.equal(health.response.status, 200);
  });

  it("registers the owner, which creates an organization", async () => {
    owner = createCrmClient({ baseUrl: baseUrl!, onTokens: (t) => tokenEvents.push(t) });
    const res = await owner.register({
      email: ownerEmail,
      password,
      name: "Ada Lovelace",
      organization_name: `Analytical Engines ${run}`,
    });
    ownerUser = res.user;
    org = res.organization;
    assert.equal(res.user.email, ownerEmail);
    assert.equal(res.token_type, "bearer");
    assert.ok(owner.tokens()?.accessToken);
    assert.equal(tokenEvents.length, 1);
    assert.equal(owner.organizationId(), org.id, "register() selects the new organization");
  });

  it("logs in (a new session) and sees the membership", async () => {
    const before = owner.tokens();
    const res = await owner.login({ email: ownerEmail, password });
    assert.equal(res.user.id, ownerUser.id);
    assert.notEqual(owner.tokens()?.refreshToken, before?.refreshToken);
    const me = unwrap(await owner.client.GET("/api/v1/auth/me"));
    assert.deepEqual(
      me.memberships.map((m) => [m.organization_id, m.role]),
      [[org.id, "owner"]],
    );
  });

  it("creates a second organization", async () => {
    const second = unwrap(await owner.client.POST("/api/v1/organizations", { body: { name: `Difference Engines ${run}` } }));
    assert.notEqual(second.id, org.id);
    const mine = unwrap(await owner.client.GET("/api/v1/organizations/me"));
    assert.deepEqual(new Set(mine.items.map((o) => o.id)), new Set([org.id, second.id]));
    assert.ok(mine.items.every((o) => o.role === "owner"));
  });

  it("registers a second user, who joins the first organization as a member by invitation", async () => {
    member = createCrmClient({ baseUrl: baseUrl! });
    const res = await member.register({
      email: memberEmail,
      password,
      name: "Grace Hopper",
      organization_name: `Grace's own ${run}`,
    });
    memberUser = res.user;
    const invitation = unwrap(
      await owner.client.POST("/api/v1/organizations/{organization_id}/invitations", {
        params: { path: { organization_id: org.id } },
        body: { email: memberEmail, role: "member" },
      }),
    );
    const joined = unwrap(await member.client.POST("/api/v1/invitations/accept", { body: { token: invitation.token } }));
    assert.equal(joined.organization_id, org.id);
    assert.equal(joined.role, "member");
    member.setOrganization(org.id);
  });

  it("tenant routes need X-Organization-Id", async () => {
    owner.setOrganization(null);
    const err = await problemOf(async () => unwrap(await owner.client.GET("/api/v1/contacts")));
    assert.equal(err.status, 400);
    assert.equal(err.code, "organization_header_required");
    owner.setOrganization(org.id);
  });

  it("creates a contact", async () => {
    contact = unwrap(
      await owner.client.POST("/api/v1/contacts", {
        body: { name: "Charles Babbage", email: `charles.${run}@example.com`, company: "Difference Engines" },
      }),
    );
    assert.equal(contact.name, "Charles Babbage");
    assert.equal(contact.owner_id, ownerUser.id);
    assert.equal(contact.phone, null);
  });

  it("creates a deal of 10000 EUR", async () => {
    deal = unwrap(
      await owner.client.POST("/api/v1/deals", {
        body: { contact_id: contact.id, title: "Website redesign", amount: "10000", currency: "EUR" },
      }),
    );
    assert.equal(deal.amount, "10000.00"); // exact: a decimal string, as the server wrote it
    assert.equal(deal.currency, "EUR");
    assert.equal(deal.status, "new");
    assert.equal(deal.stage, "qualification");
    const listed = unwrap(await owner.client.GET("/api/v1/deals", { params: { query: { stage: "qualification" } } }));
    assert.deepEqual(listed.items.map((d) => d.id), [deal.id]);
  });

  it("creates a task due tomorrow", async () => {
    const due = tomorrowUTC();
    task = unwrap(
      await owner.client.POST("/api/v1/tasks", { body: { deal_id: deal.id, title: "Send the proposal", due_date: due } }),
    );
    assert.equal(task.due_date, due);
    assert.equal(task.is_done, false);
    assert.equal(task.deal_id, deal.id);
  });

  it("comments on the deal", async () => {
    const c = unwrap(
      await owner.client.POST("/api/v1/deals/{deal_id}/activities", {
        params: { path: { deal_id: deal.id } },
        body: { type: "comment", payload: { text: "Client asked for a discount." } },
      }),
    );
    assert.equal(c.type, "comment");
    assert.equal(c.author_id, ownerUser.id);
  });

  it("moves the deal qualification → proposal, in_progress", async () => {
    deal = unwrap(
      await owner.client.PATCH("/api/v1/deals/{deal_id}", {
        params: { path: { deal_id: deal.id } },
        body: { stage: "proposal", status: "in_progress" },
      }),
    );
    assert.equal(deal.stage, "proposal");
    assert.equal(deal.status, "in_progress");
  });

  it("closes the deal as won", async () => {
    deal = unwrap(
      await owner.client.PATCH("/api/v1/deals/{deal_id}", {
        params: { path: { deal_id: deal.id } },
        body: { stage: "closed", status: "won" },
      }),
    );
    assert.equal(deal.stage, "closed");
    assert.equal(deal.status, "won");
  });

  it("reads the timeline", async () => {
    const timeline = unwrap(
      await owner.client.GET("/api/v1/deals/{deal_id}/activities", {
        params: { path: { deal_id: deal.id }, query: { page_size: 100 } },
      }),
    );
    const items = timeline.items;
    assert.equal(timeline.total, items.length);
    const ofType = (type: Activity["type"]) => items.filter((a) => a.type === type);
    for (const a of items) {
      assert.equal(a.deal_id, deal.id);
    }

    const created = ofType("deal_created");
    assert.equal(created.length, 1);
    assert.equal(created[0]?.payload["title"], "Website redesign");
    assert.equal(created[0]?.payload["amount"], "10000.00"); // free-form payloads keep amounts exact too
    assert.equal(created[0]?.payload["currency"], "EUR");

    assert.deepEqual(
      ofType("comment").map((a) => a.payload),
      [{ text: "Client asked for a discount." }],
    );

    const tasks = ofType("task_created");
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0]?.payload["task_id"], task.id);
    assert.equal(tasks[0]?.payload["title"], "Send the proposal");

    // Newest first: reverse for chronological order.
    const stageChanges = ofType("stage_changed").reverse().map((a) => a.payload);
    assert.deepEqual(stageChanges, [
      { old_stage: "qualification", new_stage: "proposal" },
      { old_stage: "proposal", new_stage: "closed" },
    ]);
    const statusChanges = ofType("status_changed").reverse().map((a) => a.payload);
    assert.deepEqual(statusChanges, [
      { old_status: "new", new_status: "in_progress" },
      { old_status: "in_progress", new_status: "won" },
    ]);
    assert.equal(items.length, 7);

    // Newest first.
    const times = items.map((a) => Date.parse(a.created_at));
    assert.deepEqual(times, [...times].sort((x, y) => y - x));

    const onlyComments = unwrap(
      await owner.client.GET("/api/v1/deals/{deal_id}/activities", {
        params: { path: { deal_id: deal.id }, query: { type: "comment" } },
      }),
    );
    assert.equal(onlyComments.total, 1);
  });

  it("summarises the deals", async () => {
    const summary = unwrap(await owner.client.GET("/api/v1/analytics/deals/summary", { params: { query: { days: 30 } } }));
    assert.deepEqual(
      summary.by_status.map((s) => s.status),
      ["new", "in_progress", "won", "lost"],
    );
    const won = summary.by_status.find((s) => s.status === "won");
    assert.equal(won?.count, 1);
    assert.equal(won?.amounts.length, 1);
    assert.equal(won?.amounts[0]?.currency, "EUR");
    assert.equal(won?.amounts[0]?.total, "10000.00");
    for (const s of summary.by_status.filter((x) => x.status !== "won")) {
      assert.equal(s.count, 0);
      assert.deepEqual(s.amounts, []);
    }
    assert.equal(summary.won_average.length, 1);
    assert.equal(summary.won_average[0]?.currency, "EUR");
    assert.equal(Number(summary.won_average[0]?.average), 10000);
    assert.equal(summary.new_deals.days, 30);
    assert.equal(summary.new_deals.count, 1);
  });

  it("shows the funnel", async () => {
    const funnel = unwrap(await owner.client.GET("/api/v1/analytics/deals/funnel"));
    assert.deepEqual(
      funnel.stages.map((s) => [s.stage, s.count, s.reached, s.conversion_from_previous]),
      [
        ["qualification", 0, 1, null],
        ["proposal", 0, 1, 100],
        ["negotiation", 0, 1, 100],
        ["closed", 1, 1, 100],
      ],
    );
    const closed = funnel.stages.find((s) => s.stage === "closed");
    assert.deepEqual(closed?.by_status, { new: 0, in_progress: 0, won: 1, lost: 0 });
  });

  it("a member cannot roll back a deal's stage", async () => {
    // The owner's deal: a member changes only their own deals.
    const notOwn = await problemOf(async () =>
      unwrap(
        await member.client.PATCH("/api/v1/deals/{deal_id}", {
          params: { path: { deal_id: deal.id } },
          body: { stage: "proposal" },
        }),
      ),
    );
    assert.equal(notOwn.status, 403);
    assert.equal(notOwn.code, "forbidden");

    // Their own deal: forward is fine, backward is stage_rollback_forbidden.
    const theirContact = unwrap(await member.client.POST("/api/v1/contacts", { body: { name: "Herman Hollerith" } }));
    const theirs = unwrap(
      await member.client.POST("/api/v1/deals", { body: { contact_id: theirContact.id, title: "Tabulators", amount: "500" } }),
    );
    assert.equal(theirs.owner_id, memberUser.id);
    const forward = unwrap(
      await member.client.PATCH("/api/v1/deals/{deal_id}", {
        params: { path: { deal_id: theirs.id } },
        body: { stage: "negotiation" },
      }),
    );
    assert.equal(forward.stage, "negotiation");
    const err = await problemOf(async () =>
      unwrap(
        await member.client.PATCH("/api/v1/deals/{deal_id}", {
          params: { path: { deal_id: theirs.id } },
          body: { stage: "qualification" },
        }),
      ),
    );
    assert.ok(err instanceof CrmProblemError);
    assert.equal(err.status, 403);
    assert.equal(err.code, "stage_rollback_forbidden");
    assert.equal(err.problem.code, "stage_rollback_forbidden");
    assert.ok(err.request_id, "problem documents carry a request_id");

    // The owner may.
    const back = unwrap(
      await owner.client.PATCH("/api/v1/deals/{deal_id}", {
        params: { path: { deal_id: theirs.id } },
        body: { stage: "proposal" },
      }),
    );
    assert.equal(back.stage, "proposal");
  });

  it("a bad request is a typed validation_failed problem with errors[]", async () => {
    const err = await problemOf(async () =>
      unwrap(await owner.client.POST("/api/v1/contacts", { body: { name: "", email: "not-an-email" } })),
    );
    assert.equal(err.status, 400);
    assert.equal(err.code, "validation_failed");
    assert.ok(err.errors.length >= 1, "errors[] names the fields");
    const fields = err.errors.map((e) => e.field);
    assert.ok(fields.some((f) => /name|email/.test(f)), `fields: ${fields.join(", ")}`);
    for (const e of err.errors) {
      assert.equal(typeof e.message, "string");
    }
    assert.equal(err.response?.headers.get("Content-Type")?.split(";")[0], "application/problem+json");
  });

  it("refreshes transparently with a bad access token, rotating the refresh token", async () => {
    const session = createCrmClient({ baseUrl: baseUrl!, organizationId: org.id });
    await session.login({ email: ownerEmail, password });
    const good = session.tokens()!;
    const counter = countingFetch();
    const seen: unknown[] = [];
    const c = createCrmClient({
      baseUrl: baseUrl!,
      organizationId: org.id,
      fetch: counter.fetch,
      tokens: { accessToken: "not-a-jwt", refreshToken: good.refreshToken },
      onTokens: (t) => seen.push(t),
    });
    const deals = unwrap(await c.client.GET("/api/v1/deals"));
    assert.ok(deals.items.some((d) => d.id === deal.id));
    assert.equal(counter.count("/api/v1/auth/refresh"), 1);
    assert.equal(counter.count("/api/v1/deals"), 2); // the 401, then the retry
    const now = c.tokens()!;
    assert.notEqual(now.refreshToken, good.refreshToken);
    assert.notEqual(now.accessToken, "not-a-jwt");
    assert.deepEqual(seen, [now]);

    // A request with a body is retried with the same body.
    c.setTokens({ accessToken: "expired", refreshToken: now.refreshToken });
    const comment = unwrap(
      await c.client.POST("/api/v1/deals/{deal_id}/activities", {
        params: { path: { deal_id: deal.id } },
        body: { type: "comment", payload: { text: "After a refresh." } },
      }),
    );
    assert.equal(comment.payload["text"], "After a refresh.");
    assert.equal(counter.count("/api/v1/auth/refresh"), 2);
    assert.notEqual(c.tokens()?.refreshToken, now.refreshToken);
  });

  it("five concurrent 401s share one refresh", async () => {
    const session = createCrmClient({ baseUrl: baseUrl! });
    await session.login({ email: ownerEmail, password });
    const counter = countingFetch();
    const c = createCrmClient({
      baseUrl: baseUrl!,
      organizationId: org.id,
      fetch: counter.fetch,
      tokens: { accessToken: "garbage", refreshToken: session.tokens()!.refreshToken },
    });
    const results = await Promise.all([
      c.client.GET("/api/v1/deals"),
      c.client.GET("/api/v1/contacts"),
      c.client.GET("/api/v1/tasks"),
      c.client.GET("/api/v1/analytics/deals/summary"),
      c.client.GET("/api/v1/auth/me"),
    ]);
    assert.deepEqual(
      results.map((r) => r.response.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal(counter.count("/api/v1/auth/refresh"), 1);
    assert.notEqual(c.tokens()?.refreshToken, session.tokens()?.refreshToken);
  });

  it("a refused refresh clears the tokens and surfaces the 401", async () => {
    const seen: unknown[] = [];
    const c = createCrmClient({
      baseUrl: baseUrl!,
      organizationId: org.id,
      tokens: { accessToken: "garbage", refreshToken: "not-a-refresh-token" },
      onTokens: (t) => seen.push(t),
    });
    const err = await problemOf(async () => unwrap(await c.client.GET("/api/v1/deals")));
    assert.equal(err.status, 401);
    assert.equal(err.code, "unauthorized");
    assert.equal(c.tokens(), null);
    assert.deepEqual(seen, [null]);
  });

  it("logs out; the next call fails with 401 and the old tokens are dead", async () => {
    const old = owner.tokens()!;
    await owner.logout();
    assert.equal(owner.tokens(), null);
    const err = await problemOf(async () => unwrap(await owner.client.GET("/api/v1/deals")));
    assert.equal(err.status, 401);
    assert.equal(err.code, "unauthorized");

    // Resuming the ended session: the access token is revoked and the refresh is refused.
    const counter = countingFetch();
    const resumed = createCrmClient({ baseUrl: baseUrl!, organizationId: org.id, fetch: counter.fetch, tokens: old });
    const again = await resumed.client.GET("/api/v1/auth/me");
    assert.equal(again.response.status, 401);
    assert.equal(counter.count("/api/v1/auth/refresh"), 1);
    assert.equal(resumed.tokens(), null);
  });
});
