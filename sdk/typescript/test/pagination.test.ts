// The list iterators: unit tests against an in-memory fake list (no network), then the same against
// the Go service (CRM_BASE_URL; `npm test` starts one).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";

import {
  createCrmClient,
  CrmProblemError,
  paginate,
  unwrap,
  type Contact,
  type ContactsQuery,
  type CrmClient,
  type Organization,
} from "../src/index.js";

interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  organization: string | null;
  status: number;
}

/** A fetch that records every request (and its answer's status) before passing it on to `next`. */
function recordingFetch(next: (req: Request) => Promise<Response> = (req) => globalThis.fetch(req)) {
  const sent: Sent[] = [];
  const fetch = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const entry: Sent = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      organization: req.headers.get("X-Organization-Id"),
      status: 0,
    };
    sent.push(entry);
    const res = await next(req);
    entry.status = res.status;
    return res;
  };
  const gets = (path: string) => sent.filter((s) => s.method === "GET" && s.path === path);
  return { fetch, sent, gets };
}

/** Drains an iterable; an error thrown out of the loop is returned with the items seen before it. */
async function drain<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const out: T[] = [];
  try {
    for await (const item of items) out.push(item);
  } catch (error) {
    return { items: out, error };
  }
  return { items: out, error: undefined };
}

const BASE = "http://crm.test";

/**
 * A fake GET /api/v1/contacts over `total` contacts: the cursor is the offset plus the query it was
 * issued for (anything else is invalid_cursor), page_size defaults to 20.
 */
function fakeContacts(total: number) {
  const all = Array.from({ length: total }, (_, i) => ({ id: `c${i + 1}`, name: `Contact ${i + 1}` }));
  const json = (status: number, body: unknown, type = "application/json") =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
  return async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    if (url.pathname !== "/api/v1/contacts") {
      return json(404, { type: "about:blank", title: "Not Found", status: 404, code: "not_found" }, "application/problem+json");
    }
    const q = new URLSearchParams(url.searchParams);
    const cursor = q.get("cursor");
    q.delete("cursor");
    q.delete("page");
    q.sort();
    const scope = q.toString();
    let offset = 0;
    if (cursor !== null) {
      const m = /^(\d+)\|(.*)$/.exec(cursor);
      if (m === null || m[2] !== scope) {
        return json(400, { type: "about:blank", title: "Bad Request", status: 400, code: "invalid_cursor" }, "application/problem+json");
      }
      offset = Number(m[1]);
    }
    const size = Number(q.get("page_size") ?? 20);
    const items = all.slice(offset, offset + size);
    const body: Record<string, unknown> = { items, total, page: Math.floor(offset / size) + 1, page_size: size };
    if (offset + size < total) body["next_cursor"] = `${offset + size}|${scope}`;
    return json(200, body);
  };
}

describe("list iterators (fake server)", () => {
  it("request page after page by cursor with the same query, and stop at the last page", async () => {
    const rec = recordingFetch(fakeContacts(45));
    const crm = createCrmClient({ baseUrl: BASE, fetch: rec.fetch, organizationId: "org-1" });
    const query: ContactsQuery = { page_size: 20, search: "contact" };
    const { items, error } = await drain(crm.contacts(query));
    assert.equal(error, undefined);
    assert.deepEqual(items.map((c) => c.id), Array.from({ length: 45 }, (_, i) => `c${i + 1}`));
    const gets = rec.gets("/api/v1/contacts");
    assert.equal(gets.length, 3);
    assert.equal(gets[0]?.query.has("cursor"), false);
    assert.deepEqual(gets.map((g) => g.query.get("cursor")), [null, "20|page_size=20&search=contact", "40|page_size=20&search=contact"]);
    for (const g of gets) {
      assert.equal(g.query.get("search"), "contact");
      assert.equal(g.query.get("page_size"), "20");
      assert.equal(g.organization, "org-1");
    }
    assert.deepEqual(query, { page_size: 20, search: "contact" }, "the caller's query is left alone");
  });

  it("fetch nothing before the loop, nothing more after a break, and start over on every loop", async () => {
    const rec = recordingFetch(fakeContacts(45));
    const crm = createCrmClient({ baseUrl: BASE, fetch: rec.fetch });
    const contacts = crm.contacts({ page_size: 20 });
    assert.equal(rec.sent.length, 0);
    let n = 0;
    for await (const _ of contacts) {
      if (++n === 20) break; // the last item of the first page
    }
    assert.equal(rec.sent.length, 1);
    assert.equal((await drain(contacts)).items.length, 45);
    assert.equal(rec.sent.length, 4);
  });

  it("throw the error of a failed page once, after the items before it", async () => {
    let calls = 0;
    const failSecond = (req: Request) =>
      ++calls === 2
        ? Promise.resolve(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }))
        : fakeContacts(45)(req);
    const crm = createCrmClient({ baseUrl: BASE, fetch: failSecond });
    const { items, error } = await drain(crm.contacts({ page_size: 20 }));
    assert.equal(items.length, 20);
    assert.ok(CrmProblemError.is(error, "http_502"), String(error));
    assert.equal(calls, 2);
  });

  it("start at the caller's cursor", async () => {
    const crm = createCrmClient({ baseUrl: BASE, fetch: fakeContacts(45) });
    const { items } = await drain(crm.contacts({ page_size: 20, cursor: "40|page_size=20" }));
    assert.deepEqual(items.map((c) => c.id), ["c41", "c42", "c43", "c44", "c45"]);
    const bad = await drain(crm.contacts({ page_size: 10, cursor: "40|page_size=20" }));
    assert.ok(CrmProblemError.is(bad.error, "invalid_cursor"));
  });

  it("keep the organization set when the loop started", async () => {
    const rec = recordingFetch(fakeContacts(45));
    const crm = createCrmClient({ baseUrl: BASE, fetch: rec.fetch, organizationId: "org-1" });
    let n = 0;
    for await (const _ of crm.contacts({ page_size: 20 })) {
      n++;
      crm.setOrganization("org-2");
    }
    assert.equal(n, 45);
    assert.deepEqual(rec.sent.map((s) => s.organization), ["org-1", "org-1", "org-1"]);
  });

  it("paginate() refuses a cursor answered with itself instead of looping", async () => {
    let calls = 0;
    const pages = paginate(async () => {
      calls++;
      return { items: [calls], next_cursor: "same" };
    });
    const { items, error } = await drain(pages);
    assert.deepEqual(items, [1, 2]);
    assert.match(String(error), /same next_cursor/);
  });
});

