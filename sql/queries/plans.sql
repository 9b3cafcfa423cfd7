-- Plans (tools/core/admin). Column names match the field names of the plan resource.
-- Insert/update parameters follow the field order in admin/resources.cpp.

-- name: plan_list
SELECT p.id, p.name, p.description, p.data_limit_bytes AS data_limit, p.duration_seconds AS duration,
       p.device_limit, p.speed_limit_bps AS speed_limit, p.reset_strategy, p.start_on_first_use, p.archived,
       (SELECT count(*) FROM subscriptions s WHERE s.plan_id = p.id) AS subscribers,
       p.created_at, p.updated_at
  FROM plans p
 ORDER BY p.name
 LIMIT $1 OFFSET $2;

-- name: plan_get
SELECT p.id, p.name, p.description, p.data_limit_bytes AS data_limit, p.duration_seconds AS duration,
       p.device_limit, p.speed_limit_bps AS speed_limit, p.reset_strategy, p.start_on_first_use, p.archived,
       (SELECT count(*) FROM subscriptions s WHERE s.plan_id = p.id) AS subscribers,
       p.created_at, p.updated_at
  FROM plans p
 WHERE p.name = $1;

-- name: plan_insert
INSERT INTO plans (name, description, data_limit_bytes, duration_seconds, device_limit, speed_limit_bps,
                   reset_strategy, start_on_first_use, archived)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id;

-- name: plan_update
UPDATE plans
   SET name = $2, description = $3, data_limit_bytes = $4, duration_seconds = $5, device_limit = $6,
       speed_limit_bps = $7, reset_strategy = $8, start_on_first_use = $9, archived = $10, updated_at = now()
 WHERE id = $1;

-- name: plan_delete
DELETE FROM plans WHERE id = $1;
