-- Issue 11 part 1: invitations replace adding members directly. An owner or admin invites an email
-- with a role; the person signs in (or registers) with that email and accepts with the token the
-- invitation answered once. Nothing tells the inviter whether the email has an account.
--
-- token_hash is the SHA-256 of the token: the token itself is never stored, so a copy of the
-- database cannot accept an invitation. The token carries the organization id, so that it is
-- found by (organization_id, token_hash) like every other tenant row.
-- status: pending until accepted or revoked; a pending invitation past expires_at is expired (it is
-- not rewritten when it expires: the status is derived where it is read).
CREATE TABLE invitations (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid        NOT NULL,
    email           text        NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role            text        NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member')),
    token_hash      bytea       NOT NULL CHECK (length(token_hash) = 32),
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    accepted_by     uuid        REFERENCES users (id) ON DELETE SET NULL,
    accepted_at     timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (organization_id, id)
);
-- Accepting finds the invitation by its token's hash.
CREATE UNIQUE INDEX invitations_org_token_key ON invitations (organization_id, token_hash);
-- At most one pending invitation per email and organization: inviting again replaces it.
CREATE UNIQUE INDEX invitations_org_pending_email_key ON invitations (organization_id, email) WHERE status = 'pending';
-- The invitations list, newest first, all of them or those of one status.
CREATE INDEX invitations_org_created_idx ON invitations (organization_id, created_at DESC, id DESC);
CREATE INDEX invitations_org_status_created_idx ON invitations (organization_id, status, created_at DESC, id DESC);