const baseUrl = process.env.CRM_BASE_URL;
const run = randomBytes(4).toString("hex");
const password = "correct-horse-battery";

describe("list iterators against the Go service", { skip: baseUrl ? false : "CRM_BASE_URL is not set" }, () => {
  const rec = recordingFetch();
  let crm: CrmClient;
  let org: Organization;
  let strangerOrg: Organization;
  let all: Contact[];

  async function register(client: CrmClient, name: string) {
    return client.register({ email: `${name}.${run}@example.com`, password, name, organization_name: `${name}'s ${run}` });
  }

  before(async () => {
    crm = createCrmClient({ baseUrl: baseUrl!, fetch: rec.fetch });
    org = (await register(crm, "ada")).organization;
    strangerOrg = (await register(createCrmClient({ baseUrl: baseUrl! }), "mallory")).organization;
    crm.setOrganization(org.id);
    for (let i = 1; i <= 45; i++) {
      const name = `Contact ${String(i).padStart(2, "0")} ${i % 2 === 1 ? "odd" : "even"}`;
      unwrap(await crm.client.POST("/api/v1/contacts", { body: { name } }));
    }
    const one = unwrap(await crm.client.GET("/api/v1/contacts", { params: { query: { page_size: 100 } } }));
    assert.equal(one.next_cursor, undefined);
    all = one.items;
    assert.equal(all.length, 45);
  });

  /** The GET /api/v1/contacts requests sent while running fn. */
  async function contactGets(fn: () => Promise<void>): Promise<Sent[]> {
    const start = rec.sent.length;
    await fn();
    return rec.sent.slice(start).filter((s) => s.method === "GET" && s.path === "/api/v1/contacts");
  }

  it("yields the 45 contacts once each, in the server's order, in 3 requests of 20", async () => {
    const query: ContactsQuery = { page_size: 20 };
    let got: Contact[] = [];
    const gets = await contactGets(async () => {
      got = (await drain(crm.contacts(query))).items;
    });
    assert.deepEqual(got.map((c) => c.id), all.map((c) => c.id));
    assert.equal(new Set(got.map((c) => c.id)).size, 45);
    assert.equal(gets.length, 3);
    assert.equal(gets[0]?.query.has("cursor"), false);
    assert.ok(gets[1]?.query.get("cursor"));
    assert.ok(gets.every((g) => g.status === 200 && g.query.get("page_size") === "20" && g.organization === org.id));
    assert.deepEqual(query, { page_size: 20 });
  });

  it("stops when the loop breaks", async () => {
    const got: Contact[] = [];
    const gets = await contactGets(async () => {
      for await (const c of crm.contacts({ page_size: 20 })) {
        got.push(c);
        if (got.length === 5) break;
      }
    });
    assert.deepEqual(got.map((c) => c.id), all.slice(0, 5).map((c) => c.id));
    assert.equal(gets.length, 1);
  });

  it("keeps the filter and the order on every page", async () => {
    const want = unwrap(
      await crm.client.GET("/api/v1/contacts", { params: { query: { search: "ODD", order_by: "name", order: "asc", page_size: 100 } } }),
    ).items;
    assert.equal(want.length, 23);
    let got: Contact[] = [];
    const gets = await contactGets(async () => {
      got = (await drain(crm.contacts({ search: "ODD", order_by: "name", order: "asc", page_size: 10 }))).items;
    });
    assert.deepEqual(got.map((c) => c.id), want.map((c) => c.id));
    assert.ok(got.every((c) => c.name.endsWith(" odd")));
    assert.equal(gets.length, 3);
    for (const g of gets) {
      assert.equal(g.query.get("search"), "ODD");
      assert.equal(g.query.get("order_by"), "name");
      assert.equal(g.query.get("order"), "asc");
    }
  });

  it("throws the error once: another organization is not_a_member", async () => {
    crm.setOrganization(strangerOrg.id);
    try {
      let seen = 0;
      const gets = await contactGets(async () => {
        try {
          for await (const _ of crm.contacts()) seen++;
          assert.fail("expected a CrmProblemError");
        } catch (e) {
          assert.ok(CrmProblemError.is(e, "not_a_member"), String(e));
          assert.equal((e as CrmProblemError).status, 403);
        }
      });
      assert.equal(seen, 0);
      assert.equal(gets.length, 1);
    } finally {
      crm.setOrganization(org.id);
    }
  });

  it("throws invalid_cursor for a cursor of other parameters", async () => {
    const first = unwrap(await crm.client.GET("/api/v1/contacts", { params: { query: { page_size: 20 } } }));
    assert.ok(first.next_cursor);
    const { error } = await drain(crm.contacts({ page_size: 10, cursor: first.next_cursor }));
    assert.ok(CrmProblemError.is(error, "invalid_cursor"), String(error));
    const resumed = await drain(crm.contacts({ page_size: 20, cursor: first.next_cursor }));
    assert.deepEqual(resumed.items.map((c) => c.id), all.slice(20).map((c) => c.id));
  });

  it("keeps the organization of the loop's start", async () => {
    let n = 0;
    const gets = await contactGets(async () => {
      for await (const _ of crm.contacts({ page_size: 20 })) {
        n++;
        crm.setOrganization(strangerOrg.id);
      }
    });
    crm.setOrganization(org.id);
    assert.equal(n, 45);
    assert.ok(gets.every((g) => g.organization === org.id && g.status === 200));
  });

  it("pages through deals, tasks, activities and members", async () => {
    const contact = unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "Charles Babbage" } }));
    const dealIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = unwrap(await crm.client.POST("/api/v1/deals", { body: { contact_id: contact.id, title: `Deal ${i}`, amount: "100" } }));
      dealIds.push(d.id);
    }
    const deals = (await drain(crm.deals({ contact_id: contact.id, page_size: 2 }))).items;
    assert.deepEqual(new Set(deals.map((d) => d.id)), new Set(dealIds));
    assert.equal(deals.length, 5);

    const dealId = dealIds[0]!;
    for (let i = 0; i < 3; i++) {
      unwrap(await crm.client.POST("/api/v1/tasks", { body: { deal_id: dealId, title: `Task ${i}` } }));
      unwrap(
        await crm.client.POST("/api/v1/deals/{deal_id}/activities", {
          params: { path: { deal_id: dealId } },
          body: { type: "comment", payload: { text: `Comment ${i}` } },
        }),
      );
    }
    const tasks = (await drain(crm.tasks({ deal_id: dealId, page_size: 2 }))).items;
    assert.equal(tasks.length, 3);
    assert.ok(tasks.every((t) => t.deal_id === dealId));

    const timeline = unwrap(
      await crm.client.GET("/api/v1/deals/{deal_id}/activities", { params: { path: { deal_id: dealId }, query: { page_size: 100 } } }),
    ).items;
    const activities = (await drain(crm.activities(dealId, { page_size: 2 }))).items;
    assert.deepEqual(activities.map((a) => a.id), timeline.map((a) => a.id));
    const comments = (await drain(crm.activities(dealId, { type: "comment", page_size: 2 }))).items;
    assert.equal(comments.length, 3);

    const grace = createCrmClient({ baseUrl: baseUrl! });
    await register(grace, "grace");
    const invitation = await crm.invitations.create({ email: `grace.${run}@example.com`, role: "member" }, { organizationId: org.id });
    await grace.invitations.accept(invitation.token);
    const members = (await drain(crm.members(org.id, { page_size: 1 }))).items;
    assert.equal(members.length, 2);
    assert.equal(new Set(members.map((m) => m.user_id)).size, 2);

    const hooks: string[] = [];
    for (let i = 0; i < 3; i++) {
      const w = unwrap(
        await crm.client.POST("/api/v1/webhooks", { body: { url: `https://hooks.example.com/${i}`, events: ["deal.updated", "contact.created"] } }),
      );
      assert.ok(w.secret.startsWith("whsec_"));
      hooks.push(w.id);
    }
    const webhooks = (await drain(crm.webhooks({ page_size: 2 }))).items;
    assert.deepEqual(webhooks.map((w) => w.id), hooks, "oldest first");
    assert.ok(webhooks.every((w) => !("secret" in w)));
    for (let i = 0; i < 3; i++) {
      unwrap(await crm.client.POST("/api/v1/webhooks/{webhook_id}/ping", { params: { path: { webhook_id: hooks[0]! } } }));
    }
    const deliveries = (await drain(crm.webhookDeliveries(hooks[0]!, { page_size: 2 }))).items;
    assert.equal(deliveries.length, 3);
    assert.ok(deliveries.every((d) => d.event_type === "webhook.ping"));
  });
});
