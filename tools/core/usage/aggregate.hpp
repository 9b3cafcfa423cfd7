#pragma once
// aggregate-usage's library part: stored usage batches become rollups, session and
// subscription totals, and status transitions, exactly once. jobs/aggregate-usage/main.cpp
// only declares options and calls aggregate_usage() through jobs::run_job().
//
// Exactly once: each transaction claims unaggregated batches (FOR UPDATE SKIP LOCKED),
// adds them everywhere and marks them aggregated before it commits; a run killed at any
// point leaves its batches unaggregated for the next run, and two runs never claim the
// same batch. docs/cli/aggregate-usage.md has the whole story.

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/jobs/job.hpp"

namespace httvps::usage {

struct AggregateOptions {
  std::int64_t batch_size = 400;           // batches claimed per transaction (1-10000)
  std::optional<std::int64_t> max_batches;  // stop after this many batches; nullopt: the whole backlog
};

// Runs one aggregation at RUN's clock: status transitions that are due, then the backlog
// in transactions of BATCH_SIZE batches, then pruning. With run.dry_run() every change is
// made in a transaction that is rolled back, so the summary reports exactly what a real
// run would have done at that moment. Returns the summary (batches, records, bytes,
// rollup_rows, users_* counts, next_plans_applied, pruned_*).
nlohmann::json aggregate_usage(jobs::JobRun& run, const AggregateOptions& options);

}  // namespace httvps::usage
