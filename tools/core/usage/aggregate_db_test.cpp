#include "core/usage/aggregate.hpp"

#include <catch2/catch.hpp>

#include "core/usage/test_seed.hpp"

using namespace httvps;
using namespace httvps::usage::testing;
using httvps::testing::TestDb;
using nlohmann::json;

namespace {

// One aggregate-usage run at NOW; returns its summary.
json aggregate(Context& ctx, const char* now, bool dry_run = false, usage::AggregateOptions o = {}) {
  jobs::JobOptions jo;
  jo.dry_run = dry_run;
  jobs::JobRun run(ctx, "aggregate-usage", jo, at(now));
  return usage::aggregate_usage(run, o);
}

json rollup(const json& snap, const char* granularity, const char* scope, std::int64_t id, const char* bucket) {
  for (const auto& r : snap["rollups"]) {
    if (r[0] == granularity && r[1] == scope && r[2] == id && r[3] == at(bucket)) return json::array({r[4], r[5], r[6]});
  }
  return nullptr;
}

}  // namespace

TEST_CASE("aggregate-usage rolls records up per device, user and node with each record's billed bytes floored",
          "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  // fra-1 bills x1.5 per record: 3 -> 4 and 1 -> 1 (5, where the sum 4 x 1.5 would give 6).
  store(conn, 1, {rec("a", 1, 1, 1, "2026-11-20T10:15:00Z", 2, 1), rec("a", 1, 1, 1, "2026-11-20T10:45:00Z", 1, 0)});
  store(conn, 2, {rec("a", 1, 1, std::nullopt, "2026-11-20T11:00:00Z", 100, 0),  // 11:00 is the next hour
                  rec("b", 2, 2, 2, "2026-11-21T00:00:00Z", 10, 20)});
  json s = aggregate(ctx, "2026-11-21T01:00:00Z");
  CHECK(s["batches"] == 2);
  CHECK(s["records"] == 4);
  CHECK(s["upload_bytes"] == 113);
  CHECK(s["download_bytes"] == 21);
  CHECK(s["billed_bytes"] == 5 + 100 + 30);
  CHECK(s["users_limited"] == 0);

  json snap = snapshot(conn);
  CHECK(rollup(snap, "hour", "device", 1, "2026-11-20T10:00:00Z") == json({3, 1, 5}));
  CHECK(rollup(snap, "hour", "device", 1, "2026-11-20T11:00:00Z") == json({100, 0, 100}));
  CHECK(rollup(snap, "hour", "user", 1, "2026-11-20T10:00:00Z") == json({3, 1, 5}));
  CHECK(rollup(snap, "hour", "node", 1, "2026-11-20T10:00:00Z") == json({3, 1, 5}));
  CHECK(rollup(snap, "hour", "node", 1, "2026-11-20T11:00:00Z") == nullptr);  // no node, no node rollup
  CHECK(rollup(snap, "day", "user", 1, "2026-11-20T00:00:00Z") == json({103, 1, 105}));
  CHECK(rollup(snap, "day", "user", 2, "2026-11-21T00:00:00Z") == json({10, 20, 30}));
  CHECK(rollup(snap, "day", "node", 2, "2026-11-21T00:00:00Z") == json({10, 20, 30}));
  CHECK(snap["rollups"].size() == 3 + 3 + 2 + 2 + 2 + 2);
  CHECK(s["rollup_rows"] == snap["rollups"].size());

  CHECK(snap["subscriptions"][0]["used"] == 105);
  CHECK(snap["subscriptions"][0]["lifetime"] == 105);
  CHECK(snap["subscriptions"][0]["up"] == 103);
  CHECK(snap["subscriptions"][0]["down"] == 1);
  CHECK(snap["subscriptions"][1]["used"] == 30);
  // Sessions the heartbeat has not reported yet are created from the records.
  REQUIRE(snap["sessions"].size() == 2);
  CHECK(snap["sessions"][0]["key"] == "a");
  CHECK(snap["sessions"][0]["metered_up"] == 103);
  CHECK(snap["sessions"][0]["billed"] == 105);
  CHECK(snap["sessions"][0]["started_at"] == at("2026-11-20T10:15:00Z"));
  CHECK(snap["unaggregated"] == 0);

  // A second run finds nothing and changes nothing.
  json again = aggregate(ctx, "2026-11-21T01:00:00Z");
  CHECK(again["batches"] == 0);
  CHECK(snapshot(conn) == snap);

  // New usage adds to the same rows.
  store(conn, 3, {rec("a", 1, 1, 1, "2026-11-20T10:59:59Z", 1, 1)});
  aggregate(ctx, "2026-11-21T01:00:00Z");
  snap = snapshot(conn);
  CHECK(rollup(snap, "hour", "device", 1, "2026-11-20T10:00:00Z") == json({4, 2, 8}));
  CHECK(snap["subscriptions"][0]["used"] == 108);
}

