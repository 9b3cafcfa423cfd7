#pragma once
// The rotate-nodes job's body (jobs/rotate-nodes is a thin main over it; docs/nodes.md,
// docs/cli/rotate-nodes.md). One run:
//   1. probes every node at once (probe.hpp) and moves its health with hysteresis
//      (domain/node_health.hpp): every node's result, and an audit row for every change of
//      health, in one transaction;
//   2. moves active devices off nodes that cannot serve to the best node of their region
//      (domain/rebalance.hpp), one transaction per device with its audit row; regions where
//      nothing can serve are reported;
//   3. rotates the gateway secret of nodes run by ss-manager when it is older than
//      nodes.secret_rotation_days (new port, new secret, old one kept for the overlap);
//   (3 runs first, so the probes see new secrets)
//   4. reconciles keys on the nodes: ss-manager ports, vless configs (Outline: see rotate.cpp);
//      on ss-manager nodes it first reads the per-port traffic counters and records what
//      direct connections used (rotate_internal.hpp account_direct_usage, domain/port_usage.hpp).
// With --dry-run every step is computed and reported as the plan, and nothing is written
// or sent. The whole run holds one advisory lock: a second run at the same time is skipped.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/jobs/job.hpp"

namespace httvps::nodes {

// The job body for jobs::run_job(): returns the summary (the plan, with --dry-run).
nlohmann::json run_rotate_nodes(jobs::JobRun& run);

// The uuid of the probe user rotate-nodes puts into a vless node's config: derived from the
// secrets key and the node id, so it is stable and known only to the control plane.
std::string vless_probe_uuid(const std::string& secrets_key, std::int64_t node_id);

// The sealing contexts of a node's manager address and of a node secret.
std::string manager_sealing_context(std::int64_t node_id);

}  // namespace httvps::nodes
