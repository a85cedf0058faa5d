// Idempotency keys, retries and entity tags: unit tests against a scripted fetch (no network), then
// the same against the Go service (CRM_BASE_URL; `npm test` starts one).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import {
  createCrmClient,
  CrmProblemError,
  DEFAULT_RETRY,
  etagOf,
  idempotencyKey,
  ifMatch,
  ifNoneMatch,
  isReplayed,
  unwrap,
  unwrapWithETag,
  type CrmClient,
  type CrmClientOptions,
} from "../src/index.js";

const BASE = "https://crm.test";
const fast = { baseDelayMs: 1, maxDelayMs: 2000 };

interface Sent {
  method: string;
  path: string;
  key: string | null;
  ifMatch: string | null;
  body: string;
  at: number;
}

/** Records every request, then answers it with `answer(n, request)` (n from 0). */
function scripted(answer: (n: number, req: Request) => Promise<Response> | Response) {
  const sent: Sent[] = [];
  const fetch = async (req: Request): Promise<Response> => {
    const n = sent.length;
    sent.push({
      method: req.method,
      path: new URL(req.url).pathname,
      key: req.headers.get("Idempotency-Key"),
      ifMatch: req.headers.get("If-Match"),
      body: req.body === null ? "" : await req.text(),
      at: Date.now(),
    });
    return answer(n, req);
  };
  return { fetch, sent };
}

function problem(status: number, code: string, retryAfter?: string): Response {
  const headers = new Headers({ "Content-Type": "application/problem+json" });
  if (retryAfter !== undefined) headers.set("Retry-After", retryAfter);
  return new Response(JSON.stringify({ type: "about:blank", title: "t", status, code }), { status, headers });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

const me = { user: { id: "u", email: "a@example.com", name: "A", created_at: "2026-01-01T00:00:00Z" }, memberships: [] };

/** The first `n` requests get `fail()`, the rest `ok()`. */
function failing(n: number, fail: () => Response, ok: () => Response = () => json(200, me)) {
  return scripted((i) => (i < n ? fail() : ok()));
}

function fakeClient(fetch: (req: Request) => Promise<Response>, extra: Partial<CrmClientOptions> = {}): CrmClient {
  return createCrmClient({
    baseUrl: BASE,
    fetch,
    tokens: { accessToken: "access", refreshToken: "refresh" },
    organizationId: "org-1",
    retry: fast,
    ...extra,
  });
}

async function problemOf(fn: () => Promise<unknown>): Promise<CrmProblemError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CrmProblemError) return e;
    throw e;
  }
  assert.fail("expected a CrmProblemError");
}

const contactId = "0193a0c4-7b1e-7c3a-9d51-2a3b4c5d6e7f";

