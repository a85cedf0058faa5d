// constructWebhookEvent: the Standard Webhooks signature (the scheme's published test vector), the
// timestamp tolerance, and exact amounts in the event.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { constructWebhookEvent, signWebhook, WebhookVerificationError } from "../src/index.js";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const ts = 1614265330;

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WebhookVerificationError) return e.reason;
    throw e;
  }
  assert.fail("expected a WebhookVerificationError");
}

describe("webhook verification", () => {
  it("signs as the scheme's published test vector", async () => {
    assert.equal(await signWebhook(secret, id, ts, '{"test": 2432232314}'), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("verifies a delivery and reads its amounts exactly; refuses altered, stale or unsigned ones", async () => {
    const body =
      '{"id":"e1","type":"deal.updated","created_at":"2026-11-30T10:00:00Z","organization_id":"o",' +
      '"data":{"object":{"id":"d","amount":12345678901234567.89,"currency":"EUR"},"previous":{"amount":0.10}}}';
    const now = new Date(ts * 1000);
    const sig = await signWebhook(secret, id, ts, body);
    const headers = new Headers({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": `v1,bm90IGl0 ${sig}` });
    const event = await constructWebhookEvent(body, headers, secret, { now });
    assert.equal(event.type, "deal.updated");
    assert.equal(event.data.object["amount"], "12345678901234567.89");
    assert.equal(event.data.previous?.["amount"], "0.10");

    const plain = { "Webhook-Id": id, "webhook-timestamp": String(ts), "webhook-signature": sig };
    assert.equal((await constructWebhookEvent(body, plain, secret, { now })).id, "e1");

    assert.equal(await reason(constructWebhookEvent(body.replace("EUR", "USD"), headers, secret, { now })), "signature");
    assert.equal(await reason(constructWebhookEvent(body, headers, secret, { now: new Date((ts + 301) * 1000) })), "timestamp");
    assert.equal(await reason(constructWebhookEvent(body, new Headers(), secret, { now })), "missing_headers");
    assert.equal(await reason(constructWebhookEvent(body, headers, "not-a-secret", { now })), "bad_secret");
  });
});
