// Unit tests of the session layer against an in-memory fake of the auth endpoints: no network.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createCrmClient, CrmProblemError, unwrap, type CrmTokens } from "../src/index.js";

const BASE = "http://crm.test";

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  organization: string | null;
  body: string;
}

/** A tiny fake of the API: rotating refresh tokens, /auth/me and an echo endpoint. */
function fakeServer(opts: { refreshStatus?: number; refreshDelayMs?: number } = {}) {
  let n = 0;
  const access = new Set<string>(["access-0"]);
  const refresh = new Set<string>(["refresh-0"]);
  const seen: Seen[] = [];
  let refreshCalls = 0;

  const json = (status: number, body: unknown, type = "application/json") =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": type } });
  const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
    json(status, { type: "about:blank", title: "x", status, code, request_id: "req-1", ...extra }, "application/problem+json");

  async function fetch(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const body = req.body ? await req.text() : "";
    seen.push({
      method: req.method,
      path: url.pathname,
      authorization: req.headers.get("Authorization"),
      organization: req.headers.get("X-Organization-Id"),
      body,
    });
    const bearer = req.headers.get("Authorization")?.replace(/^Bearer /, "") ?? "";
    switch (url.pathname) {
      case "/api/v1/auth/login":
        n++;
        access.add(`access-${n}`);
        refresh.add(`refresh-${n}`);
        return json(200, {
          user: { id: "u", email: "a@b.c", name: "A", created_at: "2026-01-01T00:00:00Z" },
          access_token: `access-${n}`,
          refresh_token: `refresh-${n}`,
          token_type: "bearer",
          expires_in: 900,
        });
      case "/api/v1/auth/refresh": {
        refreshCalls++;
        if (opts.refreshDelayMs) await new Promise((r) => setTimeout(r, opts.refreshDelayMs));
        if (opts.refreshStatus !== undefined) return problem(opts.refreshStatus, "x");
        const presented = (JSON.parse(body) as { refresh_token: string }).refresh_token;
        if (!refresh.delete(presented)) return problem(401, "unauthorized");
        n++;
        access.add(`access-${n}`);
        refresh.add(`refresh-${n}`);
        return json(200, { access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: "bearer", expires_in: 900 });
      }
      case "/api/v1/auth/logout":
        return new Response(null, { status: 204 });
      case "/api/v1/auth/me":
        if (!access.has(bearer)) return problem(401, "unauthorized");
        return json(200, { user: { id: "u", email: "a@b.c", name: "A", created_at: "2026-01-01T00:00:00Z" }, memberships: [] });
      case "/api/v1/contacts":
        if (!access.has(bearer)) return problem(401, "unauthorized");
        if (req.method === "POST") {
          return json(201, { ...JSON.parse(body), id: "c1" });
        }
        return problem(400, "validation_failed", { errors: [{ field: "page", message: "bad" }] });
      case "/api/v1/deals":
        return new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" });
      default:
        return problem(404, "not_found");
    }
  }
  return {
    fetch,
    seen,
    refreshCalls: () => refreshCalls,
    revokeAccess: () => access.clear(),
  };
}

describe("session headers", () => {
  it("adds Authorization and X-Organization-Id only when set, never on public routes", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE + "/", fetch: srv.fetch });
    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.seen.at(-1)?.authorization, null);
    assert.equal(srv.seen.at(-1)?.organization, null);

    await crm.login({ email: "a@b.c", password: "secret" });
    assert.equal(srv.seen.at(-1)?.path, "/api/v1/auth/login");
    assert.equal(srv.seen.at(-1)?.authorization, null);

    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.seen.at(-1)?.authorization, "Bearer access-1");
    assert.equal(srv.seen.at(-1)?.organization, null);

    crm.setOrganization("org-1");
    assert.equal(crm.organizationId(), "org-1");
    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.seen.at(-1)?.organization, "org-1");

    // An explicit per-request header wins.
    await crm.client.GET("/api/v1/auth/me", { headers: { "X-Organization-Id": "org-2" } });
    assert.equal(srv.seen.at(-1)?.organization, "org-2");

    crm.setOrganization(null);
    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.seen.at(-1)?.organization, null);
  });
});

