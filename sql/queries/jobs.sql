-- The job_runs bookkeeping every cron job shares (tools/core/jobs/job.cpp).

-- name: job_run_start
INSERT INTO job_runs (job, host, pid, dry_run)
VALUES ($1, $2, $3::integer, $4::boolean)
RETURNING id;

-- name: job_run_finish
UPDATE job_runs
   SET status = $2, summary = $3::jsonb, error = $4, finished_at = now()
 WHERE id = $1::bigint;

-- name: job_run_get
SELECT id, job, host, pid, status, dry_run, summary, error, started_at, finished_at
  FROM job_runs
 WHERE id = $1::bigint;

-- name: job_run_latest_for_tests
SELECT id FROM job_runs WHERE job = $1 ORDER BY id DESC LIMIT 1;
