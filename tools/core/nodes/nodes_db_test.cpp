#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/nodes/node_ports.hpp"
#include "core/nodes/rotate.hpp"
#include "core/testing/test_db.hpp"

using namespace httvps;
using httvps::testing::TestDb;

namespace {

// A region r, a node n1 (port 20000) and a user with N active devices on it.
void seed(const TestDb& t, int devices, bool managed) {
  std::string sql =
      "INSERT INTO regions (name) VALUES ('r');"
      "INSERT INTO plans (name) VALUES ('p');"
      "INSERT INTO nodes (region_id, name, kind, host, port, method, manager_url_sealed) "
      "  SELECT id, 'n1', 'shadowsocks', '127.0.0.1', 20000, 'aes-128-gcm', " +
      std::string(managed ? "'v1.sealed'" : "NULL") +
      " FROM regions;"
      "INSERT INTO users (username) VALUES ('u');"
      "INSERT INTO subscriptions (user_id, plan_id) SELECT u.id, p.id FROM users u, plans p;";
  for (int i = 0; i < devices; ++i) {
    sql += "INSERT INTO devices (user_id, name, region_id, node_id) SELECT u.id, 'd" + std::to_string(i) +
           "', r.id, n.id FROM users u, regions r, nodes n;";
  }
  t.exec_sql(sql);
}

std::optional<std::int64_t> port_of(db::Connection& c, std::int64_t device) {
  return c.exec("nodes_device_port_of", {static_cast<long long>(device)})[0].opt_int64("node_port");
}

std::vector<std::int64_t> device_ids(db::Connection& c) {
  std::vector<std::int64_t> out;
  for (const auto& r : c.exec("nodes_active_devices")) out.push_back(r.int64("id"));
  return out;
}

}  // namespace

TEST_CASE("devices on a node run by ss-manager get the lowest free port of its span, once", "[nodes][db]") {
  TestDb t;
  seed(t, 4, true);
  auto c = t.connect();
  auto ids = device_ids(c);
  for (int i = 0; i < 3; ++i) nodes::assign_device_port(c, ids[static_cast<std::size_t>(i)], 3);
  CHECK(port_of(c, ids[0]) == 20001);
  CHECK(port_of(c, ids[1]) == 20002);
  CHECK(port_of(c, ids[2]) == 20003);
  nodes::assign_device_port(c, ids[0], 3);  // keeps its port
  CHECK(port_of(c, ids[0]) == 20001);
  try {
    nodes::assign_device_port(c, ids[3], 3);
    FAIL("a full span must be refused");
  } catch (const Failure& f) {
    CHECK(f.code() == ExitCode::kConflict);
    CHECK(std::string(f.what()).find("no free port") != std::string::npos);
  }
  // A revoked device frees its port; a live gateway secret holds one.
  t.exec_sql("UPDATE devices SET status = 'revoked', revoked_at = now() WHERE id = " + std::to_string(ids[1]) + ";");
  t.exec_sql("INSERT INTO node_secrets (node_id, secret_sealed, method, port) SELECT id, 'v1.x', 'aes-128-gcm', 20002 FROM nodes;");
  CHECK_THROWS_AS(nodes::assign_device_port(c, ids[3], 3), Failure);
  t.exec_sql("UPDATE node_secrets SET created_at = now() - interval '2 hours', retire_after = now() - interval '1 hour';");
  nodes::assign_device_port(c, ids[3], 3);
  CHECK(port_of(c, ids[3]) == 20002);
}

TEST_CASE("devices on a node without a manager use the node's port", "[nodes][db]") {
  TestDb t;
  seed(t, 1, false);
  auto c = t.connect();
  auto ids = device_ids(c);
  t.exec_sql("UPDATE devices SET node_port = 20005;");
  nodes::assign_device_port(c, ids[0], 100);
  CHECK_FALSE(port_of(c, ids[0]).has_value());
}

TEST_CASE("the vless probe user is a stable version-4 uuid per node and key", "[nodes]") {
  const std::string key(32, 'k');
  const std::string a = nodes::vless_probe_uuid(key, 1);
  CHECK(a == nodes::vless_probe_uuid(key, 1));
  CHECK(a != nodes::vless_probe_uuid(key, 2));
  CHECK(a != nodes::vless_probe_uuid(std::string(32, 'j'), 1));
  REQUIRE(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK((a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b'));
}
