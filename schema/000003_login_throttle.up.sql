-- Failed logins per account (normalised email, registered or not, so that the throttle itself
-- reveals nothing). Shared by every replica of the service; rows expire with their window.
CREATE TABLE login_throttle (
    email        text        PRIMARY KEY,
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz
);