describe("transparent refresh", () => {
  it("refreshes on 401, stores the rotated pair and retries once with the same body", async () => {
    const srv = fakeServer();
    const changes: (CrmTokens | null)[] = [];
    const crm = createCrmClient({
      baseUrl: BASE,
      fetch: srv.fetch,
      tokens: { accessToken: "garbage", refreshToken: "refresh-0" },
      onTokens: (t) => changes.push(t),
    });
    const created = unwrap(await crm.client.POST("/api/v1/contacts", { body: { name: "Charles Babbage" } }));
    assert.equal(created.name, "Charles Babbage");
    assert.equal(srv.refreshCalls(), 1);
    assert.deepEqual(crm.tokens(), { accessToken: "access-1", refreshToken: "refresh-1" });
    assert.deepEqual(changes, [{ accessToken: "access-1", refreshToken: "refresh-1" }]);
    const posts = srv.seen.filter((s) => s.path === "/api/v1/contacts");
    assert.equal(posts.length, 2);
    assert.equal(posts[0]?.authorization, "Bearer garbage");
    assert.equal(posts[1]?.authorization, "Bearer access-1");
    assert.equal(posts[1]?.body, posts[0]?.body);
    assert.deepEqual(JSON.parse(posts[1]?.body ?? ""), { name: "Charles Babbage" });
  });

  it("shares one refresh between concurrent 401s", async () => {
    const srv = fakeServer({ refreshDelayMs: 20 });
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch, tokens: { accessToken: "garbage", refreshToken: "refresh-0" } });
    const results = await Promise.all(Array.from({ length: 5 }, () => crm.client.GET("/api/v1/auth/me")));
    for (const r of results) assert.equal(r.response.status, 200);
    assert.equal(srv.refreshCalls(), 1);
    assert.equal(crm.tokens()?.refreshToken, "refresh-1");
  });

  it("retries without a new refresh when another request already refreshed", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch, tokens: { accessToken: "garbage", refreshToken: "refresh-0" } });
    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.refreshCalls(), 1);
    // A request sent with the old token after the refresh: the fake still rejects "garbage".
    const r = await crm.client.GET("/api/v1/auth/me", { headers: { Authorization: "Bearer garbage" } });
    assert.equal(r.response.status, 200);
    assert.equal(srv.refreshCalls(), 1);
  });

  it("clears the tokens and surfaces the 401 when the refresh is refused", async () => {
    const srv = fakeServer();
    const changes: (CrmTokens | null)[] = [];
    const crm = createCrmClient({
      baseUrl: BASE,
      fetch: srv.fetch,
      tokens: { accessToken: "garbage", refreshToken: "stolen" },
      onTokens: (t) => changes.push(t),
    });
    const r = await crm.client.GET("/api/v1/auth/me");
    assert.equal(r.response.status, 401);
    assert.equal(r.error?.code, "unauthorized");
    assert.equal(crm.tokens(), null);
    assert.deepEqual(changes, [null]);
    assert.throws(() => unwrap(r), (e: unknown) => CrmProblemError.is(e, "unauthorized") && e.status === 401);
    // Without tokens no refresh is attempted any more.
    await crm.client.GET("/api/v1/auth/me");
    assert.equal(srv.refreshCalls(), 1);
  });

  it("keeps the tokens when the refresh fails for a server reason (503)", async () => {
    const srv = fakeServer({ refreshStatus: 503 });
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch, tokens: { accessToken: "garbage", refreshToken: "refresh-0" } });
    const r = await crm.client.GET("/api/v1/auth/me");
    assert.equal(r.response.status, 401);
    assert.deepEqual(crm.tokens(), { accessToken: "garbage", refreshToken: "refresh-0" });
  });

  it("does not refresh on a 401 from login", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE + "/prefix", fetch: srv.fetch, tokens: { accessToken: "a", refreshToken: "refresh-0" } });
    // With a path prefix, /prefix/api/v1/auth/login is still recognised as public: it is not
    // a known route of the fake (404), and no refresh happens.
    const r = await crm.client.POST("/api/v1/auth/login", { body: { email: "a", password: "b" } });
    assert.equal(r.response.status, 404);
    assert.equal(srv.seen.at(-1)?.path, "/prefix/api/v1/auth/login");
    assert.equal(srv.seen.at(-1)?.authorization, null);
    assert.equal(srv.refreshCalls(), 0);
  });
});

describe("errors", () => {
  it("unwrap throws a typed CrmProblemError with errors[] and request_id", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch, tokens: { accessToken: "access-0", refreshToken: "refresh-0" } });
    const r = await crm.client.GET("/api/v1/contacts");
    try {
      unwrap(r);
      assert.fail("unwrap should throw");
    } catch (e) {
      assert.ok(e instanceof CrmProblemError);
      assert.equal(e.name, "CrmProblemError");
      assert.equal(e.status, 400);
      assert.equal(e.code, "validation_failed");
      assert.equal(e.request_id, "req-1");
      assert.deepEqual(e.errors, [{ field: "page", message: "bad" }]);
      assert.equal(e.problem.code, "validation_failed");
      assert.match(e.message, /400 validation_failed/);
    }
  });

  it("turns a non-problem error body into code http_<status>", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch });
    const r = await crm.client.GET("/api/v1/deals");
    assert.throws(
      () => unwrap(r),
      (e: unknown) => CrmProblemError.is(e, "http_502") && e.status === 502 && e.detail === "<html>bad gateway</html>",
    );
  });
});

describe("logout", () => {
  it("ends the session and clears the tokens", async () => {
    const srv = fakeServer();
    const crm = createCrmClient({ baseUrl: BASE, fetch: srv.fetch });
    await crm.login({ email: "a@b.c", password: "secret" });
    await crm.logout();
    assert.equal(crm.tokens(), null);
    const call = srv.seen.at(-1);
    assert.equal(call?.path, "/api/v1/auth/logout");
    assert.deepEqual(JSON.parse(call?.body ?? ""), { refresh_token: "refresh-1" });
    await crm.logout(); // no session: a no-op
    assert.equal(srv.seen.at(-1), call);
  });
});
