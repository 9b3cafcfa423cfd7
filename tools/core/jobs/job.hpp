#pragma once
// The plumbing every cron job shares: a job_runs row per run, advisory locks per unit of
// work, the clock (--now), --dry-run, the JSON summary on stdout, a Prometheus textfile for
// node_exporter, and a progress line on a terminal. The job's logic stays in its library
// part; its main.cpp declares options and hands a body to run_job():
//
//   // jobs/rotate-nodes/main.cpp
//   httvps::jobs::JobOptions jo;
//   auto declare = [&](CLI::App& app) { httvps::jobs::add_job_options(app, jo); ... };
//   return httvps::cli_main(spec, argc, argv, declare, [&](httvps::Context& ctx) {
//     return httvps::jobs::run_job(ctx, "rotate-nodes", jo, [&](httvps::jobs::JobRun& run) {
//       auto lock = run.try_lock_unit("node:" + std::to_string(id));  // nullopt: another run has it
//       if (!lock) run.skip("another run holds node " + std::to_string(id));
//       run.progress().set_total(n); ... run.progress().advance();
//       if (!run.dry_run()) { ... change ... }
//       run.gauge("nodes_rotated", k, "Nodes rotated by the last run");
//       return nlohmann::json{{"nodes_rotated", k}};  // the summary
//     });
//   });
//
// add_job_options() lives in job_cli.hpp (it needs CLI11: include it from main.cpp only).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/app.hpp"
#include "core/db.hpp"

namespace httvps::jobs {

// Options every job accepts (declared by add_job_options()).
struct JobOptions {
  std::optional<std::string> now;       // --now: RFC 3339 or Unix seconds; tests simulate time
  bool dry_run = false;                 // --dry-run: report what would change, change nothing
  std::optional<std::string> textfile;  // --textfile PATH: Prometheus textfile, written atomically
};

// Parses --now: Unix seconds ("1795000000") or RFC 3339 ("2026-11-22T13:00:00Z").
// Throws Failure(kUsage) naming --now.
std::int64_t parse_now(std::string_view text);

// A "done/total (rate/s)" line on stderr, redrawn with '\r', only when stderr is a
// terminal (and at most ten times a second); silent otherwise.
class Progress {
 public:
  Progress(std::string label, bool enabled);
  void set_total(std::int64_t total);
  void advance(std::int64_t n = 1);
  void finish();  // ends the line, when one was drawn
  bool enabled() const { return enabled_; }

 private:
  void draw(bool force);
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::int64_t total_ = 0;
  std::int64_t done_ = 0;
  double started_ = 0;
  double last_draw_ = 0;
};

// One gauge of the textfile: httvps_job_NAME{job="JOB"} VALUE.
struct Gauge {
  std::string name;
  std::string help;
  double value = 0;
};

struct TextfileFacts {
  std::string job;
  std::string status;  // ok | failed | skipped
  double duration_seconds = 0;
  std::optional<double> last_success;  // Unix seconds of the last successful run; nullopt: never
  std::vector<Gauge> gauges;
};

// The textfile's text (Prometheus exposition format 0.0.4). Pure.
std::string render_textfile(const TextfileFacts& facts);
// httvps_job_last_success_timestamp_seconds in an existing textfile's text, if present. Pure.
std::optional<double> last_success_in(std::string_view textfile);
// Writes TEXT to PATH atomically (PATH.tmp.PID, fsync, rename). Throws Failure.
void write_file_atomically(const std::string& path, const std::string& text);

// Thrown by JobRun::skip() to end the body; run_job() records status 'skipped'.
struct Skipped {
  std::string reason;
};

// One run of a job, handed to the body by run_job().
class JobRun {
 public:
  JobRun(Context& ctx, std::string job, const JobOptions& options, std::int64_t now);

  Context& ctx() { return ctx_; }
  db::Connection& db() { return ctx_.db(); }
  const std::string& job() const { return job_; }
  std::int64_t now() const { return now_; }  // --now, else the wall clock at start
  bool dry_run() const { return dry_run_; }
  std::string actor() const { return "job:" + job_; }  // for audit_log
  Progress& progress() { return progress_; }

  // A session advisory lock on "JOB:UNIT" (db::lock_key); nullopt when another session
  // holds it. Release by dropping the returned lock.
  std::optional<db::AdvisoryLock> try_lock_unit(std::string_view unit);
  // The same, waiting until it is free.
  db::AdvisoryLock lock_unit(std::string_view unit);

  // Adds a job-specific gauge to the textfile (httvps_job_NAME{job="JOB"}).
  void gauge(std::string name, double value, std::string help);
  const std::vector<Gauge>& gauges() const { return gauges_; }

  // Ends the body: the run is recorded as 'skipped' with REASON (exit code 0).
  [[noreturn]] void skip(std::string reason);

 private:
  Context& ctx_;
  std::string job_;
  std::int64_t now_;
  bool dry_run_;
  Progress progress_;
  std::vector<Gauge> gauges_;
};

using JobBody = std::function<nlohmann::json(JobRun&)>;

// Runs BODY as job JOB: inserts the job_runs row (running, host, pid, dry_run), runs the
// body, updates the row (ok / skipped / failed, summary, error, finished_at), writes the
// textfile when asked, prints the summary (plus job, status, dry_run, duration_seconds) on
// stdout and returns the exit code. A Failure from the body is recorded and rethrown, so
// the start-up path prints it and maps its exit code; a database that cannot be reached
// at all is a temp_failure (75), worth retrying from cron.
int run_job(Context& ctx, std::string job, const JobOptions& options, const JobBody& body);

}  // namespace httvps::jobs
