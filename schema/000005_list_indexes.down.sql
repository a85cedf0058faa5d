DROP TRIGGER IF EXISTS organizations_counts_cleanup ON organizations;
DROP FUNCTION IF EXISTS forget_organization_counts;
DROP TABLE IF EXISTS contact_counts, deal_counts, deal_day_counts, task_counts;
DROP FUNCTION IF EXISTS count_contacts, count_deals, count_tasks CASCADE;
DROP INDEX IF EXISTS organization_members_org_created_idx;
DROP INDEX IF EXISTS activities_org_deal_type_created_idx;
DROP INDEX IF EXISTS tasks_org_due_idx, tasks_org_owner_due_idx;
CREATE INDEX tasks_org_due_idx ON tasks (organization_id, due_date, id);
CREATE INDEX tasks_org_owner_idx ON tasks (organization_id, owner_id);
DROP INDEX IF EXISTS deals_search_idx, deals_org_updated_idx, deals_org_amount_idx, deals_org_title_idx,
    deals_org_owner_created_idx, deals_org_owner_updated_idx, deals_org_owner_amount_idx, deals_org_owner_title_idx;
CREATE INDEX deals_org_owner_idx ON deals (organization_id, owner_id);
DROP INDEX IF EXISTS contacts_search_idx, contacts_org_name_idx, contacts_org_owner_created_idx, contacts_org_owner_name_idx;
CREATE INDEX contacts_org_owner_idx ON contacts (organization_id, owner_id);
DROP EXTENSION IF EXISTS btree_gist;
DROP EXTENSION IF EXISTS pg_trgm;