TEST_CASE("usage observed before the current period counts in rollups and the lifetime only", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  t.exec_sql("UPDATE subscriptions SET period_started_at = '2026-12-01T00:00:00Z' WHERE user_id = 1");
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-30T23:59:59Z", 50, 0), rec("a", 1, 1, 2, "2026-12-01T00:00:00Z", 7, 0)});
  aggregate(ctx, "2026-12-01T01:00:00Z");
  auto sub = snapshot(conn)["subscriptions"][0];
  CHECK(sub["used"] == 7);
  CHECK(sub["up"] == 7);
  CHECK(sub["lifetime"] == 57);
}

TEST_CASE("the data limit makes a user limited and the monthly reset re-enables it", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", 999999, 0)});
  CHECK(aggregate(ctx, "2026-11-20T11:00:00Z")["users_limited"] == 0);
  store(conn, 2, {rec("a", 1, 1, 2, "2026-11-20T10:30:00Z", 0, 1)});
  json s = aggregate(ctx, "2026-11-20T11:00:00Z");
  CHECK(s["users_limited"] == 1);
  json snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "limited");
  CHECK(snap["status"]["bob"] == "active");
  CHECK(snap["audit"] == json::array({json::array({"subscription.limited", "1"})}));

  // Nothing moves before the reset, however often the job runs.
  CHECK(aggregate(ctx, "2026-11-30T23:59:59Z")["users_re_enabled"] == 0);
  s = aggregate(ctx, "2026-12-01T00:00:00Z");
  CHECK(s["users_reset"] == 2);  // alice and bob: both on the monthly plan
  CHECK(s["users_re_enabled"] == 1);
  snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "active");
  CHECK(snap["subscriptions"][0]["used"] == 0);
  CHECK(snap["subscriptions"][0]["lifetime"] == 1000000);
  CHECK(snap["subscriptions"][0]["period_started_at"] == at("2026-12-01T00:00:00Z"));
  CHECK(snap["audit"].size() == 4);
  CHECK(aggregate(ctx, "2026-12-01T00:00:00Z")["users_reset"] == 0);  // not twice
}

TEST_CASE("a disabled user is never re-enabled nor limited by the job", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  t.exec_sql("UPDATE users SET status = 'disabled' WHERE id = 1");
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", 2000000, 0)});
  aggregate(ctx, "2026-11-20T11:00:00Z");
  aggregate(ctx, "2026-12-01T00:00:00Z");
  json snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "disabled");
  CHECK(snap["subscriptions"][0]["used"] == 0);  // the period's bytes reset all the same
}

TEST_CASE("expiry ends a subscription, or starts the next plan, while on hold waits", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  t.exec_sql(R"(
    UPDATE subscriptions SET expires_at = '2026-11-25T00:00:00Z';
    UPDATE subscriptions SET next_plan_id = 2 WHERE user_id = 2;
    INSERT INTO users (username) VALUES ('carol');
    INSERT INTO subscriptions (user_id, plan_id) VALUES (3, 2);
    UPDATE users SET status = 'on_hold' WHERE id = 3;
  )");
  CHECK(aggregate(ctx, "2026-11-24T23:59:59Z")["users_expired"] == 0);
  json s = aggregate(ctx, "2026-11-25T00:00:00Z");
  CHECK(s["users_expired"] == 1);
  CHECK(s["next_plans_applied"] == 1);
  json snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "expired");
  CHECK(snap["status"]["bob"] == "active");
  CHECK(snap["status"]["carol"] == "on_hold");
  const json& bob = snap["subscriptions"][1];
  CHECK(bob["plan_id"] == 2);
  CHECK(bob["next_plan_id"].is_null());
  CHECK(bob["started_at"] == at("2026-11-25T00:00:00Z"));
  CHECK(bob["expires_at"] == at("2026-11-25T00:00:00Z") + 2592000);
  CHECK(bob["period_started_at"] == at("2026-11-25T00:00:00Z"));

  // Long after: alice stays expired, carol on hold, bob's new plan expires in turn.
  s = aggregate(ctx, "2027-06-01T00:00:00Z");
  CHECK(s["users_expired"] == 1);
  snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "expired");
  CHECK(snap["status"]["bob"] == "expired");
  CHECK(snap["status"]["carol"] == "on_hold");
  // An admin who extends alice's subscription gets her back at the next run.
  t.exec_sql("UPDATE subscriptions SET expires_at = '2027-12-01T00:00:00Z' WHERE user_id = 1");
  CHECK(aggregate(ctx, "2027-06-01T00:00:00Z")["users_re_enabled"] == 1);
  CHECK(snapshot(conn)["status"]["alice"] == "active");
}

