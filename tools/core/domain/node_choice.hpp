#pragma once
// Which node serves a device: pure ranking of a region's nodes. Used when a device is
// issued, and by rotate-nodes when it moves devices off a node.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace httvps::domain {

struct NodeCandidate {
  std::int64_t id = 0;
  std::string health;       // unknown | up | degraded | down
  std::string admin_state;  // active | draining | disabled
  std::int64_t weight = 100;
  std::int64_t devices = 0;  // live devices assigned now
  std::optional<std::int64_t> latency_ms;
};

// True when the node may take devices: active and not down.
bool can_serve(const NodeCandidate& node);

// Candidates that can serve, best first: up before unknown before degraded; then the
// lowest load per unit of weight (devices / weight); then lower latency; then lower id.
// Nodes of weight 0 serve only when nothing else can.
std::vector<NodeCandidate> rank_nodes(std::vector<NodeCandidate> candidates);

// The best node, or nullopt when none can serve.
std::optional<std::int64_t> choose_node(const std::vector<NodeCandidate>& candidates);

}  // namespace httvps::domain
