// aggregate-usage: turns stored usage batches into rollups, session and subscription
// totals and status transitions, exactly once (docs/cli/aggregate-usage.md). A cron job.

#include "core/cli_main.hpp"
#include "core/jobs/job_cli.hpp"
#include "core/usage/aggregate.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"aggregate-usage",
                                        "aggregate-usage: roll stored usage up and move users between statuses"};
  httvps::jobs::JobOptions jo;
  httvps::usage::AggregateOptions ao;
  auto declare = [&](CLI::App& app) {
    httvps::jobs::add_job_options(app, jo);
    app.add_option("--batch-size", ao.batch_size, "Usage batches claimed per transaction (default 400, 1-10000)")
        ->type_name("N");
    app.add_option_function<std::int64_t>("--max-batches", [&](std::int64_t v) { ao.max_batches = v; },
                                          "Stop after N batches (default: the whole backlog)")
        ->type_name("N");
  };
  return httvps::cli_main(spec, argc, argv, declare, [&](httvps::Context& ctx) {
    return httvps::jobs::run_job(ctx, "aggregate-usage", jo,
                                 [&](httvps::jobs::JobRun& run) { return httvps::usage::aggregate_usage(run, ao); });
  });
}
