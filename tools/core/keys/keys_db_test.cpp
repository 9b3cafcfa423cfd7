#include <catch2/catch.hpp>
#include <ctime>

#include "core/access/validate.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/crypto.hpp"
#include "core/keys/issue.hpp"
#include "core/links.hpp"
#include "core/testing/failure.hpp"
#include "core/testing/test_db.hpp"
#include "core/units.hpp"

using namespace httvps;
using httvps::testing::code_of;
using httvps::testing::TestDb;

namespace {

std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A plan of 2 devices, a region with one Shadowsocks node (with a gateway secret), a user.
void seed(Context& ctx, const std::string& plan_extra = "") {
  std::map<std::string, std::string> plan = {{"name", "basic"}, {"data_limit", "10GB"}, {"duration", "30d"},
                                             {"device_limit", "2"}};
  if (plan_extra == "on_hold") plan["start_on_first_use"] = "true";
  admin::create_record(ctx, admin::resource("plan"), plan);
  admin::create_record(ctx, admin::resource("region"), {{"name", "eu"}});
  admin::create_record(ctx, admin::resource("node"),
                       {{"name", "fra-1"}, {"region", "eu"}, {"host", "127.0.0.1"}, {"port", "8388"}});
  admin::node_set_secret(ctx, "fra-1", std::string("node-secret-1"), 3600);
  admin::create_record(ctx, admin::resource("user"), {{"username", "alice"}, {"plan", "basic"}});
}

access::ValidateResult validate(Context& ctx, const std::string& token, bool secrets = false,
                                 std::int64_t at = now()) {
  access::ValidateRequest r;
  r.token = token;
  r.include_node_secrets = secrets;
  return access::validate_device(ctx, r, at);
}

}  // namespace

TEST_CASE("issue-key stores only hashes and sealed secrets, and the token validates", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  CHECK(k.device["region"] == "eu");
  CHECK(k.device["node"] == "fra-1");
  REQUIRE(k.node);
  CHECK(k.node->kind == "shadowsocks");

  auto conn = t.connect();
  auto dump = conn.exec("credentials_live_of_device", {k.device["id"].get<std::int64_t>()}).to_json().dump();
  CHECK(dump.find(k.gateway_token) == std::string::npos);
  CHECK(dump.find(k.subscription_token) == std::string::npos);
  CHECK(dump.find(k.ss_password) == std::string::npos);
  CHECK(dump.find(k.vless_uuid) != std::string::npos);  // uuids travel in the clear in the protocol anyway

  auto r = validate(ctx, k.gateway_token, true);
  CHECK(r.decision.allowed);
  CHECK(r.username == "alice");
  REQUIRE(r.nodes.size() == 1);
  CHECK(r.nodes[0]["name"] == "fra-1");
  CHECK(r.nodes[0]["password"] == "node-secret-1");
  CHECK(validate(ctx, k.gateway_token, false).nodes[0].contains("password") == false);

  nlohmann::json links = keys::share_links(ctx, k);
  auto ss = links::parse_ss(links["ss_link"].get<std::string>());
  CHECK(ss.password == k.ss_password);
  CHECK(ss.server.port == 8388);
  auto uri = links::parse_httvps(links["httvps_uri"].get<std::string>());
  CHECK(uri.token == k.gateway_token);
}

TEST_CASE("issuing past the plan's device limit is refused and writes nothing", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  keys::issue_device(ctx, {"alice", "laptop", std::nullopt});
  CHECK(code_of([&] { keys::issue_device(ctx, {"alice", "tablet", std::nullopt}); }) == ExitCode::kConflict);
  CHECK(t.connect().exec("device_list", {"alice", std::nullopt, 100, 0}).size() == 2);
  CHECK(code_of([&] { keys::issue_device(ctx, {"nobody", "x", std::nullopt}); }) == ExitCode::kNotFound);
  CHECK(code_of([&] { keys::issue_device(ctx, {"alice", "x", std::string("mars")}); }) == ExitCode::kNotFound);
}

TEST_CASE("rotation stops the old credentials at once and the new ones work", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys old_keys = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  keys::IssuedKeys new_keys = keys::rotate_device(ctx, "alice/phone");
  CHECK(new_keys.gateway_token != old_keys.gateway_token);
  CHECK(validate(ctx, old_keys.gateway_token).decision.reason == domain::Reason::kCredentialRevoked);
  CHECK(validate(ctx, new_keys.gateway_token).decision.allowed);
}

TEST_CASE("revocation refuses the device and a revoked device cannot be rotated", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  nlohmann::json d = keys::revoke_device(ctx, "alice/phone");
  CHECK(d["status"] == "revoked");
  auto r = validate(ctx, k.gateway_token);
  CHECK_FALSE(r.decision.allowed);
  CHECK(r.decision.reason == domain::Reason::kDeviceRevoked);
  CHECK(code_of([&] { keys::rotate_device(ctx, std::to_string(d["id"].get<std::int64_t>())); }) == ExitCode::kConflict);
  // The name is free again for a new device.
  CHECK(keys::issue_device(ctx, {"alice", "phone", std::nullopt}).device["status"] == "active");
}

