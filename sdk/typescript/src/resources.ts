/**
 * The resource methods: `crm.contacts.list({ search })`, `crm.deals.update(id, patch)`, … Each
 * method makes one request through the client's openapi-fetch client (so the session, retries,
 * idempotency keys and money handling apply), and resolves to the parsed answer or throws a
 * `CrmProblemError`. `iterate()` walks every page of a list by cursor.
 */
import type { Client } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";
import { CrmProblemError, type FetchPage, type FetchResultLike, type SuccessData } from "./index.js";

type Schemas = components["schemas"];
type Query<Op extends keyof operations> = NonNullable<operations[Op]["parameters"]["query"]>;

/** Per-request options of every resource method. */
export interface RequestOptions {
  /**
   * The organization of this request, instead of the client's current one: sent as
   * `X-Organization-Id`, and the `{organization_id}` of the organization's own routes (members, …).
   */
  organizationId?: string | undefined;
  /** The `Idempotency-Key` of a POST (the client makes one up otherwise, see `idempotencyKeys`). */
  idempotencyKey?: string | undefined;
  /**
   * `If-Match`: change or delete the object only while it still has this entity tag (read it with
   * `etagOf(object)`); otherwise a `CrmProblemError` `precondition_failed` (412). It also makes a
   * PATCH or DELETE safe to retry.
   */
  ifMatch?: string | undefined;
  /** Aborts the request (and any wait between retries). */
  signal?: AbortSignal | undefined;
  /** More headers to send. */
  headers?: Record<string, string> | undefined;
}

/** What the resources need of the client. */
export interface ResourceContext {
  client: Client<paths>;
  organizationId(): string | null;
  /** A list's iterable; `start` gets the organization headers fixed when a loop starts. */
  list<T>(start: (headers: Record<string, string>) => FetchPage<T>): AsyncIterable<T>;
}

/** The response each object returned by a resource method came with. */
const responses = new WeakMap<object, Response>();

/** The HTTP response a resource method's result came with (headers: `ETag`, `RateLimit`, …), if any. */
export function responseOf(result: unknown): Response | undefined {
  return typeof result === "object" && result !== null ? responses.get(result) : undefined;
}

/** Returns the data of a success or throws its `CrmProblemError`; remembers the response. */
export function unwrapResult<R extends FetchResultLike>(result: R): SuccessData<R> {
  if (!result.response.ok) {
    throw CrmProblemError.fromResponse(result.error, result.response);
  }
  const data = result.data;
  if (typeof data === "object" && data !== null) {
    responses.set(data, result.response);
  }
  return data as SuccessData<R>;
}

function init(o: RequestOptions | undefined, base?: Record<string, string>) {
  const headers: Record<string, string> = { ...base, ...o?.headers };
  if (o?.organizationId !== undefined) {
    headers["X-Organization-Id"] = o.organizationId;
  }
  if (o?.idempotencyKey !== undefined) {
    headers["Idempotency-Key"] = o.idempotencyKey;
  }
  if (o?.ifMatch !== undefined) {
    headers["If-Match"] = o.ifMatch;
  }
  return o?.signal === undefined ? { headers } : { headers, signal: o.signal };
}

async function call<R extends FetchResultLike>(p: Promise<R>): Promise<SuccessData<R>> {
  return unwrapResult(await p);
}

/** The body of a streamed answer, or its `CrmProblemError`. */
function streamOf(result: FetchResultLike): ReadableStream<Uint8Array> {
  const body: unknown = unwrapResult(result);
  if (!(body instanceof ReadableStream)) {
    throw new Error("@minicrm/sdk: the answer has no body");
  }
  return body as ReadableStream<Uint8Array>;
}

