-- name: LoginLockedUntil :one
SELECT locked_until FROM login_throttle
WHERE email = @email AND locked_until > now();

-- name: GetLoginThrottleForUpdate :one
SELECT failures, window_start, locked_until FROM login_throttle
WHERE email = @email
FOR UPDATE;

-- name: SaveLoginThrottle :exec
INSERT INTO login_throttle (email, failures, window_start, locked_until)
VALUES (@email, @failures, @window_start, sqlc.narg(locked_until))
ON CONFLICT (email) DO UPDATE
SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until;

-- name: ClearLoginFailures :exec
DELETE FROM login_throttle WHERE email = @email;
