-- A version per organization and list, raised by every statement that writes the list's rows.
-- A list statement reads it in the same snapshot as its page, so a page position remembered with
-- version v is still exact wherever the version still reads v: the service remembers where pages
-- requested by number start (paging.Anchors) and reads page 500 from its index like page 1,
-- instead of skipping 9,980 rows by OFFSET. No foreign key (as the counters of 000005): a deletion
-- only raises existing rows, and an organization's deletion removes its rows.
CREATE TABLE list_versions (
    organization_id uuid   NOT NULL,
    list            text   NOT NULL,
    version         bigint NOT NULL,
    PRIMARY KEY (organization_id, list)
);

-- TG_ARGV[0] is the list. Organizations in key order: two statements lock versions in the same
-- order. The row is taken after the list's counters (triggers fire in name order: *_count_* before
-- *_version_*), so a transaction holds the counters and the version in one order everywhere.
CREATE FUNCTION bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE list_versions v SET version = v.version + 1
        FROM (SELECT DISTINCT organization_id FROM old_rows) o
        WHERE v.organization_id = o.organization_id AND v.list = TG_ARGV[0];
    ELSE
        INSERT INTO list_versions AS v (organization_id, list, version)
        SELECT DISTINCT organization_id, TG_ARGV[0], 1 FROM new_rows ORDER BY 1
        ON CONFLICT (organization_id, list) DO UPDATE SET version = v.version + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER contacts_version_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('contacts');
CREATE TRIGGER contacts_version_update AFTER UPDATE ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('contacts');
CREATE TRIGGER contacts_version_delete AFTER DELETE ON contacts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('contacts');
CREATE TRIGGER deals_version_insert AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('deals');
CREATE TRIGGER deals_version_update AFTER UPDATE ON deals REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('deals');
CREATE TRIGGER deals_version_delete AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_list_version('deals');

CREATE FUNCTION forget_organization_list_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM list_versions v USING old_rows o WHERE v.organization_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_list_versions_cleanup AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION forget_organization_list_versions();

-- Every organization that has rows has a version, so a deletion always finds one to raise.
INSERT INTO list_versions SELECT DISTINCT organization_id, 'contacts', 1 FROM contacts;
INSERT INTO list_versions SELECT DISTINCT organization_id, 'deals', 1 FROM deals;
