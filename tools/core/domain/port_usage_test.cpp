#include <catch2/catch.hpp>

#include "core/domain/port_usage.hpp"

using namespace httvps::domain;

TEST_CASE("a port's counter moving on is its owner's usage, and the stored counter follows", "[domain][port_usage]") {
  auto u = account_port_counters({{20001, 7, 1000}, {20002, 8, 50}}, {{20001, 4500}, {20002, 50}, {20000, 999999}},
                                 {{20001, 7}, {20002, 8}});
  REQUIRE(u.usage == std::vector<DeviceUsage>{{7, 3500}});  // nothing for 8: its counter stood still
  CHECK(u.counters == std::vector<PortCounter>{{20001, 7, 4500}, {20002, 8, 50}});
  CHECK(u.restarted.empty());
  CHECK(u.baselined.empty());
  // The same read again counts nothing: the counters already moved on.
  auto again = account_port_counters(u.counters, {{20001, 4500}, {20002, 50}}, {{20001, 7}, {20002, 8}});
  CHECK(again.usage.empty());
  CHECK(again.counters == u.counters);
}

TEST_CASE("a counter that went backwards started over: the read is the usage since", "[domain][port_usage]") {
  auto u = account_port_counters({{20001, 7, 9000}}, {{20001, 300}}, {{20001, 7}});
  CHECK(u.usage == std::vector<DeviceUsage>{{7, 300}});
  CHECK(u.restarted == std::vector<int>{20001});
  CHECK(u.counters == std::vector<PortCounter>{{20001, 7, 300}});
}

TEST_CASE("a port that changed owner counts for the old owner up to the read, for the new one after", "[domain][port_usage]") {
  // Device 7 moved away and device 9 got its port: 7's last traffic is 7's.
  auto u = account_port_counters({{20001, 7, 100}}, {{20001, 600}}, {{20001, 9}});
  CHECK(u.usage == std::vector<DeviceUsage>{{7, 500}});
  CHECK(u.counters == std::vector<PortCounter>{{20001, 9, 600}});
  // ss-manager's add for 9's password starts the port over; the next read counts for 9.
  auto next = account_port_counters(u.counters, {{20001, 40}}, {{20001, 9}});
  CHECK(next.usage == std::vector<DeviceUsage>{{9, 40}});
}

TEST_CASE("a removed port is counted up to the read and forgotten", "[domain][port_usage]") {
  auto u = account_port_counters({{20001, 7, 100}, {20002, 8, 10}}, {{20001, 150}, {20002, 10}}, {{20002, 8}});
  CHECK(u.usage == std::vector<DeviceUsage>{{7, 50}});
  CHECK(u.counters == std::vector<PortCounter>{{20002, 8, 10}});
}

TEST_CASE("an owned port the node does not serve is stored at 0, where it starts when added", "[domain][port_usage]") {
  auto u = account_port_counters({{20001, 7, 100}}, {}, {{20001, 7}, {20003, 11}});
  CHECK(u.usage.empty());
  CHECK(u.counters == std::vector<PortCounter>{{20001, 7, 0}, {20003, 11, 0}});
  // Added now (ss-manager lists it from 0) and used: all of it counts.
  auto next = account_port_counters(u.counters, {{20001, 0}, {20003, 2500}}, {{20001, 7}, {20003, 11}});
  CHECK(next.usage == std::vector<DeviceUsage>{{11, 2500}});
}

TEST_CASE("a port first seen with traffic is a baseline, not usage", "[domain][port_usage]") {
  auto u = account_port_counters({}, {{20001, 123456}, {20002, 0}}, {{20001, 7}, {20002, 8}});
  CHECK(u.usage.empty());
  CHECK(u.baselined == std::vector<int>{20001});
  CHECK(u.counters == std::vector<PortCounter>{{20001, 7, 123456}, {20002, 8, 0}});
}

TEST_CASE("a counter jump larger than any port can move is not believed", "[domain][port_usage]") {
  const std::uint64_t huge = kMaxPortDelta + 1;
  auto u = account_port_counters({{20001, 7, 10}, {20002, 8, 0}}, {{20001, 10 + huge}, {20002, 5}},
                                 {{20001, 7}, {20002, 8}});
  CHECK(u.usage == std::vector<DeviceUsage>{{8, 5}});
  CHECK(u.implausible == std::vector<int>{20001});
  CHECK(u.counters == std::vector<PortCounter>{{20001, 7, 10 + huge}, {20002, 8, 5}});
  // Exactly the limit is believed.
  auto edge = account_port_counters({{20001, 7, 0}}, {{20001, kMaxPortDelta}}, {{20001, 7}});
  CHECK(edge.usage == std::vector<DeviceUsage>{{7, kMaxPortDelta}});
}

TEST_CASE("one device's usage over two ports is summed (a port left over from a move)", "[domain][port_usage]") {
  auto u = account_port_counters({{20001, 7, 0}, {20002, 7, 0}}, {{20001, 10}, {20002, 20}}, {{20002, 7}});
  CHECK(u.usage == std::vector<DeviceUsage>{{7, 30}});
}
