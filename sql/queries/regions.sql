-- Regions (tools/core/admin).

-- name: region_list
SELECT r.id, r.name, r.display_name,
       (SELECT count(*) FROM nodes n WHERE n.region_id = r.id) AS nodes,
       (SELECT count(*) FROM nodes n WHERE n.region_id = r.id AND n.health = 'up' AND n.admin_state = 'active') AS nodes_up,
       (SELECT count(*) FROM devices d WHERE d.region_id = r.id AND d.status = 'active') AS devices,
       r.created_at, r.updated_at
  FROM regions r
 ORDER BY r.name
 LIMIT $1 OFFSET $2;

-- name: region_get
SELECT r.id, r.name, r.display_name,
       (SELECT count(*) FROM nodes n WHERE n.region_id = r.id) AS nodes,
       (SELECT count(*) FROM nodes n WHERE n.region_id = r.id AND n.health = 'up' AND n.admin_state = 'active') AS nodes_up,
       (SELECT count(*) FROM devices d WHERE d.region_id = r.id AND d.status = 'active') AS devices,
       r.created_at, r.updated_at
  FROM regions r
 WHERE r.name = $1;

-- name: region_insert
INSERT INTO regions (name, display_name) VALUES ($1, $2) RETURNING id;

-- name: region_update
UPDATE regions SET name = $2, display_name = $3, updated_at = now() WHERE id = $1;

-- name: region_delete
DELETE FROM regions WHERE id = $1;