export type ContactsQuery = Query<"listContacts">;
export type DealsQuery = Query<"listDeals">;
export type TasksQuery = Query<"listTasks">;
export type ActivitiesQuery = Query<"listActivities">;
export type MembersQuery = Query<"listMembers">;
export type WebhooksQuery = Query<"listWebhooks">;
export type WebhookDeliveriesQuery = Query<"listWebhookDeliveries">;
export type SummaryQuery = Query<"getDealSummary">;
export type StageStatsQuery = Query<"getDealStageStats">;
export type VelocityQuery = Query<"getDealVelocity">;
export type InvitationsQuery = Query<"listInvitations">;
export type ContactsExportQuery = Query<"exportContacts">;
export type DealsExportQuery = Query<"exportDeals">;
/** A CSV file's content: text, or bytes (e.g. `await readFile(path)`). */
export type CsvBody = string | Uint8Array | Blob;

export function createResources(ctx: ResourceContext) {
  const { client } = ctx;

  /** The organization of an organization's own routes: the option's, else the current one. */
  function orgOf(o: RequestOptions | undefined): string {
    const id = o?.organizationId ?? ctx.organizationId();
    if (id === null) {
      throw new Error("@minicrm/sdk: no organization: pass { organizationId } or call crm.setOrganization(id) first");
    }
    return id;
  }

  /** An iterable over every page of a list, by cursor, from `query.cursor` (or the first page). */
  function pager<Q extends { cursor?: string | undefined }, T>(
    query: Q | undefined,
    o: RequestOptions | undefined,
    fetch: (query: Q, req: ReturnType<typeof init>) => Promise<{ items: T[]; next_cursor?: string | undefined }>,
  ): AsyncIterable<T> {
    const q = { ...query } as Q;
    return ctx.list((headers) => (cursor) => fetch({ ...q, cursor: cursor ?? q.cursor }, init(o, headers)));
  }

  const contacts = {
    /** One page of the contacts (`GET /api/v1/contacts`): filters, `search`, order, `page_size`, `cursor`. */
    list: (query?: ContactsQuery, o?: RequestOptions): Promise<Schemas["ContactList"]> =>
      call(client.GET("/api/v1/contacts", { params: { query: query ?? {} }, ...init(o) })),
    /** Every contact matching `query`, page after page: `for await (const c of crm.contacts.iterate({ search }))`. */
    iterate: (query?: ContactsQuery, o?: RequestOptions): AsyncIterable<Schemas["Contact"]> =>
      pager(query, o, async (q, i) => call(client.GET("/api/v1/contacts", { params: { query: q }, ...i }))),
    /** One contact (`GET /api/v1/contacts/{contact_id}`); `etagOf(contact)` is its entity tag. */
    get: (contactId: string, o?: RequestOptions): Promise<Schemas["Contact"]> =>
      call(client.GET("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } }, ...init(o) })),
    /** Creates a contact (`POST /api/v1/contacts`). */
    create: (body: Schemas["ContactCreate"], o?: RequestOptions): Promise<Schemas["Contact"]> =>
      call(client.POST("/api/v1/contacts", { body, ...init(o) })),
    /** Changes the given fields of a contact (`PATCH`); `{ ifMatch }` makes it conditional. */
    update: (contactId: string, patch: Schemas["ContactUpdate"], o?: RequestOptions): Promise<Schemas["Contact"]> =>
      call(client.PATCH("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } }, body: patch, ...init(o) })),
    /** The contacts matching `query` as a CSV file (`GET /api/v1/contacts/export`), all of them in one answer. */
    export: (query?: ContactsExportQuery, o?: RequestOptions): Promise<string> =>
      call(client.GET("/api/v1/contacts/export", { params: { query: query ?? {} }, parseAs: "text", ...init(o) })),
    /** The same CSV as `export`, as a stream of bytes: for exports too large to hold as one string. */
    exportStream: async (query?: ContactsExportQuery, o?: RequestOptions): Promise<ReadableStream<Uint8Array>> =>
      streamOf(await client.GET("/api/v1/contacts/export", { params: { query: query ?? {} }, parseAs: "stream", ...init(o) })),
    /**
     * Creates contacts from a CSV file (`POST /api/v1/contacts/import`, the columns of the export);
     * `{ dryRun: true }` checks it without creating anything. Resolves to what was (or would be)
     * created and skipped, with the rows' errors.
     */
    import: (
      csv: CsvBody,
      options?: RequestOptions & { dryRun?: boolean | undefined },
    ): Promise<Schemas["ContactImportResult"]> => {
      const o = options;
      const req = init(o);
      return call(
        client.POST("/api/v1/contacts/import", {
          params: { query: o?.dryRun === undefined ? {} : { dry_run: o.dryRun } },
          body: csv as string,
          bodySerializer: (b: unknown) => b as string,
          ...req,
          headers: { "Content-Type": "text/csv", ...req.headers },
        }),
      );
    },
    /** Deletes a contact (`contact_has_deals` while it has deals). */
    delete: async (contactId: string, o?: RequestOptions): Promise<void> => {
      await call(client.DELETE("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contactId } }, ...init(o) }));
    },
  };

  const deals = {
    /** One page of the deals (`GET /api/v1/deals`): `stage`, `status`, `min_amount`, order, `page_size`, `cursor`, … */
    list: (query?: DealsQuery, o?: RequestOptions): Promise<Schemas["DealList"]> =>
      call(client.GET("/api/v1/deals", { params: { query: query ?? {} }, ...init(o) })),
    /** Every deal matching `query`, page after page. */
    iterate: (query?: DealsQuery, o?: RequestOptions): AsyncIterable<Schemas["Deal"]> =>
      pager(query, o, async (q, i) => call(client.GET("/api/v1/deals", { params: { query: q }, ...i }))),
    /** One deal; `etagOf(deal)` is its entity tag. */
    get: (dealId: string, o?: RequestOptions): Promise<Schemas["Deal"]> =>
      call(client.GET("/api/v1/deals/{deal_id}", { params: { path: { deal_id: dealId } }, ...init(o) })),
    /** Creates a deal (status `new`, stage `qualification`); `amount` is a decimal string. */
    create: (body: Schemas["DealCreate"], o?: RequestOptions): Promise<Schemas["Deal"]> =>
      call(client.POST("/api/v1/deals", { body, ...init(o) })),
    /** Changes the given fields of a deal: `crm.deals.update(id, { stage: "proposal", amount: "1200.50" })`. */
    update: (dealId: string, patch: Schemas["DealUpdate"], o?: RequestOptions): Promise<Schemas["Deal"]> =>
      call(client.PATCH("/api/v1/deals/{deal_id}", { params: { path: { deal_id: dealId } }, body: patch, ...init(o) })),
    /** The deals matching `query` as a CSV file (`GET /api/v1/deals/export`); amounts as written, exact. */
    export: (query?: DealsExportQuery, o?: RequestOptions): Promise<string> =>
      call(client.GET("/api/v1/deals/export", { params: { query: query ?? {} }, parseAs: "text", ...init(o) })),
    /** The same CSV as `export`, as a stream of bytes. */
    exportStream: async (query?: DealsExportQuery, o?: RequestOptions): Promise<ReadableStream<Uint8Array>> =>
      streamOf(await client.GET("/api/v1/deals/export", { params: { query: query ?? {} }, parseAs: "stream", ...init(o) })),
    /** Deletes a deal, its tasks and its timeline. */
    delete: async (dealId: string, o?: RequestOptions): Promise<void> => {
      await call(client.DELETE("/api/v1/deals/{deal_id}", { params: { path: { deal_id: dealId } }, ...init(o) }));
    },
  };

  const tasks = {
    /** One page of the tasks (`GET /api/v1/tasks`). */
    list: (query?: TasksQuery, o?: RequestOptions): Promise<Schemas["TaskList"]> =>
      call(client.GET("/api/v1/tasks", { params: { query: query ?? {} }, ...init(o) })),
    /** Every task matching `query`, page after page. */
    iterate: (query?: TasksQuery, o?: RequestOptions): AsyncIterable<Schemas["Task"]> =>
      pager(query, o, async (q, i) => call(client.GET("/api/v1/tasks", { params: { query: q }, ...i }))),
    /** One task; `etagOf(task)` is its entity tag. */
    get: (taskId: string, o?: RequestOptions): Promise<Schemas["Task"]> =>
      call(client.GET("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } }, ...init(o) })),
    /** Creates a task of a deal. */
    create: (body: Schemas["TaskCreate"], o?: RequestOptions): Promise<Schemas["Task"]> =>
      call(client.POST("/api/v1/tasks", { body, ...init(o) })),
    /** Changes the given fields of a task (e.g. `{ is_done: true }`). */
    update: (taskId: string, patch: Schemas["TaskUpdate"], o?: RequestOptions): Promise<Schemas["Task"]> =>
      call(client.PATCH("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } }, body: patch, ...init(o) })),
    /** Deletes a task. */
    delete: async (taskId: string, o?: RequestOptions): Promise<void> => {
      await call(client.DELETE("/api/v1/tasks/{task_id}", { params: { path: { task_id: taskId } }, ...init(o) }));
    },
  };

  const activities = {
    /** One page of a deal's timeline, newest first. */
    list: (dealId: string, query?: ActivitiesQuery, o?: RequestOptions): Promise<Schemas["ActivityList"]> =>
      call(client.GET("/api/v1/deals/{deal_id}/activities", { params: { path: { deal_id: dealId }, query: query ?? {} }, ...init(o) })),
    /** Every activity of a deal, page after page. */
    iterate: (dealId: string, query?: ActivitiesQuery, o?: RequestOptions): AsyncIterable<Schemas["Activity"]> =>
      pager(query, o, async (q, i) =>
        call(client.GET("/api/v1/deals/{deal_id}/activities", { params: { path: { deal_id: dealId }, query: q }, ...i })),
      ),
    /** Posts a comment on a deal's timeline: `crm.activities.create(dealId, { type: "comment", payload: { text } })`. */
    create: (dealId: string, body: Schemas["ActivityCreate"], o?: RequestOptions): Promise<Schemas["Activity"]> =>
      call(client.POST("/api/v1/deals/{deal_id}/activities", { params: { path: { deal_id: dealId } }, body, ...init(o) })),
  };

  const analytics = {
    /** Counts and exact sums of the deals by status, the average won amount, new deals (`days`). */
    summary: (query?: SummaryQuery, o?: RequestOptions): Promise<Schemas["DealSummary"]> =>
      call(client.GET("/api/v1/analytics/deals/summary", { params: { query: query ?? {} }, ...init(o) })),
    /** The deals reached per stage and the conversion between stages. */
    funnel: (o?: RequestOptions): Promise<Schemas["DealFunnel"]> =>
      call(client.GET("/api/v1/analytics/deals/funnel", { ...init(o) })),
    /** Per stage: how many deals entered and left it, and how long they stayed (over `days`). */
    stages: (query?: StageStatsQuery, o?: RequestOptions): Promise<Schemas["DealStageStats"]> =>
      call(client.GET("/api/v1/analytics/deals/stages", { params: { query: query ?? {} }, ...init(o) })),
    /** How fast deals are won, per currency, with exact won amounts (over `days`). */
    velocity: (query?: VelocityQuery, o?: RequestOptions): Promise<Schemas["DealVelocity"]> =>
      call(client.GET("/api/v1/analytics/deals/velocity", { params: { query: query ?? {} }, ...init(o) })),
    /** The open pipeline per currency, and its amount weighted by stage (exact decimals). */
    forecast: (o?: RequestOptions): Promise<Schemas["DealForecast"]> =>
      call(client.GET("/api/v1/analytics/deals/forecast", { ...init(o) })),
  };

  const organizations = {
    /** The caller's organizations, with their role in each. */
    list: async (o?: RequestOptions): Promise<Schemas["MyOrganization"][]> =>
      (await call(client.GET("/api/v1/organizations/me", { ...init(o) }))).items,
    /** One organization (default: the current one). */
    get: (organizationId?: string, o?: RequestOptions): Promise<Schemas["Organization"]> =>
      call(
        client.GET("/api/v1/organizations/{organization_id}", {
          params: { path: { organization_id: organizationId ?? orgOf(o) } },
          ...init(o),
        }),
      ),
    /** Creates an organization (the caller is its owner). It does not become the current one: `crm.setOrganization(org.id)`. */
    create: (body: Schemas["OrganizationCreate"], o?: RequestOptions): Promise<Schemas["Organization"]> =>
      call(client.POST("/api/v1/organizations", { body, ...init(o) })),
    /** Renames an organization or changes its settings. */
    update: (organizationId: string, patch: Schemas["OrganizationUpdate"], o?: RequestOptions): Promise<Schemas["Organization"]> =>
      call(
        client.PATCH("/api/v1/organizations/{organization_id}", {
          params: { path: { organization_id: organizationId } },
          body: patch,
          ...init(o),
        }),
      ),
    /** Deletes an organization (owners only). */
    delete: async (organizationId: string, o?: RequestOptions): Promise<void> => {
      await call(client.DELETE("/api/v1/organizations/{organization_id}", { params: { path: { organization_id: organizationId } }, ...init(o) }));
    },
  };

  const members = {
    /** One page of the members of the current organization (or `{ organizationId }`'s). */
    list: (query?: MembersQuery, o?: RequestOptions): Promise<Schemas["MemberList"]> =>
      call(
        client.GET("/api/v1/organizations/{organization_id}/members", {
          params: { path: { organization_id: orgOf(o) }, query: query ?? {} },
          ...init(o),
        }),
      ),
    /** Every member, page after page. */
    iterate: (query?: MembersQuery, o?: RequestOptions): AsyncIterable<Schemas["Member"]> => {
      const orgId = orgOf(o);
      return pager(query, o, async (q, i) =>
        call(client.GET("/api/v1/organizations/{organization_id}/members", { params: { path: { organization_id: orgId }, query: q }, ...i })),
      );
    },
    /** Changes a member's role: `crm.members.update(userId, { role: "manager" })`. */
    update: (userId: string, patch: Schemas["MemberUpdate"], o?: RequestOptions): Promise<Schemas["Member"]> =>
      call(
        client.PATCH("/api/v1/organizations/{organization_id}/members/{user_id}", {
          params: { path: { organization_id: orgOf(o), user_id: userId } },
          body: patch,
          ...init(o),
        }),
      ),
    /** Removes a member from the organization. */
    delete: async (userId: string, o?: RequestOptions): Promise<void> => {
      await call(
        client.DELETE("/api/v1/organizations/{organization_id}/members/{user_id}", {
          params: { path: { organization_id: orgOf(o), user_id: userId } },
          ...init(o),
        }),
      );
    },
  };

  const invitations = {
    /** One page of the invitations of the current organization (or `{ organizationId }`'s); `status` filters. */
    list: (query?: InvitationsQuery, o?: RequestOptions): Promise<Schemas["InvitationList"]> =>
      call(
        client.GET("/api/v1/organizations/{organization_id}/invitations", {
          params: { path: { organization_id: orgOf(o) }, query: query ?? {} },
          ...init(o),
        }),
      ),
    /** Every invitation, page after page. */
    iterate: (query?: InvitationsQuery, o?: RequestOptions): AsyncIterable<Schemas["Invitation"]> => {
      const orgId = orgOf(o);
      return pager(query, o, async (q, i) =>
        call(client.GET("/api/v1/organizations/{organization_id}/invitations", { params: { path: { organization_id: orgId }, query: q }, ...i })),
      );
    },
    /**
     * Invites someone by email with a role. The answer carries the invitation's `token`, shown this
     * once: send it to the invitee, who joins with `crm.invitations.accept(token)`.
     */
    create: (body: Schemas["InvitationCreate"], o?: RequestOptions): Promise<Schemas["InvitationWithToken"]> =>
      call(
        client.POST("/api/v1/organizations/{organization_id}/invitations", {
          params: { path: { organization_id: orgOf(o) } },
          body,
          ...init(o),
        }),
      ),
    /** Revokes a pending invitation. */
    delete: async (invitationId: string, o?: RequestOptions): Promise<void> => {
      await call(
        client.DELETE("/api/v1/organizations/{organization_id}/invitations/{invitation_id}", {
          params: { path: { organization_id: orgOf(o), invitation_id: invitationId } },
          ...init(o),
        }),
      );
    },
    /**
     * Joins the organization of an invitation, as the signed-in user (whose email it was sent to),
     * and resolves to the new membership; `crm.setOrganization(m.organization_id)` to work in it.
     */
    accept: (token: string, o?: RequestOptions): Promise<Schemas["Membership"]> =>
      call(client.POST("/api/v1/invitations/accept", { body: { token }, ...init(o) })),
  };

  const deliveries = {
    /** One page of a webhook's deliveries, newest first. */
    list: (webhookId: string, query?: WebhookDeliveriesQuery, o?: RequestOptions): Promise<Schemas["WebhookDeliveryList"]> =>
      call(client.GET("/api/v1/webhooks/{webhook_id}/deliveries", { params: { path: { webhook_id: webhookId }, query: query ?? {} }, ...init(o) })),
    /** Every delivery of a webhook, page after page. */
    iterate: (webhookId: string, query?: WebhookDeliveriesQuery, o?: RequestOptions): AsyncIterable<Schemas["WebhookDelivery"]> =>
      pager(query, o, async (q, i) =>
        call(client.GET("/api/v1/webhooks/{webhook_id}/deliveries", { params: { path: { webhook_id: webhookId }, query: q }, ...i })),
      ),
    /** Sends a delivery again (a new attempt of the same event). */
    redeliver: (webhookId: string, deliveryId: string, o?: RequestOptions): Promise<Schemas["WebhookDelivery"]> =>
      call(
        client.POST("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { webhook_id: webhookId, delivery_id: deliveryId } },
          ...init(o),
        }),
      ),
  };

  const webhooks = {
    /** One page of the webhooks of the organization. */
    list: (query?: WebhooksQuery, o?: RequestOptions): Promise<Schemas["WebhookList"]> =>
      call(client.GET("/api/v1/webhooks", { params: { query: query ?? {} }, ...init(o) })),
    /** Every webhook, page after page. */
    iterate: (query?: WebhooksQuery, o?: RequestOptions): AsyncIterable<Schemas["Webhook"]> =>
      pager(query, o, async (q, i) => call(client.GET("/api/v1/webhooks", { params: { query: q }, ...i }))),
    /** One webhook. */
    get: (webhookId: string, o?: RequestOptions): Promise<Schemas["Webhook"]> =>
      call(client.GET("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: webhookId } }, ...init(o) })),
    /** Creates a webhook; the answer carries its `secret`, shown this once. */
    create: (body: Schemas["WebhookCreate"], o?: RequestOptions): Promise<Schemas["WebhookWithSecret"]> =>
      call(client.POST("/api/v1/webhooks", { body, ...init(o) })),
    /** Changes the given fields of a webhook (`url`, `events`, `active`, …). */
    update: (webhookId: string, patch: Schemas["WebhookUpdate"], o?: RequestOptions): Promise<Schemas["Webhook"]> =>
      call(client.PATCH("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: webhookId } }, body: patch, ...init(o) })),
    /** Deletes a webhook. */
    delete: async (webhookId: string, o?: RequestOptions): Promise<void> => {
      await call(client.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: webhookId } }, ...init(o) }));
    },
    /** Sends a `webhook.ping` event to the webhook. */
    ping: (webhookId: string, o?: RequestOptions): Promise<Schemas["WebhookDelivery"]> =>
      call(client.POST("/api/v1/webhooks/{webhook_id}/ping", { params: { path: { webhook_id: webhookId } }, ...init(o) })),
    /** A webhook's deliveries. */
    deliveries,
  };

  return { contacts, deals, tasks, activities, analytics, organizations, members, invitations, webhooks };
}

export type Resources = ReturnType<typeof createResources>;
export type ContactsResource = Resources["contacts"];
export type DealsResource = Resources["deals"];
export type TasksResource = Resources["tasks"];
export type ActivitiesResource = Resources["activities"];
export type AnalyticsResource = Resources["analytics"];
export type OrganizationsResource = Resources["organizations"];
export type MembersResource = Resources["members"];
export type InvitationsResource = Resources["invitations"];
export type WebhooksResource = Resources["webhooks"];
