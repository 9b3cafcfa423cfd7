#pragma once
// Test set-up shared by the usage db tests: a plan, a region with two nodes (multipliers
// 1.5 and 1), users with subscriptions and devices, a gateway whose credential is known,
// and a way to store usage with any timestamps.

#include <string>

#include "core/admin/resource_ops.hpp"
#include "core/db.hpp"
#include "core/testing/test_db.hpp"
#include "core/units.hpp"
#include "core/usage/ingest.hpp"

namespace httvps::usage::testing {

inline std::int64_t at(const char* text) { return units::parse_timestamp(text); }

// Plan 'basic' (1,000,000 billed bytes a month, reset on the 1st), plan 'bigger' (id 2,
// 10,000,000 bytes, 30 days), region 'eu', nodes 'fra-1' (id 1, multiplier 1.5) and
// 'fra-2' (id 2, multiplier 1), users alice (id 1) and bob (id 2) on 'basic' from
// 2026-11-01, device 'phone' of each (ids 1 and 2). Returns gateway gw-1's credential.
inline std::string seed(const httvps::testing::TestDb& t, Context& ctx) {
  t.exec_sql(R"(
    INSERT INTO plans (name, data_limit_bytes, reset_strategy) VALUES ('basic', 1000000, 'month');
    INSERT INTO plans (name, data_limit_bytes, duration_seconds) VALUES ('bigger', 10000000, 2592000);
    INSERT INTO regions (name) VALUES ('eu');
    INSERT INTO nodes (region_id, name, kind, host, port, method, usage_multiplier)
      VALUES (1, 'fra-1', 'shadowsocks', '127.0.0.1', 8388, 'aes-256-gcm', 1.5),
             (1, 'fra-2', 'shadowsocks', '127.0.0.1', 8389, 'aes-256-gcm', 1);
    INSERT INTO users (username, region_id) VALUES ('alice', 1), ('bob', 1);
    INSERT INTO subscriptions (user_id, plan_id, started_at, period_started_at)
      VALUES (1, 1, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z'),
             (2, 1, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z');
    INSERT INTO devices (user_id, name, region_id) VALUES (1, 'phone', 1), (2, 'phone', 1);
  )");
  auto gw = admin::create_record(ctx, admin::resource("gateway"), {{"name", "gw-1"}});
  return gw["credential"].get<std::string>();
}

inline UsageRecord rec(std::string session, std::int64_t device, std::int64_t user, std::optional<std::int64_t> node,
                       const char* observed, std::int64_t up, std::int64_t down) {
  return UsageRecord{std::move(session), device, user, node, at(observed), up, down};
}

// Stores a batch of gateway 1 directly (no time checks: tests simulate time).
inline StoreResult store(db::Connection& conn, std::int64_t seq, std::vector<UsageRecord> records) {
  UsageBatch b;
  b.batch_seq = seq;
  b.records = std::move(records);
  return store_batch(conn, 1, b);
}

inline nlohmann::json snapshot(db::Connection& conn) {
  return conn.exec("usage_snapshot_for_tests")[0].to_json()["snapshot"];
}

}  // namespace httvps::usage::testing
