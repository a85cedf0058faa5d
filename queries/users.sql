-- name: CreateUser :one
INSERT INTO users (id, email, password_hash, name)
VALUES (@id, @email, @password_hash, @name)
RETURNING id, email, name, created_at;

-- name: GetUserByEmail :one
SELECT id, email, password_hash, name, created_at
FROM users
WHERE lower(email) = lower(@email);

-- name: GetUser :one
SELECT id, email, name, created_at
FROM users
WHERE id = @id;

-- name: GetUserPasswordHash :one
SELECT email, password_hash
FROM users
WHERE id = @id;

-- name: UpdateUserName :one
UPDATE users
SET name = @name, updated_at = now()
WHERE id = @id
RETURNING id, email, name, created_at;

-- name: UpdateUserPassword :execrows
UPDATE users
SET password_hash = @password_hash, updated_at = now()
WHERE id = @id;
