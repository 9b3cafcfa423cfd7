#include "core/nodes/outline_sync.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace httvps::nodes {

OutlinePlan plan_outline_changes(const std::vector<OutlineWantedKey>& wanted, const std::vector<OutlineAccessKey>& present) {
  std::map<std::string, const OutlineWantedKey*> want;
  for (const auto& w : wanted) want[w.name] = &w;
  OutlinePlan plan;
  std::set<std::string> kept;
  for (const auto& k : present) {
    if (!k.name.starts_with(kOutlineKeyPrefix)) continue;
    auto it = want.find(k.name);
    const bool same = it != want.end() && kept.count(k.name) == 0 && k.password == it->second->password &&
                      k.port == it->second->port && k.method == it->second->method;
    if (!same) {
      plan.remove.push_back(k);
      continue;
    }
    kept.insert(k.name);
    if (k.data_limit_bytes != it->second->data_limit_bytes) {
      plan.limits.emplace_back(k.id, it->second->data_limit_bytes);
      plan.limit_names.push_back(k.name);
    }
  }
  for (const auto& [name, w] : want) {
    if (kept.count(name) == 0) plan.create.push_back(*w);
  }
  return plan;
}

}  // namespace httvps::nodes
