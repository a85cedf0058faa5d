// Compile-time tests: `npm run typecheck` fails if the generated types stop biting. The function
// below is type-checked but never called, so it needs no server.
import assert from "node:assert/strict";
import { it } from "node:test";

import {
  createCrmClient,
  paginate,
  unwrap,
  unwrapWithETag,
  type Contact,
  type Deal,
  type DealList,
  type DealStage,
  type KnownProblemCode,
  type Problem,
  type ProblemCode,
  CrmProblemError,
  PROBLEM_CODES,
} from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T): void {}

export async function typeChecks(): Promise<void> {
  const crm = createCrmClient({ baseUrl: "http://localhost" });

  // Query parameters are typed by the contract: page is an integer, stage an enum.
  const page = await crm.client.GET("/api/v1/deals", {
    params: { query: { page: 2, page_size: 50, stage: "proposal", status: ["new", "won"] } },
  });
  assertType<Equal<typeof page.data, DealList | undefined>>(true);

  // @ts-expect-error page must be a number, not a string
  await crm.client.GET("/api/v1/deals", { params: { query: { page: "two" } } });

  // @ts-expect-error "won" is a status, not a stage
  await crm.client.GET("/api/v1/deals", { params: { query: { stage: "won" } } });

  // @ts-expect-error the path parameter deal_id is required
  await crm.client.GET("/api/v1/deals/{deal_id}", { params: { path: {} } });

  // @ts-expect-error no such route in the contract
  await crm.client.GET("/api/v1/nope");

  // @ts-expect-error contact_id is required when creating a deal
  await crm.client.POST("/api/v1/deals", { body: { title: "x" } });

  // unwrap() narrows to the success type; the error branch is the Problem document.
  const deal = unwrap(
    await crm.client.GET("/api/v1/deals/{deal_id}", { params: { path: { deal_id: "00000000-0000-0000-0000-000000000000" } } }),
  );
  assertType<Equal<typeof deal, Deal>>(true);
  const stage: DealStage = deal.stage;
  void stage;

  const failed = await crm.client.PATCH("/api/v1/deals/{deal_id}", {
    params: { path: { deal_id: deal.id } },
    body: { stage: "closed", status: "won" },
  });
  if (failed.error) {
    assertType<Equal<typeof failed.error, Problem>>(true);
  }

  // The iterators yield the list's items, and take the list's query parameters.
  for await (const contact of crm.contacts({ search: "babbage", page_size: 50, order_by: "name" })) {
    assertType<Equal<typeof contact, Contact>>(true);
  }
  for await (const d of crm.deals({ stage: "proposal", status: ["new", "in_progress"] })) {
    assertType<Equal<typeof d, Deal>>(true);
  }
  // @ts-expect-error "won" is a status, not a stage
  crm.deals({ stage: "won" });
  // @ts-expect-error contacts have no stage filter
  crm.contacts({ stage: "proposal" });
  // @ts-expect-error activities need the deal's id
  crm.activities();

  // paginate() over pages fetched by hand.
  for await (const d of paginate((cursor) =>
    crm.client.GET("/api/v1/deals", { params: { query: { stage: "proposal", cursor } } }).then(unwrap),
  )) {
    assertType<Equal<typeof d, Deal>>(true);
  }

  // A 204 route unwraps to undefined: there is no body to read.
  const deleted = unwrap(await crm.client.DELETE("/api/v1/deals/{deal_id}", { params: { path: { deal_id: deal.id } } }));
  assertType<Equal<typeof deleted, undefined>>(true);

  // Conditional requests: the headers are typed parameters of the routes that take them, and
  // unwrapWithETag narrows on notModified.
  const read = unwrapWithETag(
    await crm.client.GET("/api/v1/deals/{deal_id}", { params: { path: { deal_id: deal.id }, header: { "If-None-Match": '"x"' } } }),
  );
  if (read.notModified) {
    assertType<Equal<typeof read.data, undefined>>(true);
  } else {
    assertType<Equal<typeof read.data, Deal>>(true);
  }
  assertType<Equal<typeof read.etag, string | undefined>>(true);
  await crm.client.PATCH("/api/v1/deals/{deal_id}", {
    params: { path: { deal_id: deal.id }, header: { "If-Match": '"x"' } },
    body: { stage: "negotiation" },
  });
  await crm.client.POST("/api/v1/deals", {
    params: { header: { "Idempotency-Key": "k" } },
    // @ts-expect-error a deal needs a title
    body: {},
  });
}

export async function resourceTypeChecks(): Promise<void> {
  const crm = createCrmClient({ baseUrl: "http://localhost" });

  // Resource methods resolve to the parsed objects of the contract.
  const deal = await crm.deals.get("id");
  assertType<Equal<typeof deal, Deal>>(true);
  const page = await crm.deals.list({ stage: "proposal", min_amount: "100.00" });
  assertType<Equal<typeof page, DealList>>(true);
  assertType<Equal<Awaited<ReturnType<typeof crm.contacts.delete>>, void>>(true);
  for await (const c of crm.contacts.iterate({ search: "babbage" })) {
    assertType<Equal<typeof c, Contact>>(true);
  }
  // @ts-expect-error "won" is a status, not a stage
  await crm.deals.list({ stage: "won" });
  // @ts-expect-error a deal needs a contact_id
  await crm.deals.create({ title: "x" });
  // @ts-expect-error update takes the id first
  await crm.deals.update({ stage: "proposal" });

  // Money is a decimal string, in answers and in requests; never a number.
  assertType<Equal<Deal["amount"], string>>(true);
  // @ts-expect-error amounts are decimal strings
  await crm.deals.create({ contact_id: "c", title: "x", amount: 100 });
  const summary = await crm.analytics.summary();
  assertType<Equal<NonNullable<typeof summary.won_average[number]>["average"], string>>(true);

  // Problem codes: the union of the contract's codes, generated from openapi.yaml.
  assertType<Equal<Extract<KnownProblemCode, "invalid_value" | "too_many_attempts">, "invalid_value" | "too_many_attempts">>(true);
  assertType<Equal<(typeof PROBLEM_CODES)[number], KnownProblemCode>>(true);
  const e = new CrmProblemError({ type: "about:blank", title: "t", status: 400, code: "invalid_value" });
  assertType<Equal<typeof e.code, ProblemCode>>(true);
  // @ts-expect-error not a code of the contract (is() completes and checks the known ones)
  const known: KnownProblemCode = "no_such_code";
  void known;
}

it("type checks compile (see typeChecks)", () => {
  assert.equal(typeof typeChecks, "function");
});
