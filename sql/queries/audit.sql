-- The audit log (tools/core/admin/audit.cpp).

-- name: audit_insert
INSERT INTO audit_log (actor, action, target_kind, target_id, before, after, request_id)
VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7);

-- name: audit_list
SELECT id, at, actor, action, target_kind, target_id, before, after, request_id
  FROM audit_log
 WHERE ($1::text IS NULL OR target_kind = $1)
   AND ($2::text IS NULL OR actor = $2)
 ORDER BY id DESC
 LIMIT $3 OFFSET $4;