TEST_CASE("an unknown token is a refusal, and failures are rate-limited per prefix", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  std::string guess = k.gateway_token.substr(0, 12) + std::string(35, 'A');
  int refused = 0;
  ExitCode last = ExitCode::kOk;
  const std::int64_t at = (now() / 60) * 60 + 5;  // one rate-limit window for every attempt
  for (int i = 0; i < 15; ++i) {
    last = code_of([&] {
      if (validate(ctx, guess, false, at).decision.reason == domain::Reason::kInvalidToken) ++refused;
    });
    if (last != ExitCode::kOk) break;
  }
  CHECK(refused == 10);
  CHECK(last == ExitCode::kRateLimited);
  // The real token of that prefix still works: only failures are limited.
  CHECK(validate(ctx, k.gateway_token, false, at).decision.allowed);
}

TEST_CASE("validation starts an on_hold subscription, and a dry run changes nothing", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx, "on_hold");
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  CHECK(admin::get_record(ctx, admin::resource("user"), "alice")["status"] == "on_hold");
  access::ValidateRequest dry;
  dry.token = k.gateway_token;
  dry.dry_run = true;
  CHECK(access::validate_device(ctx, dry, now()).decision.allowed);
  CHECK(admin::get_record(ctx, admin::resource("user"), "alice")["status"] == "on_hold");
  CHECK(validate(ctx, k.gateway_token).decision.allowed);
  auto user = admin::get_record(ctx, admin::resource("user"), "alice");
  CHECK(user["status"] == "active");
  REQUIRE(user["expires_at"].is_string());
  CHECK(units::parse_timestamp(user["expires_at"].get<std::string>()) -
            units::parse_timestamp(user["started_at"].get<std::string>()) ==
        30 * 86400);
}

TEST_CASE("a used-up quota refuses, and a due reset re-enables the user", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  t.exec_sql("UPDATE subscriptions SET used_bytes = 10000000000; UPDATE users SET status = 'limited'");
  CHECK(validate(ctx, k.gateway_token).decision.reason == domain::Reason::kQuota);
  t.exec_sql("UPDATE plans SET reset_strategy = 'day'; UPDATE subscriptions SET period_started_at = now() - interval '2 days'");
  CHECK(validate(ctx, k.gateway_token).decision.allowed);
  auto user = admin::get_record(ctx, admin::resource("user"), "alice");
  CHECK(user["status"] == "active");
  CHECK(user["used"] == 0);
}

TEST_CASE("a device binds to the first hwid it presents", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  access::ValidateRequest r;
  r.token = k.gateway_token;
  r.hwid = "hw-1";
  CHECK(access::validate_device(ctx, r, now()).decision.allowed);
  r.hwid = "hw-2";
  CHECK(access::validate_device(ctx, r, now()).decision.reason == domain::Reason::kHwidMismatch);
  r.hwid = std::string(300, 'x');
  CHECK(code_of([&] { access::validate_device(ctx, r, now()); }) == ExitCode::kUsage);
}

TEST_CASE("a region without a node still issues a token, and validation says no_node", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  admin::create_record(ctx, admin::resource("region"), {{"name", "empty"}});
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::string("empty")});
  CHECK_FALSE(k.node);
  CHECK_FALSE(keys::share_links(ctx, k).contains("ss_link"));
  CHECK(validate(ctx, k.gateway_token).decision.reason == domain::Reason::kNoNode);
}

TEST_CASE("a node secret is sealed, and a new one keeps the old valid for the overlap", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto out = admin::node_set_secret(ctx, "fra-1", std::nullopt, 600);
  REQUIRE(out.contains("secret"));
  auto counts = t.connect().exec("node_secret_count", {1});
  CHECK(counts[0].int64("current") == 1);
  CHECK(counts[0].int64("retiring") == 1);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  CHECK(validate(ctx, k.gateway_token, true).nodes[0]["password"] == out["secret"]);
  CHECK(code_of([&] { admin::node_set_secret(ctx, "fra-1", std::string("short"), 0); }) == ExitCode::kUsage);
}

TEST_CASE("a stored secret that no longer opens is an internal error, not the client's", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  keys::IssuedKeys k = keys::issue_device(ctx, {"alice", "phone", std::nullopt});
  t.exec_sql("UPDATE node_secrets SET secret_sealed = 'v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'");
  CHECK(code_of([&] { validate(ctx, k.gateway_token, true); }) == ExitCode::kInternal);
}

TEST_CASE("rotating a device made without credentials assigns it a node", "[keys][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  admin::create_record(ctx, admin::resource("device"), {{"user", "alice"}, {"name", "bare"}});
  keys::IssuedKeys k = keys::rotate_device(ctx, "alice/bare");
  REQUIRE(k.node);
  CHECK(k.node->name == "fra-1");
  CHECK(validate(ctx, k.gateway_token).decision.allowed);
}
