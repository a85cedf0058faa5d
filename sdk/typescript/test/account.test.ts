// Account security (rename, password change, sessions, logout everywhere) against a running
// service (CRM_BASE_URL; `npm test` starts one). Every test registers a user of its own.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";

import { createCrmClient, CrmProblemError, unwrap, type CrmClient, type CrmTokens, type Session } from "../src/index.js";

const baseUrl = process.env.CRM_BASE_URL;
const password = "correct-horse-battery";
const REFRESH = "/api/v1/auth/refresh";

/** A fetch that counts the requests per path and records their Idempotency-Key. */
function countingFetch() {
  const counts = new Map<string, number>();
  const keys: Array<{ path: string; key: string | null }> = [];
  const fetch = (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    keys.push({ path, key: req.headers.get("Idempotency-Key") });
    return globalThis.fetch(req);
  };
  return { fetch, count: (path: string) => counts.get(path) ?? 0, keys: (path: string) => keys.filter((k) => k.path === path).map((k) => k.key) };
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

interface Account {
  email: string;
  /** The registration's session, with a counting fetch and a log of the onTokens calls. */
  c1: CrmClient;
  counter1: ReturnType<typeof countingFetch>;
  events1: Array<CrmTokens | null>;
  /** A second session of the same user (a login). */
  c2: CrmClient;
}

async function account(name: string): Promise<Account> {
  const email = `${name}.${randomBytes(4).toString("hex")}@example.com`;
  const counter1 = countingFetch();
  const events1: Array<CrmTokens | null> = [];
  const c1 = createCrmClient({ baseUrl: baseUrl!, fetch: counter1.fetch });
  await c1.register({ email, password, name, organization_name: `${name}'s organization` });
  // Only the changes from here on.
  const c1Logged = createCrmClient({ baseUrl: baseUrl!, fetch: counter1.fetch, tokens: c1.tokens(), onTokens: (t) => events1.push(t) });
  const c2 = createCrmClient({ baseUrl: baseUrl! });
  await c2.login({ email, password });
  return { email, c1: c1Logged, counter1, events1, c2 };
}

function currentOf(list: Session[]): string {
  const own = list.find((s) => s.current);
  assert.ok(own, "a session is marked current");
  return own.id;
}

describe("account security against the Go service", { skip: baseUrl ? false : "CRM_BASE_URL is not set" }, () => {
  it("renames the caller; a blank name is validation_failed", async () => {
    const { c1 } = await account("ada");
    const me = await c1.updateMe("  Ada King  ");
    assert.equal(me.user.name, "Ada King");
    assert.equal(me.memberships.length, 1);
    assert.equal(unwrap(await c1.client.GET("/api/v1/auth/me")).user.name, "Ada King");
    const err = await problemOf(() => c1.updateMe("   "));
    assert.equal(err.status, 400);
    assert.equal(err.code, "validation_failed");
  });

  it("a wrong current password is 403 invalid_credentials: no refresh, the session is kept", async () => {
    const { c1, counter1, events1 } = await account("grace");
    const before = c1.tokens();
    const err = await problemOf(() => c1.changePassword("not-the-password", "a-brand-new-password"));
    assert.equal(err.status, 403);
    assert.equal(err.code, "invalid_credentials");
    assert.ok(CrmProblemError.is(err, "invalid_credentials"));
    assert.equal(counter1.count(REFRESH), 0);
    assert.equal(counter1.count("/api/v1/auth/password"), 1, "a 403 is not retried");
    assert.deepEqual(c1.tokens(), before);
    assert.deepEqual(events1, []);
  });

  it("changes the password: the other session ends, this one goes on with its tokens", async () => {
    const { email, c1, counter1, events1, c2 } = await account("alan");
    const before = c1.tokens();
    await c1.changePassword(password, "a-brand-new-password");
    const keys = counter1.keys("/api/v1/auth/password");
    assert.equal(keys.length, 1);
    assert.ok(keys[0], "sent with an Idempotency-Key");
    assert.deepEqual(c1.tokens(), before);
    assert.deepEqual(events1, []);

    assert.equal(unwrap(await c1.client.GET("/api/v1/auth/me")).user.email, email);
    assert.equal(counter1.count(REFRESH), 0);

    const err = await problemOf(async () => unwrap(await c2.client.GET("/api/v1/auth/me")));
    assert.equal(err.status, 401);
    assert.equal(c2.tokens(), null, "its refresh was refused");

    const c3 = createCrmClient({ baseUrl: baseUrl! });
    const old = await problemOf(() => c3.login({ email, password }));
    assert.equal(old.code, "invalid_credentials");
    await c3.login({ email, password: "a-brand-new-password" });
  });

  it("lists the sessions with `current`, ends another one and refuses a gone one", async () => {
    const { c1, events1, c2 } = await account("edsger");
    const list1 = await c1.sessions();
    const list2 = await c2.sessions();
    assert.equal(list1.length, 2);
    assert.equal(list2.length, 2);
    const own1 = currentOf(list1);
    const own2 = currentOf(list2);
    assert.notEqual(own1, own2);
    for (const s of list1) {
      assert.ok(s.user_agent === null || typeof s.user_agent === "string");
      assert.ok(Date.parse(s.expires_at) > Date.parse(s.created_at));
    }

    const before = c1.tokens();
    await c1.endSession(own2);
    assert.deepEqual(c1.tokens(), before);
    assert.deepEqual(events1, []);
    const err = await problemOf(async () => unwrap(await c2.client.GET("/api/v1/auth/me")));
    assert.equal(err.status, 401);
    assert.equal(c2.tokens(), null);
    assert.deepEqual(
      (await c1.sessions()).map((s) => s.id),
      [own1],
    );

    const gone = await problemOf(() => c1.endSession(own2));
    assert.equal(gone.status, 404);
    assert.equal(gone.code, "not_found");
  });

  it("ending its own session clears the tokens, even after a refresh on the way", async () => {
    const { c1, counter1, events1, c2 } = await account("barbara");
    const own = currentOf(await c1.sessions());
    const t = c1.tokens()!;
    c1.setTokens({ accessToken: "expired", refreshToken: t.refreshToken });
    events1.length = 0;
    await c1.endSession(own);
    assert.equal(counter1.count(REFRESH), 1);
    assert.equal(c1.tokens(), null);
    assert.equal(events1.at(-1), null);
    unwrap(await c2.client.GET("/api/v1/auth/me")); // the other session lives
  });

  it("logs out everywhere: every session ends and the tokens are cleared", async () => {
    const { c1, counter1, events1, c2 } = await account("ida");
    const old = c1.tokens()!;
    await c1.logoutAll();
    assert.equal(c1.tokens(), null);
    assert.deepEqual(events1, [null]);
    assert.equal(counter1.count("/api/v1/auth/logout-all"), 1);
    assert.ok(counter1.keys("/api/v1/auth/logout-all")[0], "sent with an Idempotency-Key");
    assert.equal(counter1.count(REFRESH), 0);

    const err = await problemOf(async () => unwrap(await c2.client.GET("/api/v1/auth/me")));
    assert.equal(err.status, 401);
    assert.equal(c2.tokens(), null);
    const resumed = createCrmClient({ baseUrl: baseUrl!, tokens: old });
    assert.equal((await resumed.client.GET("/api/v1/auth/me")).response.status, 401);
    assert.equal(resumed.tokens(), null);
  });
});