describe("retries and idempotency keys (scripted fetch)", () => {
  it("retries a 429 after its Retry-After", async () => {
    const s = failing(1, () => problem(429, "rate_limited", "1"));
    const start = Date.now();
    unwrap(await fakeClient(s.fetch).client.GET("/api/v1/auth/me"));
    assert.equal(s.sent.length, 2);
    assert.ok(s.sent[1]!.at - start >= 900, "waited about a second");
  });

  it("retries 503 and network errors up to maxAttempts, and not at all with retry: false", async () => {
    let s = failing(100, () => problem(503, "service_unavailable"));
    const e = await problemOf(async () => unwrap(await fakeClient(s.fetch).client.GET("/api/v1/auth/me")));
    assert.equal(e.code, "service_unavailable");
    assert.equal(s.sent.length, DEFAULT_RETRY.maxAttempts);

    s = failing(100, () => problem(503, "service_unavailable"));
    await problemOf(async () =>
      unwrap(await fakeClient(s.fetch, { retry: { ...fast, maxAttempts: 5 } }).client.GET("/api/v1/auth/me")),
    );
    assert.equal(s.sent.length, 5);

    s = failing(100, () => problem(503, "service_unavailable"));
    await problemOf(async () => unwrap(await fakeClient(s.fetch, { retry: false }).client.GET("/api/v1/auth/me")));
    assert.equal(s.sent.length, 1);

    const net = scripted((i) => {
      if (i === 0) throw new TypeError("fetch failed (simulated)");
      return json(200, me);
    });
    unwrap(await fakeClient(net.fetch).client.GET("/api/v1/auth/me"));
    assert.equal(net.sent.length, 2);
  });

  it("does not wait for a Retry-After longer than maxDelayMs", async () => {
    const s = failing(1, () => problem(429, "rate_limited", "60"));
    const e = await problemOf(async () => unwrap(await fakeClient(s.fetch).client.GET("/api/v1/auth/me")));
    assert.equal(e.code, "rate_limited");
    assert.equal(e.retryAfter, 60);
    assert.equal(s.sent.length, 1);
  });

  it("sends a fresh key with every authenticated POST and retries 409 idempotency_key_in_use with it", async () => {
    const contact = { id: contactId, name: "C" };
    const s = failing(1, () => problem(409, "idempotency_key_in_use", "0"), () => json(201, contact));
    const crm = fakeClient(s.fetch);
    unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "C" } }));
    assert.equal(s.sent.length, 2);
    assert.match(s.sent[0]!.key ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(s.sent[1]!.key, s.sent[0]!.key);
    assert.equal(s.sent[1]!.body, s.sent[0]!.body);
    assert.deepEqual(JSON.parse(s.sent[1]!.body), { name: "C" });

    unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "D" } }));
    assert.notEqual(s.sent[2]!.key, s.sent[0]!.key, "a new call, a new key");

    unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "E" }, headers: idempotencyKey("mine") }));
    assert.equal(s.sent[3]!.key, "mine", "the caller's key wins");
  });

  it("sends no key on public POSTs nor with idempotencyKeys: false, and then does not retry", async () => {
    let s = failing(100, () => problem(503, "service_unavailable"));
    await problemOf(() => fakeClient(s.fetch).login({ email: "a@example.com", password: "correct-horse-battery" }));
    assert.equal(s.sent.length, 1);
    assert.equal(s.sent[0]!.key, null);

    s = failing(100, () => problem(503, "service_unavailable"));
    await problemOf(async () =>
      unwrap(await fakeClient(s.fetch, { idempotencyKeys: false }).client.POST("/api/v1/contacts", { body: { name: "C" } })),
    );
    assert.equal(s.sent.length, 1);
    assert.equal(s.sent[0]!.key, null);
  });

  it("never retries a 422, another 409, or a PATCH/DELETE without an If-Match tag", async () => {
    const cases: [string, Response | (() => Response), (crm: CrmClient) => Promise<unknown>][] = [
      ["POST 422", () => problem(422, "idempotency_key_mismatch"), (crm) => crm.client.POST("/api/v1/contacts", { body: { name: "C" } }).then(unwrap)],
      ["POST 409", () => problem(409, "contact_email_taken"), (crm) => crm.client.POST("/api/v1/contacts", { body: { name: "C" } }).then(unwrap)],
      ["PATCH 503", () => problem(503, "service_unavailable", "0"), (crm) =>
        crm.client.PATCH("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } }, body: { name: "x" } }).then(unwrap)],
      ["DELETE 503", () => problem(503, "service_unavailable", "0"), (crm) =>
        crm.client.DELETE("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } } }).then(unwrap)],
      ["PATCH If-Match: * 503", () => problem(503, "service_unavailable", "0"), (crm) =>
        crm.client.PATCH("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } }, body: { name: "x" }, headers: ifMatch("*") }).then(unwrap)],
    ];
    for (const [name, answer, call] of cases) {
      const s = scripted(() => (typeof answer === "function" ? answer() : answer));
      await problemOf(() => call(fakeClient(s.fetch)));
      assert.equal(s.sent.length, 1, name);
    }

    const s = failing(100, () => problem(503, "service_unavailable", "0"));
    await problemOf(async () =>
      unwrap(await fakeClient(s.fetch).client.PATCH("/api/v1/contacts/{contact_id}", {
        params: { path: { contact_id: contactId }, header: { "If-Match": '"abc"' } },
        body: { name: "x" },
      })),
    );
    assert.equal(s.sent.length, DEFAULT_RETRY.maxAttempts, "with If-Match it is retried");
    for (const r of s.sent) assert.deepEqual(JSON.parse(r.body), { name: "x" });
  });

  it("stops waiting when the request's signal aborts", async () => {
    const s = failing(100, () => problem(503, "service_unavailable"));
    const crm = fakeClient(s.fetch, { retry: { baseDelayMs: 5000, maxDelayMs: 5000 } });
    const start = Date.now();
    await assert.rejects(crm.client.GET("/api/v1/auth/me", { signal: AbortSignal.timeout(100) }), (e: unknown) => {
      return e instanceof DOMException && e.name === "TimeoutError";
    });
    assert.ok(Date.now() - start < 2000);
    assert.equal(s.sent.length, 1);
  });
});

const baseUrl = process.env.CRM_BASE_URL;

/**
 * Passes requests to the service; the first `drop` answers to (method, path-prefix) requests are
 * thrown away after the server answered, replaced by a network error or a 503.
 */
function lossyFetch() {
  const state = { method: "", path: "", drop: 0, fake503: false };
  const sent: { method: string; path: string; key: string | null; body: string }[] = [];
  const fetch = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const body = req.body === null ? "" : await req.clone().text();
    sent.push({ method: req.method, path, key: req.headers.get("Idempotency-Key"), body });
    const res = await globalThis.fetch(req);
    if (state.drop > 0 && req.method === state.method && path === state.path) {
      state.drop--;
      await res.body?.cancel();
      if (state.fake503) return problem(503, "service_unavailable", "0");
      throw new TypeError("fetch failed (simulated: the answer was lost)");
    }
    return res;
  };
  return { fetch, state, sent, requests: (method: string, path: string) => sent.filter((s) => s.method === method && s.path === path) };
}

describe("idempotency and entity tags against the Go service", { skip: baseUrl ? false : "CRM_BASE_URL is not set" }, () => {
  const run = randomBytes(4).toString("hex");
  let seq = 0;

  async function owner(extra: Partial<CrmClientOptions> = {}) {
    const net = lossyFetch();
    const crm = createCrmClient({ baseUrl: baseUrl!, fetch: net.fetch, retry: fast, ...extra });
    const res = await crm.register({
      email: `ida.${run}.${++seq}@example.com`,
      password: "correct-horse-battery",
      name: "Ida",
      organization_name: `Lossy ${run} ${seq}`,
    });
    crm.setOrganization(res.organization.id);
    return { crm, net };
  }

  async function countContacts(crm: CrmClient): Promise<number> {
    let n = 0;
    for await (const _ of crm.contacts()) n++;
    return n;
  }

  for (const fake503 of [false, true]) {
    it(`a POST whose answer is lost (${fake503 ? "503" : "network error"}) is retried with its key: one contact`, async () => {
      const { crm, net } = await owner();
      Object.assign(net.state, { method: "POST", path: "/api/v1/contacts", drop: 1, fake503 });
      const result = await crm.client.POST("/api/v1/contacts", { body: { name: "Charles Babbage" } });
      const contact = unwrap(result);
      assert.equal(result.response.status, 201);
      assert.ok(isReplayed(result), "answered from the stored answer");
      assert.ok(etagOf(result));
      const posts = net.requests("POST", "/api/v1/contacts");
      assert.equal(posts.length, 2);
      assert.ok(posts[0]!.key);
      assert.equal(posts[1]!.key, posts[0]!.key);
      assert.equal(posts[1]!.body, posts[0]!.body);
      assert.equal(await countContacts(crm), 1);
      assert.equal(contact.name, "Charles Babbage");
    });
  }

  it("a caller's key is replayed; the same key with another body is idempotency_key_mismatch", async () => {
    const { crm, net } = await owner();
    const key = `order-${run}`;
    unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "Grace" }, headers: idempotencyKey(key) }));
    const again = await crm.client.POST("/api/v1/contacts", { body: { name: "Grace" }, headers: idempotencyKey(key) });
    assert.ok(isReplayed(again));
    const e = await problemOf(async () =>
      unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "Other" }, headers: idempotencyKey(key) })),
    );
    assert.equal(e.code, "idempotency_key_mismatch");
    assert.equal(e.status, 422);
    assert.equal(net.requests("POST", "/api/v1/contacts").length, 3);
    assert.equal(await countContacts(crm), 1);
  });

  it("ETags: If-None-Match answers 304 (notModified), a stale If-Match is 412 with the current ETag", async () => {
    const { crm, net } = await owner();
    const created = unwrapWithETag(await crm.client.POST("/api/v1/contacts", { body: { name: "Charles Babbage" } }));
    assert.equal(created.notModified, false);
    const id = created.data!.id;
    const etag0 = created.etag!;
    assert.ok(etag0);
    const path = { contact_id: id };

    const same = unwrapWithETag(await crm.client.GET("/api/v1/contacts/{contact_id}", { params: { path, header: { "If-None-Match": etag0 } } }));
    assert.equal(same.notModified, true);
    assert.equal(same.data, undefined);
    assert.equal(same.etag, etag0);

    const updated = unwrapWithETag(await crm.client.PATCH("/api/v1/contacts/{contact_id}", {
      params: { path },
      headers: ifMatch(etag0),
      body: { name: "Charles Babbage FRS" },
    }));
    const etag1 = updated.etag!;
    assert.ok(etag1 && etag1 !== etag0);

    const stale = await problemOf(async () =>
      unwrap(await crm.client.PATCH("/api/v1/contacts/{contact_id}", { params: { path }, headers: ifMatch(etag0), body: { name: "Lord Byron" } })),
    );
    assert.equal(stale.status, 412);
    assert.equal(stale.code, "precondition_failed");
    assert.equal(stale.etag, etag1);
    assert.ok(CrmProblemError.is(stale, "precondition_failed"));
    const staleDelete = await problemOf(async () =>
      unwrap(await crm.client.DELETE("/api/v1/contacts/{contact_id}", { params: { path, header: { "If-Match": etag0 } } })),
    );
    assert.equal(staleDelete.code, "precondition_failed");

    const fresh = unwrapWithETag(await crm.client.GET("/api/v1/contacts/{contact_id}", { params: { path }, headers: ifNoneMatch(etag0) }));
    assert.equal(fresh.notModified, false);
    assert.equal(fresh.data?.name, "Charles Babbage FRS");
    assert.equal(fresh.etag, etag1);
    assert.equal(net.requests("PATCH", `/api/v1/contacts/${id}`).length, 2, "a 412 is not retried");

    unwrap(await crm.client.DELETE("/api/v1/contacts/{contact_id}", { params: { path }, headers: ifMatch(etag1) }));
    assert.equal(await countContacts(crm), 0);
  });

  it("a lost PATCH without If-Match is not retried; with If-Match its retry is 412, never applied twice", async () => {
    const { crm, net } = await owner();
    const created = unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "Charles Babbage" } }));
    const path = `/api/v1/contacts/${created.id}`;
    Object.assign(net.state, { method: "PATCH", path, drop: 1, fake503: false });
    await assert.rejects(
      crm.client.PATCH("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: created.id } }, body: { name: "no If-Match" } }),
      TypeError,
    );
    assert.equal(net.requests("PATCH", path).length, 1);

    const got = unwrapWithETag(await crm.client.GET("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: created.id } } }));
    assert.equal(got.data?.name, "no If-Match", "the lost PATCH took effect");

    Object.assign(net.state, { drop: 1, fake503: true });
    const e = await problemOf(async () =>
      unwrap(await crm.client.PATCH("/api/v1/contacts/{contact_id}", {
        params: { path: { contact_id: created.id } },
        headers: ifMatch(got.etag!),
        body: { name: "with If-Match" },
      })),
    );
    assert.equal(e.code, "precondition_failed", "the retry finds its own change made");
    assert.equal(net.requests("PATCH", path).length, 3);
    const now = unwrapWithETag(await crm.client.GET("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: created.id } } }));
    assert.equal(now.data?.name, "with If-Match");
    assert.equal(now.etag, e.etag);
  });
});
