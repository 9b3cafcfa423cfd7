#include "core/nodes/outline_sync.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

using namespace httvps::nodes;

namespace {
std::vector<OutlineAccessKey> recorded(const std::string& name) {
  std::ifstream in(std::string(HTTVPS_SOURCE_DIR) + "/tools/core/nodes/testdata/outline/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_outline_access_keys(ss.str());
}
OutlineWantedKey want(const char* name, const char* password, std::optional<std::uint64_t> limit = std::nullopt) {
  return {name, password, "chacha20-ietf-poly1305", 8388, limit};
}
}  // namespace

TEST_CASE("outline: a server without keys gets one per wanted device, the operator's keys stay", "[nodes][outline]") {
  auto plan = plan_outline_changes({want("httvps:device-1", "a"), want("httvps:device-2", "b", 100)},
                                   recorded("access_keys_list.json"));
  REQUIRE(plan.create.size() == 2);
  CHECK(plan.create[0].name == "httvps:device-1");
  CHECK(plan.create[1].data_limit_bytes == 100);
  CHECK(plan.remove.empty());  // Admin, First and the unnamed key are not ours
  CHECK(plan.limits.empty());
}

TEST_CASE("outline: keys of revoked devices, changed passwords and duplicates go; limits follow the plan",
          "[nodes][outline]") {
  // device-7 kept (its limit is lifted), device-8's password changed, device-9 revoked,
  // device-10 new; the second device-7 key is a duplicate.
  auto plan = plan_outline_changes({want("httvps:device-7", "pw-seven"), want("httvps:device-8", "pw-new"),
                                    want("httvps:device-10", "pw-ten", 42)},
                                   recorded("access_keys_httvps.json"));
  std::vector<std::string> removed;
  for (const auto& k : plan.remove) removed.push_back(k.id);
  CHECK(removed == std::vector<std::string>{"6", "7", "8"});
  std::vector<std::string> created;
  for (const auto& k : plan.create) created.push_back(k.name);
  CHECK(created == std::vector<std::string>{"httvps:device-10", "httvps:device-8"});
  REQUIRE(plan.limits.size() == 1);
  CHECK(plan.limits[0].first == "5");
  CHECK_FALSE(plan.limits[0].second.has_value());
}

TEST_CASE("outline: a key on another port or cipher is made again", "[nodes][outline]") {
  OutlineWantedKey w = want("httvps:device-7", "pw-seven", 5000000000);
  w.port = 9000;
  auto plan = plan_outline_changes({w}, recorded("access_keys_httvps.json"));
  CHECK(plan.create.size() == 1);
  CHECK(plan.remove.size() == 4);  // both device-7 keys, device-8, device-9
  w.port = 8388;
  auto same = plan_outline_changes({w}, recorded("access_keys_httvps.json"));
  CHECK(same.create.empty());
  CHECK(same.limits.empty());
  CHECK(same.remove.size() == 3);
}
