#pragma once
// Usage of devices that connect to a node directly (their ss:// link, no gateway), from the
// node's per-port traffic counters: ss-manager's `ping` answers, for every port it serves, the
// bytes its ss-server carried since the port was added (one total, both directions). Each
// device has a port of its own on a managed node, so a port's counter is its device's usage.
//
// rotate-nodes stores, per node and port, the counter it last read and the device that owned
// the port then (node_port_counters). A read turns the change since into usage of that
// device, and the stored counters move on to the read, in one transaction: a read that is
// not committed is simply made again by the next run, so nothing is counted twice or lost.
// Pure.
//
// The rules, for one node:
// - A stored port the read lists: its owner used (read - stored) bytes; when the counter went
//   backwards the port started over (ss-manager added it again or restarted), and the read
//   itself is the usage since.
// - A stored port the read does not list is not served now: nothing to count; if the port
//   still has an owner its counter is stored as 0, the value a port starts from when it is
//   added again.
// - An owned port the read lists but that has no stored counter (counters that predate
//   tracking): the read is the baseline and nothing is counted, since it cannot be told whose
//   traffic it was. Listed in `baselined`.
// - A change larger than kMaxPortDelta is not believed (a counter that jumped): it is not
//   counted, the read becomes the baseline, and the port is listed in `implausible`.
// - Afterwards exactly the owned ports have a stored counter, with their current owner: the
//   next read counts for whoever owns the port now.

#include <cstdint>
#include <map>
#include <vector>

namespace httvps::domain {

// The largest change of one port's counter counted at once: 1 TiB, the most a usage record
// carries (usage/batch.hpp kMaxBytes), far more than a port can move between two runs.
inline constexpr std::uint64_t kMaxPortDelta = 1ULL << 40;

struct PortCounter {
  int port = 0;
  std::int64_t device_id = 0;
  std::uint64_t bytes = 0;
  bool operator==(const PortCounter&) const = default;
};

struct PortOwner {
  int port = 0;
  std::int64_t device_id = 0;
};

struct DeviceUsage {
  std::int64_t device_id = 0;
  std::uint64_t bytes = 0;
  bool operator==(const DeviceUsage&) const = default;
};

struct PortUsageUpdate {
  std::vector<DeviceUsage> usage{};       // bytes > 0 only, one per device, ascending device id
  std::vector<PortCounter> counters{};    // the counters to store: one per owned port, ascending port
  std::vector<int> restarted{};           // ports whose counter went backwards, ascending
  std::vector<int> baselined{};           // owned ports first seen with a counter above 0, ascending
  std::vector<int> implausible{};         // ports whose change was not believed, ascending
};

// STORED: the node's stored counters; READ: the `ping` answer (port → bytes); OWNERS: the
// node's device ports now. A port stored twice or owned twice is a programming error upstream
// (the database keys both by port); the last one wins.
PortUsageUpdate account_port_counters(const std::vector<PortCounter>& stored,
                                      const std::map<int, std::uint64_t>& read,
                                      const std::vector<PortOwner>& owners);

}  // namespace httvps::domain
