#pragma once
// Which devices move to which node in one rotate-nodes run. Pure: the job loads the
// region's nodes (with their health after this run's probes) and its active devices, and
// stores the moves.
//
// A device moves when it has no node, when its node cannot serve (down, draining, disabled:
// domain::can_serve), or when its node is not in the device's region any more. It goes to
// the best node of its region by domain::rank_nodes (health, devices per weight, latency),
// preferring nodes of its node's kind so its links keep their form; each move is counted
// into the target's load before the next device is placed, so a dead node's devices spread
// by weight. Every device is considered once, so it moves at most once per run. Devices
// that can serve where they are never move (no flapping). A region where devices need a
// node and none can serve is reported.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/node_choice.hpp"

namespace httvps::domain {

struct RegionNode {
  NodeCandidate node;
  std::int64_t region_id = 0;
  std::string kind;  // shadowsocks | outline | vless
};

struct DeviceAssignment {
  std::int64_t device_id = 0;
  std::int64_t region_id = 0;
  std::optional<std::int64_t> node_id;
};

struct Move {
  std::int64_t device_id = 0;
  std::int64_t region_id = 0;
  std::optional<std::int64_t> from;
  std::int64_t to = 0;
  std::string reason;  // "no node" | "node down" | "node draining" | "node disabled" | "node in another region"
  bool operator==(const Move&) const = default;
};

struct Stranded {
  std::int64_t region_id = 0;
  std::int64_t devices = 0;  // devices that need a node and found none
  bool operator==(const Stranded&) const = default;
};

struct RebalancePlan {
  std::vector<Move> moves;          // in device order
  std::vector<Stranded> stranded;   // regions with devices that no node can serve, by region id
};

// Why DEVICE must move off NODE (nullptr: it has none), or "" when it may stay.
std::string move_reason(const DeviceAssignment& device, const RegionNode* node);

// The moves for DEVICES over NODES (every node of the devices' regions; the `devices` of
// each candidate is its current load). Devices are taken in ascending id.
RebalancePlan plan_rebalance(std::vector<RegionNode> nodes, std::vector<DeviceAssignment> devices);

}  // namespace httvps::domain
