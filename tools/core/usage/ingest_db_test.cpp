#include "core/usage/ingest.hpp"

#include <catch2/catch.hpp>
#include <ctime>

#include "core/access/validate.hpp"
#include "core/admin/api.hpp"
#include "core/keys/issue.hpp"
#include "core/usage/test_seed.hpp"

using namespace httvps;
using namespace httvps::usage::testing;
using httvps::testing::TestDb;
using nlohmann::json;

namespace {

std::string now_text(std::int64_t offset = 0) {
  return units::format_timestamp(static_cast<std::int64_t>(std::time(nullptr)) + offset);
}

json record(int i, std::int64_t up = 1000, std::int64_t down = 2000) {
  return {{"session", "s-" + std::to_string(i % 3)}, {"device_id", 1}, {"user_id", 1}, {"node_id", i % 2 ? json(1) : json(nullptr)},
          {"observed_at", now_text(-i)}, {"upload", up}, {"download", down}};
}

cgi::Response post(Context& ctx, const std::string& path, const std::string& credential, const json& body) {
  cgi::Request r;
  r.method = "POST";
  r.path = path;
  r.content_type = "application/json";
  r.body = body.dump();
  r.content_length = static_cast<std::int64_t>(r.body.size());
  r.remote_addr = "192.0.2.10";
  r.request_id = "test";
  if (!credential.empty()) r.headers["authorization"] = "Bearer " + credential;
  return admin::serve(ctx, r);
}

}  // namespace

TEST_CASE("a usage batch is stored once and a repeat is acknowledged as a duplicate", "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  std::string cred = seed(t, ctx);
  json records = json::array();
  for (int i = 0; i < 10; ++i) records.push_back(record(i));
  json body = {{"batch_seq", 1795000000123456LL}, {"sent_at", now_text()}, {"records", records}};

  auto r = post(ctx, "/api/v1/usage", cred, body);
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body) == json({{"batch_seq", 1795000000123456LL}, {"status", "stored"}, {"records", 10}}));

  // Whatever a repeat says, nothing is stored again.
  body["records"] = json::array({record(0, 999999, 999999)});
  r = post(ctx, "/api/v1/usage", cred, body);
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body) == json({{"batch_seq", 1795000000123456LL}, {"status", "duplicate"}, {"records", 10}}));
  auto conn = t.connect();
  auto snap = snapshot(conn);
  CHECK(snap["batches"] == 1);
  CHECK(snap["records"] == 10);
  CHECK(snap["unaggregated"] == 1);

  // The next sequence number is a new batch.
  body["batch_seq"] = 1795000000123457LL;
  CHECK(post(ctx, "/api/v1/usage", cred, body).status == 200);
  CHECK(snapshot(conn)["records"] == 11);
}

TEST_CASE("a malformed usage batch is refused with the field and nothing of it is stored", "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  std::string cred = seed(t, ctx);
  json records = json::array({record(0), record(1), record(2), record(3, -5)});
  auto r = post(ctx, "/api/v1/usage", cred, {{"batch_seq", 7}, {"records", records}});
  CHECK(r.status == 400);
  auto problem = json::parse(r.body);
  CHECK(problem["code"] == "usage");
  CHECK(problem["field"] == "records[3].upload");
  CHECK(r.content_type == "application/problem+json");

  records[3] = record(3);
  records[3]["observed_at"] = now_text(3600);
  r = post(ctx, "/api/v1/usage", cred, {{"batch_seq", 7}, {"records", records}});
  CHECK(json::parse(r.body)["field"] == "records[3].observed_at");
  r = post(ctx, "/api/v1/usage", cred, {{"batch_seq", 7}, {"records", records}, {"gateway_id", 2}});
  CHECK(json::parse(r.body)["field"] == "gateway_id");

  auto conn = t.connect();
  CHECK(snapshot(conn)["batches"] == 0);
  CHECK(snapshot(conn)["records"] == 0);
  // The refused sequence number is still free.
  records[3] = record(3);
  CHECK(post(ctx, "/api/v1/usage", cred, {{"batch_seq", 7}, {"records", records}}).status == 200);
  CHECK(snapshot(conn)["records"] == 4);
}

