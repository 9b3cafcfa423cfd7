// rotate-nodes: probes every node, moves node health with hysteresis, moves devices off nodes
// that cannot serve, rotates gateway secrets on nodes run by ss-manager and keeps the
// per-device keys on the nodes in step (docs/cli/rotate-nodes.md). A cron job.

#include "core/cli_main.hpp"
#include "core/jobs/job.hpp"
#include "core/jobs/job_cli.hpp"
#include "core/nodes/rotate.hpp"

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"rotate-nodes",
                                        "rotate-nodes: probe nodes, move devices off failing ones, rotate node "
                                        "secrets and reconcile keys on the nodes",
                                        /*cgi=*/false, /*writes_secrets=*/false};
  // Not writes_secrets: the textfile must stay readable for node_exporter; the vless configs,
  // which hold device credentials, are written owner-only on their own (reconcile.cpp).
  httvps::jobs::JobOptions jo;
  auto declare = [&](CLI::App& app) { httvps::jobs::add_job_options(app, jo); };
  return httvps::cli_main(spec, argc, argv, declare, [&](httvps::Context& ctx) {
    return httvps::jobs::run_job(ctx, "rotate-nodes", jo, httvps::nodes::run_rotate_nodes);
  });
}
