-- Administrators (tools/core/admin/admins.cpp). password_hash never leaves these queries
-- except through admin_get_auth.

-- name: admin_list
SELECT id, username, role, disabled, last_login_at, created_at, updated_at
  FROM admins ORDER BY username LIMIT $1 OFFSET $2;

-- name: admin_get
SELECT id, username, role, disabled, last_login_at, created_at, updated_at
  FROM admins WHERE username = $1;

-- name: admin_insert
INSERT INTO admins (username, password_hash, role, disabled) VALUES ($1, $2, $3, $4) RETURNING id;

-- name: admin_update
UPDATE admins SET username = $2, role = $3, disabled = $4, updated_at = now() WHERE id = $1;

-- name: admin_set_password
UPDATE admins SET password_hash = $2, token_epoch = token_epoch + 1, updated_at = now() WHERE id = $1;

-- name: admin_delete
DELETE FROM admins WHERE id = $1;

-- name: admin_lock_owners
SELECT id FROM admins WHERE role = 'owner' AND NOT disabled ORDER BY id FOR UPDATE;