TEST_CASE("usage and heartbeats need a gateway's credential", "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  std::string cred = seed(t, ctx);
  json body = {{"batch_seq", 1}, {"records", json::array({record(0)})}};
  for (const char* path : {"/api/v1/usage", "/api/v1/heartbeat"}) {
    auto r = post(ctx, path, "", body);
    CHECK(r.status == 401);
    CHECK(json::parse(r.body)["field"] == "Authorization");
    CHECK(post(ctx, path, "htg_" + std::string(43, 'A'), body).status == 401);
  }
  t.exec_sql("UPDATE gateways SET disabled = true");
  CHECK(post(ctx, "/api/v1/usage", cred, body).status == 403);
  auto conn = t.connect();
  CHECK(snapshot(conn)["batches"] == 0);
  // A guesser from one address is held back.
  int last = 0;
  for (int i = 0; i < 25; ++i) last = post(ctx, "/api/v1/usage", "htg_" + std::string(43, 'B'), body).status;
  CHECK(last == 429);
}

TEST_CASE("a heartbeat upserts the gateway's sessions and ends the ones it no longer lists", "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  std::string cred = seed(t, ctx);
  auto session = [&](const std::string& key, std::int64_t up) {
    return json{{"session", key},        {"device_id", 1},          {"user_id", 1},  {"node_id", 1},
                {"client_addr", "198.51.100.7"}, {"started_at", now_text(-60)}, {"upload", up}, {"download", 2 * up}};
  };
  json unknown_device = session("ghost", 1);
  unknown_device["device_id"] = 999;
  auto r = post(ctx, "/api/v1/heartbeat", cred,
                {{"version", "0.1.0"}, {"sessions", {session("a", 10), session("b", 20), unknown_device}}});
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body) == json({{"sessions", 2}, {"ended", 0}}));
  r = post(ctx, "/api/v1/heartbeat", cred, {{"version", "0.1.1"}, {"sessions", {session("a", 15)}}});
  CHECK(json::parse(r.body) == json({{"sessions", 1}, {"ended", 1}}));

  auto conn = t.connect();
  auto sessions = snapshot(conn)["sessions"];
  REQUIRE(sessions.size() == 2);
  CHECK(sessions[0]["key"] == "a");
  CHECK(sessions[0]["up"] == 15);
  CHECK(sessions[0]["down"] == 30);
  CHECK(sessions[0]["ended"] == false);
  CHECK(sessions[1]["key"] == "b");
  CHECK(sessions[1]["ended"] == true);
  CHECK(conn.exec("gateway_get", {"gw-1"})[0].text("version") == "0.1.1");

  r = post(ctx, "/api/v1/heartbeat", cred, {{"version", "0.1.1"}, {"sessions", {session("a", 1), session("a", 2)}}});
  CHECK(r.status == 400);
  CHECK(json::parse(r.body)["field"] == "sessions[1].session");
}

