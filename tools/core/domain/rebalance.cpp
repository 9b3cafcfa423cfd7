#include "core/domain/rebalance.hpp"

#include <algorithm>
#include <map>

namespace httvps::domain {

std::string move_reason(const DeviceAssignment& device, const RegionNode* node) {
  if (node == nullptr) return "no node";
  if (node->region_id != device.region_id) return "node in another region";
  if (node->node.admin_state == "disabled") return "node disabled";
  if (node->node.admin_state == "draining") return "node draining";
  if (node->node.health == "down") return "node down";
  if (!can_serve(node->node)) return "node cannot serve";
  return "";
}

RebalancePlan plan_rebalance(std::vector<RegionNode> nodes, std::vector<DeviceAssignment> devices) {
  std::map<std::int64_t, RegionNode*> by_id;
  std::map<std::int64_t, std::vector<RegionNode*>> by_region;
  for (auto& n : nodes) {
    by_id[n.node.id] = &n;
    by_region[n.region_id].push_back(&n);
  }
  std::sort(devices.begin(), devices.end(),
            [](const DeviceAssignment& a, const DeviceAssignment& b) { return a.device_id < b.device_id; });
  RebalancePlan plan;
  std::map<std::int64_t, std::int64_t> stranded;
  for (const auto& d : devices) {
    RegionNode* current = nullptr;
    if (d.node_id) {
      auto it = by_id.find(*d.node_id);
      if (it != by_id.end()) current = it->second;
    }
    std::string reason = move_reason(d, current);
    if (reason.empty()) continue;
    auto& pool = by_region[d.region_id];
    auto pick = [&](bool same_kind) -> RegionNode* {
      std::vector<NodeCandidate> candidates;
      for (auto* n : pool) {
        if (same_kind && current != nullptr && n->kind != current->kind) continue;
        if (current != nullptr && n->node.id == current->node.id) continue;
        candidates.push_back(n->node);
      }
      auto best = choose_node(candidates);
      return best ? by_id[*best] : nullptr;
    };
    RegionNode* target = current != nullptr ? pick(true) : nullptr;
    if (target == nullptr) target = pick(false);
    if (target == nullptr) {
      ++stranded[d.region_id];
      continue;
    }
    target->node.devices += 1;
    if (current != nullptr) current->node.devices = std::max<std::int64_t>(current->node.devices - 1, 0);
    plan.moves.push_back({d.device_id, d.region_id, d.node_id, target->node.id, reason});
  }
  for (auto [region, count] : stranded) plan.stranded.push_back({region, count});
  return plan;
}

}  // namespace httvps::domain
