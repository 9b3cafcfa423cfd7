#include "core/domain/node_choice.hpp"

#include <algorithm>
#include <tuple>

namespace httvps::domain {
namespace {

int health_rank(const std::string& h) {
  if (h == "up") return 0;
  if (h == "unknown") return 1;
  return 2;  // degraded
}

}  // namespace

bool can_serve(const NodeCandidate& n) { return n.admin_state == "active" && n.health != "down"; }

std::vector<NodeCandidate> rank_nodes(std::vector<NodeCandidate> candidates) {
  std::vector<NodeCandidate> out;
  for (auto& c : candidates) {
    if (can_serve(c)) out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const NodeCandidate& a, const NodeCandidate& b) {
    // Compare devices/weight as cross products to stay in integers (weights are at most
    // 10,000, so the products fit easily); weight 0 sorts last.
    auto key = [](const NodeCandidate& n) { return std::make_tuple(n.weight == 0, health_rank(n.health)); };
    if (key(a) != key(b)) return key(a) < key(b);
    if (a.weight > 0 && b.weight > 0) {
      std::int64_t la = a.devices * b.weight;
      std::int64_t lb = b.devices * a.weight;
      if (la != lb) return la < lb;
    }
    std::int64_t lat_a = a.latency_ms.value_or(INT64_MAX);
    std::int64_t lat_b = b.latency_ms.value_or(INT64_MAX);
    if (lat_a != lat_b) return lat_a < lat_b;
    return a.id < b.id;
  });
  return out;
}

std::optional<std::int64_t> choose_node(const std::vector<NodeCandidate>& candidates) {
  auto ranked = rank_nodes(candidates);
  if (ranked.empty()) return std::nullopt;
  return ranked.front().id;
}

}  // namespace httvps::domain