TEST_CASE("a heartbeat in pages ends sessions only at its last page, those no page of the round named",
          "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  std::string cred = seed(t, ctx);
  auto session = [&](const std::string& key) {
    return json{{"session", key}, {"device_id", 1}, {"user_id", 1}, {"node_id", 1}, {"client_addr", nullptr},
                {"started_at", now_text(-60)}, {"upload", 1}, {"download", 2}};
  };
  auto page = [&](const std::string& round, int index, int count, json sessions) {
    auto r = post(ctx, "/api/v1/heartbeat", cred,
                  {{"version", "0.1.0"}, {"sessions", sessions}, {"page", {{"round", round}, {"index", index}, {"count", count}}}});
    REQUIRE(r.status == 200);
    return json::parse(r.body);
  };
  auto conn = t.connect();
  auto ended = [&] {
    std::string out;
    const json snap = snapshot(conn);
    for (const auto& s : snap["sessions"]) out += s["key"].get<std::string>() + (s["ended"].get<bool>() ? "- " : "+ ");
    return out;
  };
  CHECK(page("r1", 0, 2, {session("a"), session("b")}) == json({{"sessions", 2}, {"ended", 0}}));
  CHECK(page("r1", 1, 2, {session("c")}) == json({{"sessions", 1}, {"ended", 0}}));
  CHECK(ended() == "a+ b+ c+ ");
  // Round 2 names a and c over its pages; b ends only when the last page arrives.
  CHECK(page("r2", 0, 2, {session("c")}) == json({{"sessions", 1}, {"ended", 0}}));
  CHECK(ended() == "a+ b+ c+ ");
  CHECK(page("r2", 1, 2, {session("a")}) == json({{"sessions", 1}, {"ended", 1}}));
  CHECK(ended() == "a+ b- c+ ");
  // A round whose last page never comes ends nothing; a heartbeat in one body still works.
  page("r3", 0, 2, {session("b")});
  CHECK(ended() == "a+ b+ c+ ");
  auto r = post(ctx, "/api/v1/heartbeat", cred, {{"version", "0.1.0"}, {"sessions", {session("c")}}});
  CHECK(json::parse(r.body) == json({{"sessions", 1}, {"ended", 2}}));
  CHECK(ended() == "a- b- c+ ");
}

TEST_CASE("validate-device subtracts stored but unaggregated usage and names node multipliers", "[usage][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(t, ctx);
  admin::node_set_secret(ctx, "fra-1", std::string("node-secret-1"), 3600);
  admin::node_set_secret(ctx, "fra-2", std::string("node-secret-2"), 3600);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "laptop", std::nullopt});
  auto conn = t.connect();
  // 100,000 raw bytes through fra-1 (x1.5: 150,000) and 1,001 through no node (x1); one
  // record of the last period, which this period's limit does not see; bob's usage.
  store(conn, 1, {rec("s", 1, 1, 1, "2026-11-20T11:00:00Z", 60000, 40000),
                  rec("s", 1, 1, std::nullopt, "2026-11-20T11:00:00Z", 1, 1000),
                  rec("s", 1, 1, 1, "2026-10-31T23:00:00Z", 5000, 0), rec("t", 2, 2, 2, "2026-11-20T11:00:00Z", 7, 7)});
  t.exec_sql("UPDATE subscriptions SET used_bytes = 200000 WHERE user_id = 1");

  access::ValidateRequest vr;
  vr.token = k.gateway_token;
  vr.dry_run = true;
  auto answer = access::to_json(access::validate_device(ctx, vr, at("2026-11-20T12:00:00Z")));
  REQUIRE(answer["verdict"] == "allowed");
  CHECK(answer["limits"]["bytes_remaining"] == 1000000 - 200000 - 151001);
  std::map<std::string, double> multipliers;
  for (const auto& n : answer["nodes"]) multipliers[n["name"]] = n["usage_multiplier"].get<double>();
  CHECK(multipliers == std::map<std::string, double>{{"fra-1", 1.5}, {"fra-2", 1.0}});

  // Once a reset is due, the last period's stored usage no longer counts either.
  answer = access::to_json(access::validate_device(ctx, vr, at("2026-12-01T00:00:01Z")));
  CHECK(answer["limits"]["bytes_remaining"] == 1000000);

  // Unaggregated usage past the limit refuses with the reason quota.
  store(conn, 2, {rec("s", 1, 1, std::nullopt, "2026-11-20T11:30:00Z", 700000, 0)});
  answer = access::to_json(access::validate_device(ctx, vr, at("2026-11-20T12:00:00Z")));
  CHECK(answer["verdict"] == "refused");
  CHECK(answer["reason"] == "quota");
}
