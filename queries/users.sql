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
