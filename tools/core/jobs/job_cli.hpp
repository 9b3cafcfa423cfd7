#pragma once
// add_job_options(): the command-line options every job shares. Header-only because it
// needs CLI11; include it from jobs/*/main.cpp only (see job.hpp for a whole job).

#include <CLI/CLI.hpp>

#include "core/jobs/job.hpp"

namespace httvps::jobs {

inline void add_job_options(CLI::App& app, JobOptions& o) {
  app.add_option_function<std::string>("--now", [&o](const std::string& v) { o.now = v; },
                                       "Pretend the time is TIME (RFC 3339 or Unix seconds); for tests")
      ->type_name("TIME");
  app.add_flag("--dry-run", o.dry_run, "Report what would change; change nothing");
  app.add_option_function<std::string>("--textfile", [&o](const std::string& v) { o.textfile = v; },
                                       "Write Prometheus metrics to PATH (atomically) for node_exporter")
      ->type_name("PATH");
}

}  // namespace httvps::jobs
