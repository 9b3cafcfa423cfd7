#include "core/domain/port_usage.hpp"

namespace httvps::domain {

PortUsageUpdate account_port_counters(const std::vector<PortCounter>& stored,
                                      const std::map<int, std::uint64_t>& read,
                                      const std::vector<PortOwner>& owners) {
  PortUsageUpdate out;
  std::map<int, PortCounter> before;
  for (const auto& c : stored) before[c.port] = c;
  std::map<std::int64_t, std::uint64_t> used;
  for (const auto& [port, c] : before) {
    auto it = read.find(port);
    if (it == read.end()) continue;
    const std::uint64_t now = it->second;
    std::uint64_t delta = now;
    if (now >= c.bytes) delta = now - c.bytes;
    else out.restarted.push_back(port);
    if (delta > kMaxPortDelta) {
      out.implausible.push_back(port);
      continue;
    }
    if (delta > 0) used[c.device_id] += delta;
  }
  std::map<int, std::int64_t> owned;
  for (const auto& o : owners) owned[o.port] = o.device_id;
  for (const auto& [port, device] : owned) {
    auto it = read.find(port);
    const std::uint64_t now = it == read.end() ? 0 : it->second;
    if (it != read.end() && before.count(port) == 0 && now > 0) out.baselined.push_back(port);
    out.counters.push_back({port, device, now});
  }
  for (const auto& [device, bytes] : used) out.usage.push_back({device, bytes});
  return out;
}

}  // namespace httvps::domain
