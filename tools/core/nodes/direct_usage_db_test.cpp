// The queries behind direct-connection usage (sql/queries/node_usage.sql, migration 0006):
// a node's usage batch is aggregated like a gateway's, without a session, and the stored
// counters follow the ports' owners. The read of a real ss-manager is tested end to end in
// tests/system/rotate_nodes_test.sh.
#include <catch2/catch.hpp>

#include <ctime>

#include "core/usage/aggregate.hpp"
#include "core/usage/test_seed.hpp"

using namespace httvps;
using namespace httvps::usage::testing;
using httvps::testing::TestDb;
using nlohmann::json;

namespace {

// Stores USAGE ([{"device_id", "bytes"}]) as a batch of node NODE; returns its batch_seq.
std::int64_t store_node_usage(db::Connection& c, std::int64_t node, const json& usage, std::int64_t micros) {
  db::Transaction tx(c);
  auto b = c.exec("node_usage_batch_insert", {static_cast<long long>(node), usage.dump(), static_cast<long long>(micros)});
  c.exec("node_usage_records_insert", {b[0].text("id"), static_cast<long long>(node), usage.dump()});
  tx.commit();
  return b[0].int64("batch_seq");
}

json counters(db::Connection& c, std::int64_t node) {
  json out = json::array();
  for (const auto& r : c.exec("node_port_counters_lock", {static_cast<long long>(node)})) {
    out.push_back({r.int64("port"), r.int64("device_id"), r.int64("bytes")});
  }
  return out;
}

}  // namespace

TEST_CASE("a node's usage batch is billed with the node's multiplier and creates no session", "[nodes][usage][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  // fra-1 (id 1) bills x1.5: alice's 1000 direct bytes are 1500 billed; bob's 10 are 15.
  const std::int64_t seq = store_node_usage(conn, 1, json::array({{{"device_id", 1}, {"bytes", 1000}},
                                                                   {{"device_id", 2}, {"bytes", 10}}}), 5);
  CHECK(seq == 5);
  // The next batch of the node follows it even when the clock went back.
  CHECK(store_node_usage(conn, 1, json::array({{{"device_id", 1}, {"bytes", 1}}}), 3) == 6);
  // Each node has its own sequence.
  CHECK(store_node_usage(conn, 2, json::array({{{"device_id", 2}, {"bytes", 7}}}), 3) == 3);
  CHECK(conn.exec("usage_batch_get", {1LL, 5LL}).empty());  // gateway 1's sequence is apart

  // validate-device subtracts it before it is aggregated, like a gateway's usage.
  CHECK(conn.exec("user_unaggregated_billed", {1LL, 0LL})[0].int64("billed") == 1500 + 1);

  jobs::JobRun run(ctx, "aggregate-usage", {}, static_cast<std::int64_t>(std::time(nullptr)));
  json s = usage::aggregate_usage(run, {});
  CHECK(s["batches"] == 3);
  CHECK(s["download_bytes"] == 1000 + 10 + 1 + 7);
  CHECK(s["upload_bytes"] == 0);
  json snap = snapshot(conn);
  CHECK(snap["subscriptions"][0]["used"] == 1500 + 1);  // floor(1 x 1.5) = 1
  CHECK(snap["subscriptions"][1]["used"] == 15 + 7);
  CHECK(snap["sessions"].empty());
  CHECK(snap["unaggregated"] == 0);
}

TEST_CASE("a node's stored counters become exactly the given ports, for devices that exist", "[nodes][usage][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  auto replace = [&](const json& rows) {
    db::Transaction tx(conn);
    conn.exec("node_port_counters_replace", {1LL, rows.dump()});
    tx.commit();
  };
  replace(json::array({{{"port", 20001}, {"device_id", 1}, {"bytes", 100}},
                       {{"port", 20002}, {"device_id", 2}, {"bytes", 0}},
                       {{"port", 20003}, {"device_id", 999}, {"bytes", 5}}}));  // no such device: left out
  CHECK(counters(conn, 1) == json::parse("[[20001,1,100],[20002,2,0]]"));
  replace(json::array({{{"port", 20002}, {"device_id", 1}, {"bytes", 40}}}));
  CHECK(counters(conn, 1) == json::parse("[[20002,1,40]]"));
  // A deleted device takes its counters with it; a deleted node its counters, and its
  // batches lose their source but stay.
  store_node_usage(conn, 1, json::array({{{"device_id", 1}, {"bytes", 1}}}), 1);
  t.exec_sql("DELETE FROM devices WHERE id = 1");
  CHECK(counters(conn, 1).empty());
  replace(json::array({{{"port", 20002}, {"device_id", 2}, {"bytes", 1}}}));
  t.exec_sql("DELETE FROM nodes WHERE id = 1");
  CHECK(counters(conn, 1).empty());
  CHECK(snapshot(conn)["batches"] == 1);
}

TEST_CASE("a usage batch has one source: a gateway or a node", "[nodes][usage][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  CHECK_THROWS_AS(t.exec_sql("INSERT INTO usage_batches (gateway_id, node_id, batch_seq, record_count) VALUES (1, 1, 1, 0)"),
                  db::DbError);
}
