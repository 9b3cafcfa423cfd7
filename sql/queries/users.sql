-- Users and their subscriptions (tools/core/admin/users.cpp).

-- name: user_list
SELECT u.id, u.username, u.status, p.name AS plan, np.name AS next_plan,
       s.used_bytes AS used, p.data_limit_bytes AS data_limit, s.expires_at,
       (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.status = 'active') AS devices,
       u.telegram_id, u.created_at
  FROM users u
  LEFT JOIN subscriptions s ON s.user_id = u.id
  LEFT JOIN plans p ON p.id = s.plan_id
  LEFT JOIN plans np ON np.id = s.next_plan_id
 WHERE ($1::text IS NULL OR u.status = $1)
   AND ($2::text IS NULL OR p.name = $2)
   AND ($3::text IS NULL OR strpos(lower(u.username), lower($3)) > 0)
 ORDER BY u.username
 LIMIT $4 OFFSET $5;

-- name: user_get
SELECT u.id, u.username, u.status, p.name AS plan, np.name AS next_plan, u.telegram_id, u.language,
       r.name AS region, u.note,
       s.started_at, s.expires_at, s.period_started_at, s.used_bytes AS used, s.upload_bytes, s.download_bytes,
       s.lifetime_used_bytes, p.data_limit_bytes AS data_limit, p.device_limit, p.speed_limit_bps AS speed_limit,
       p.reset_strategy, s.last_reset_at,
       (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.status = 'active') AS devices,
       u.created_at, u.updated_at
  FROM users u
  LEFT JOIN subscriptions s ON s.user_id = u.id
  LEFT JOIN plans p ON p.id = s.plan_id
  LEFT JOIN plans np ON np.id = s.next_plan_id
  LEFT JOIN regions r ON r.id = u.region_id
 WHERE u.username = $1;

-- name: user_insert
INSERT INTO users (username, status, telegram_id, language, region_id, note)
VALUES ($1, $2, $3, $4, (SELECT id FROM regions WHERE name = $5), $6)
RETURNING id;

-- name: user_update
UPDATE users
   SET username = $2, status = $3, telegram_id = $4, language = $5,
       region_id = (SELECT id FROM regions WHERE name = $6), note = $7, updated_at = now()
 WHERE id = $1;

-- name: user_delete
DELETE FROM users WHERE id = $1;

-- name: subscription_insert
INSERT INTO subscriptions (user_id, plan_id, next_plan_id, started_at, expires_at, period_started_at)
VALUES ($1, (SELECT id FROM plans WHERE name = $2), (SELECT id FROM plans WHERE name = $3),
        $4::timestamptz, $5::timestamptz, $6::timestamptz);

-- name: subscription_restart
-- A new plan for an existing user: a fresh period, usage of the period back to zero.
UPDATE subscriptions
   SET plan_id = (SELECT id FROM plans WHERE name = $2), next_plan_id = (SELECT id FROM plans WHERE name = $3),
       started_at = $4::timestamptz, expires_at = $5::timestamptz, period_started_at = $6::timestamptz,
       used_bytes = 0, upload_bytes = 0, download_bytes = 0, last_reset_at = $6::timestamptz, updated_at = now()
 WHERE user_id = $1;

-- name: subscription_amend
UPDATE subscriptions
   SET next_plan_id = (SELECT id FROM plans WHERE name = $2), expires_at = $3::timestamptz, updated_at = now()
 WHERE user_id = $1;
