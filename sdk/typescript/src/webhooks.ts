/**
 * Receiving webhooks: `constructWebhookEvent` checks a delivery's Standard Webhooks signature
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the endpoint's `whsec_` secret)
 * and parses the body, amounts as exact decimal strings. Web Crypto only: Node 20+, Deno, Bun,
 * browsers and edge runtimes alike.
 */
import { parseWithDecimals, type PathNode } from "./money.js";
import type { components } from "./schema.js";

export type WebhookEventBody = components["schemas"]["WebhookEvent"];

/** A delivery that is not signed by the secret, or too old or new (`reason` says which). */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  constructor(readonly reason: "missing_headers" | "bad_secret" | "timestamp" | "signature" | "body") {
    super(`@minicrm/sdk: webhook not verified: ${reason}`);
  }
}

export interface WebhookVerifyOptions {
  /** How far the `webhook-timestamp` may be from now, in seconds (default 300); 0 skips the check. */
  toleranceSeconds?: number | undefined;
  /** The time to check against (default now). */
  now?: Date | undefined;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) {
    return headers.get(name) ?? undefined;
  }
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  return Array.isArray(v) ? v[0] : v;
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) {
    out[i] = bin.charCodeAt(i);
  }
  return out;
}

function toBase64(bytes: ArrayBuffer): string {
  let bin = "";
  for (const b of new Uint8Array(bytes)) {
    bin += String.fromCharCode(b);
  }
  return btoa(bin);
}

function equal(a: string, b: string): boolean {
  if (a.length !== b.length) {
    return false;
  }
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return d === 0;
}

/** The `webhook-signature` of a body: `v1,` and the base64 HMAC-SHA256 (for tests of your receiver). */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  if (!secret.startsWith("whsec_")) {
    throw new WebhookVerificationError("bad_secret");
  }
  let key: Uint8Array;
  try {
    key = fromBase64(secret.slice("whsec_".length));
  } catch {
    throw new WebhookVerificationError("bad_secret");
  }
  const k = await globalThis.crypto.subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await globalThis.crypto.subtle.sign("HMAC", k, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(mac)}`;
}

/** Where the money is in an event: the object and the previous values are free-form (amounts by name). */
const EVENT_DECIMALS: PathNode = (() => {
  const free: PathNode = { decimal: false, freeForm: true, children: new Map() };
  const data: PathNode = { decimal: false, freeForm: false, children: new Map([["object", free], ["previous", free]]) };
  return { decimal: false, freeForm: false, children: new Map([["data", data]]) };
})();

/**
 * Verifies a webhook delivery and returns its event. Pass the body exactly as received (the raw
 * text, not a re-serialized object), the request's headers, and the endpoint's secret (`whsec_…`,
 * answered once by `crm.webhooks.create`). Throws a `WebhookVerificationError` unless one of the
 * `v1` signatures matches and the timestamp is within `toleranceSeconds`. Deduplicate on
 * `event.id` (the `webhook-id`): delivery is at least once.
 *
 * ```ts
 * const event = await constructWebhookEvent(await req.text(), req.headers, process.env.CRM_WEBHOOK_SECRET!);
 * if (event.type === "deal.updated") { const amount = event.data.object["amount"]; } // "10000.00"
 * ```
 */
export async function constructWebhookEvent(
  body: string,
  headers: HeaderSource,
  secret: string,
  options: WebhookVerifyOptions = {},
): Promise<WebhookEventBody> {
  const id = header(headers, "webhook-id");
  const ts = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (id === undefined || ts === undefined || signatures === undefined || !/^\d+$/.test(ts)) {
    throw new WebhookVerificationError("missing_headers");
  }
  const tolerance = options.toleranceSeconds ?? 300;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (tolerance > 0 && Math.abs(now - Number(ts)) > tolerance) {
    throw new WebhookVerificationError("timestamp");
  }
  const expected = await signWebhook(secret, id, Number(ts), body);
  if (!signatures.split(" ").some((s) => equal(s, expected))) {
    throw new WebhookVerificationError("signature");
  }
  try {
    return parseWithDecimals(body, EVENT_DECIMALS) as WebhookEventBody;
  } catch {
    throw new WebhookVerificationError("body");
  }
}