TEST_CASE("the next plan also starts when the data limit is reached", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  t.exec_sql("UPDATE subscriptions SET next_plan_id = 2 WHERE user_id = 1");
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", 1000000, 0)});
  json s = aggregate(ctx, "2026-11-20T11:00:00Z");
  CHECK(s["next_plans_applied"] == 1);
  CHECK(s["users_limited"] == 0);
  json snap = snapshot(conn);
  CHECK(snap["status"]["alice"] == "active");
  CHECK(snap["subscriptions"][0]["plan_id"] == 2);
  CHECK(snap["subscriptions"][0]["used"] == 0);
  CHECK(snap["subscriptions"][0]["lifetime"] == 1000000);
}

TEST_CASE("a dry run reports what a run would do and changes nothing", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  store(conn, 1, {rec("a", 1, 1, 1, "2026-11-20T10:00:00Z", 700000, 0)});
  store(conn, 2, {rec("b", 2, 2, 2, "2026-11-20T10:00:00Z", 5, 5)});
  json before = snapshot(conn);
  json dry = aggregate(ctx, "2026-11-20T11:00:00Z", true);
  CHECK(snapshot(conn) == before);
  json real = aggregate(ctx, "2026-11-20T11:00:00Z");
  CHECK(dry == real);
  CHECK(real["users_limited"] == 1);
  CHECK(real["batches"] == 2);
}

TEST_CASE("batch size and max batches bound a run and the rest waits for the next", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  for (int i = 1; i <= 7; ++i) store(conn, i, {rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", i, 0)});
  usage::AggregateOptions o;
  o.batch_size = 2;
  o.max_batches = 5;
  CHECK(aggregate(ctx, "2026-11-20T11:00:00Z", false, o)["batches"] == 5);
  CHECK(snapshot(conn)["subscriptions"][0]["used"] == 1 + 2 + 3 + 4 + 5);
  CHECK(aggregate(ctx, "2026-11-20T11:00:00Z", false, o)["batches"] == 2);
  CHECK(snapshot(conn)["subscriptions"][0]["used"] == 28);
  o.batch_size = 0;
  CHECK_THROWS_AS(aggregate(ctx, "2026-11-20T11:00:00Z", false, o), Failure);
}

TEST_CASE("aggregated batches past the retention and long-ended sessions are pruned", "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", 1, 0), rec("a", 1, 1, 2, "2026-11-20T10:00:00Z", 1, 0)});
  store(conn, 2, {rec("b", 1, 1, 2, "2026-11-20T10:00:00Z", 1, 0)});
  t.exec_sql(R"(
    UPDATE usage_batches SET received_at = '2026-11-20T10:00:00Z' WHERE batch_seq = 1;
    UPDATE usage_batches SET received_at = '2026-11-26T00:00:00Z' WHERE batch_seq = 2;
  )");
  // 7 days and an hour after batch 1: batch 1 goes, batch 2 stays; unaggregated ones never go.
  json s = aggregate(ctx, "2026-11-27T11:00:01Z");
  CHECK(s["pruned_batches"] == 1);
  CHECK(s["pruned_records"] == 2);
  json snap = snapshot(conn);
  CHECK(snap["batches"] == 1);
  CHECK(snap["subscriptions"][0]["lifetime"] == 3);
  t.exec_sql("UPDATE sessions SET ended_at = '2026-10-01T00:00:00Z' WHERE session_key = 'a'");
  CHECK(aggregate(ctx, "2026-11-27T11:00:01Z")["pruned_sessions"] == 1);
}

TEST_CASE("usage of a new period aggregated before its reset was applied counts in the new period",
          "[usage][aggregate][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  auto conn = t.connect();
  // A run that starts just before midnight aggregates bytes observed just after it.
  store(conn, 1, {rec("a", 1, 1, 2, "2026-11-30T23:50:00Z", 300000, 0), rec("a", 1, 1, 2, "2026-12-01T00:02:00Z", 0, 800000)});
  aggregate(ctx, "2026-11-30T23:59:00Z");
  CHECK(snapshot(conn)["status"]["alice"] == "limited");
  json s = aggregate(ctx, "2026-12-01T00:10:00Z");
  CHECK(s["users_reset"] == 2);
  json snap = snapshot(conn);
  CHECK(snap["subscriptions"][0]["used"] == 800000);  // December's bytes stay December's
  CHECK(snap["subscriptions"][0]["down"] == 800000);
  CHECK(snap["subscriptions"][0]["up"] == 0);
  CHECK(snap["subscriptions"][0]["lifetime"] == 1100000);
  CHECK(snap["status"]["alice"] == "active");
  // More December usage over the limit limits her again, with the carried bytes.
  store(conn, 2, {rec("a", 1, 1, 2, "2026-12-01T00:05:00Z", 200000, 0)});
  CHECK(aggregate(ctx, "2026-12-01T00:10:00Z")["users_limited"] == 1);
}
