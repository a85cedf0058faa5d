// A new user's first program (scripts/smoke-install.sh type-checks it under strict and runs it):
// it compiles against the installed package only.
import {
  createCrmClient,
  CrmProblemError,
  etagOf,
  money,
  PROBLEM_CODES,
  type Contact,
  type CrmClient,
  type Deal,
  type KnownProblemCode,
} from "@minicrm/sdk";

async function report(crm: CrmClient, search: string): Promise<string> {
  const page = await crm.contacts.list({ search, page_size: 50 });
  const contacts: Contact[] = [...page.items];
  for await (const c of crm.contacts.iterate({ search })) contacts.push(c);

  let total = "0.00";
  for await (const deal of crm.deals.iterate({ stage: "proposal" })) {
    const d: Deal = deal;
    total = money.sum(total, d.amount); // amounts are decimal strings: exact
  }
  const deal = await crm.deals.create({ contact_id: contacts[0]?.id ?? "", title: "Engine", amount: "1200.50" });
  const moved = await crm.deals.update(deal.id, { stage: "proposal" }, { ifMatch: etagOf(deal) ?? "*" });
  await crm.tasks.create({ deal_id: moved.id, title: "Call back" });
  await crm.activities.create(moved.id, { type: "comment", payload: { text: "Sent the offer" } });
  const summary = await crm.analytics.summary({ days: 30 });
  const members = await crm.members.list();
  const orgs = await crm.organizations.list();
  const invitation = await crm.invitations.create({ email: "grace@example.com", role: "member" });
  await crm.invitations.delete(invitation.id);
  const csv: string = await crm.contacts.export({ search });
  const imported = await crm.contacts.import(csv, { dryRun: true });
  const forecast = await crm.analytics.forecast();
  const pipeline: string = forecast.currencies[0]?.pipeline_amount ?? "0";
  if (imported.created < 0 || money.compare(pipeline, "0") < 0) throw new Error("impossible");
  try {
    await crm.contacts.delete(contacts[0]?.id ?? "");
  } catch (e) {
    if (CrmProblemError.is(e, "contact_has_deals")) {
      const code: KnownProblemCode | (string & {}) = e.code;
      return `${code} ${e.status}`;
    }
    throw e;
  }
  return `${total} ${summary.new_deals} ${members.items.length} ${orgs.length}`;
}

const crm = createCrmClient({ baseUrl: "http://127.0.0.1:9", retry: { maxAttempts: 2 } });
if (typeof report !== "function" || typeof crm.contacts.iterate !== "function") throw new Error("no resources");
if (money.sum("0.10", "0.20") !== "0.30") throw new Error("money is not exact");
if (!PROBLEM_CODES.includes("too_many_attempts")) throw new Error("codes incomplete");
console.log("imported @minicrm/sdk: resources, iterate, money and problem codes are there");
