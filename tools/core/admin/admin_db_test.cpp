#include <catch2/catch.hpp>
#include <thread>

#include "core/admin/resource_ops.hpp"
#include "core/testing/failure.hpp"
#include "core/testing/test_db.hpp"
#include "core/units.hpp"

using namespace httvps;
using namespace httvps::admin;
using httvps::testing::code_of;
using httvps::testing::TestDb;

namespace {

void seed(Context& ctx) {
  create_record(ctx, resource("plan"), {{"name", "basic"}, {"data_limit", "10GB"}, {"duration", "30d"}, {"device_limit", "2"}});
  create_record(ctx, resource("region"), {{"name", "eu"}});
}

}  // namespace

TEST_CASE("creating a user starts an active subscription that expires after the plan's duration", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto user = create_record(ctx, resource("user"), {{"username", "alice"}, {"plan", "basic"}});
  CHECK(user["status"] == "active");
  CHECK(user["plan"] == "basic");
  CHECK(user["used"] == 0);
  REQUIRE(user["expires_at"].is_string());
  REQUIRE(user["started_at"].is_string());
  auto started = units::parse_timestamp(user["started_at"].get<std::string>());
  CHECK(units::parse_timestamp(user["expires_at"].get<std::string>()) - started == 30 * 86400);
}

TEST_CASE("a plan that starts on first use puts new users on hold without expiry", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  create_record(ctx, resource("plan"), {{"name", "trial"}, {"duration", "7d"}, {"start_on_first_use", "true"}});
  auto user = create_record(ctx, resource("user"), {{"username", "bob"}, {"plan", "trial"}});
  CHECK(user["status"] == "on_hold");
  CHECK(user["expires_at"].is_null());
  CHECK(user["started_at"].is_null());
}

TEST_CASE("changing a user's plan restarts the subscription", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  create_record(ctx, resource("plan"), {{"name", "year"}, {"duration", "365d"}});
  create_record(ctx, resource("user"), {{"username", "alice"}, {"plan", "basic"}});
  t.exec_sql("UPDATE subscriptions SET used_bytes = 5000");
  auto after = update_record(ctx, resource("user"), "alice", {{"plan", "year"}});
  CHECK(after["plan"] == "year");
  CHECK(after["used"] == 0);
  auto span = units::parse_timestamp(after["expires_at"].get<std::string>()) -
              units::parse_timestamp(after["started_at"].get<std::string>());
  CHECK(span == 365 * 86400);
  auto note_only = update_record(ctx, resource("user"), "alice", {{"note", "vip"}, {"expires_at", "never"}});
  CHECK(note_only["note"] == "vip");
  CHECK(note_only["expires_at"].is_null());
  CHECK(note_only["plan"] == "year");
}

TEST_CASE("a device beyond the plan's device limit is refused", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  create_record(ctx, resource("user"), {{"username", "alice"}, {"plan", "basic"}});
  create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "phone"}});
  CHECK(code_of([&] { create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "phone"}}); }) ==
        ExitCode::kConflict);
  create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "laptop"}, {"region", "eu"}});
  CHECK(code_of([&] { create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "tablet"}}); }) ==
        ExitCode::kConflict);
  CHECK(list_records(ctx, resource("device"), {{{"user", "alice"}}, 100, 0}).size() == 2);
  auto laptop = get_record(ctx, resource("device"), "alice/laptop");
  CHECK(laptop["region"] == "eu");
  CHECK(code_of([&] { get_record(ctx, resource("device"), "alice/tv"); }) == ExitCode::kNotFound);
  CHECK(code_of([&] { get_record(ctx, resource("device"), "tv"); }) == ExitCode::kUsage);
}

TEST_CASE("references to missing objects are not found errors naming the field", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  try {
    create_record(ctx, resource("node"), {{"name", "n1"}, {"region", "mars"}, {"host", "h"}, {"port", "1"}});
    FAIL("accepted");
  } catch (const Failure& e) {
    CHECK(e.code() == ExitCode::kNotFound);
    CHECK(e.field() == "region");
  }
  CHECK(code_of([&] { create_record(ctx, resource("user"), {{"username", "x"}, {"plan", "nope"}}); }) ==
        ExitCode::kNotFound);
}

TEST_CASE("vless nodes have no cipher and other nodes always have one", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  auto v = create_record(ctx, resource("node"),
                         {{"name", "v1"}, {"region", "eu"}, {"kind", "vless"}, {"host", "h"}, {"port", "443"}});
  CHECK(v["method"].is_null());
  auto s = create_record(ctx, resource("node"), {{"name", "s1"}, {"region", "eu"}, {"host", "h"}, {"port", "8388"}});
  CHECK(s["method"] == "chacha20-ietf-poly1305");
  CHECK(code_of([&] {
          create_record(ctx, resource("node"), {{"name", "v2"}, {"region", "eu"}, {"kind", "vless"}, {"host", "h"},
                                                {"port", "443"}, {"method", "aes-256-gcm"}});
        }) == ExitCode::kUsage);
}

TEST_CASE("deleting something still in use is a conflict and changes nothing", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  create_record(ctx, resource("user"), {{"username", "alice"}, {"plan", "basic"}});
  CHECK(code_of([&] { delete_record(ctx, resource("plan"), "basic"); }) == ExitCode::kConflict);
  CHECK(get_record(ctx, resource("plan"), "basic")["subscribers"] == 1);
  delete_record(ctx, resource("user"), "alice");
  delete_record(ctx, resource("plan"), "basic");
  CHECK(code_of([&] { get_record(ctx, resource("plan"), "basic"); }) == ExitCode::kNotFound);
}

TEST_CASE("the last enabled owner cannot be removed, disabled or demoted", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  const std::string pw = "correct horse battery";
  create_record(ctx, resource("admin"), {{"username", "root"}, {"role", "owner"}}, pw);
  CHECK(code_of([&] { delete_record(ctx, resource("admin"), "root"); }) == ExitCode::kConflict);
  CHECK(code_of([&] { update_record(ctx, resource("admin"), "root", {{"disabled", "true"}}); }) == ExitCode::kConflict);
  CHECK(code_of([&] { update_record(ctx, resource("admin"), "root", {{"role", "admin"}}); }) == ExitCode::kConflict);
  create_record(ctx, resource("admin"), {{"username", "second"}, {"role", "owner"}}, pw);
  CHECK(update_record(ctx, resource("admin"), "root", {{"role", "viewer"}})["role"] == "viewer");
  CHECK(code_of([&] { create_record(ctx, resource("admin"), {{"username", "x"}, {"role", "admin"}}, std::string("short")); }) ==
        ExitCode::kUsage);
  CHECK(code_of([&] { create_record(ctx, resource("admin"), {{"username", "y"}, {"role", "admin"}}); }) ==
        ExitCode::kUsage);
}

TEST_CASE("admin password hashes are stored, verified, and never audited", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  create_record(ctx, resource("admin"), {{"username", "root"}, {"role", "owner"}}, std::string("correct horse battery"));
  auto conn = t.connect();
  auto audit_rows = conn.exec("audit_list", {"admin", std::nullopt, 10, 0}).to_json();
  REQUIRE(audit_rows.size() == 1);
  CHECK(audit_rows[0].dump().find("scrypt") == std::string::npos);
  CHECK(audit_rows[0]["after"]["username"] == "root");
}

TEST_CASE("every change writes one audit row with actor, before and after", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  ctx.set_actor("cli:tester");
  create_record(ctx, resource("region"), {{"name", "eu"}});
  update_record(ctx, resource("region"), "eu", {{"display_name", "Europe"}});
  delete_record(ctx, resource("region"), "eu");
  auto rows = t.connect().exec("audit_list", {"region", std::nullopt, 10, 0}).to_json();
  REQUIRE(rows.size() == 3);
  CHECK(rows[2]["action"] == "region.create");
  CHECK(rows[2]["before"].is_null());
  CHECK(rows[1]["action"] == "region.update");
  CHECK(rows[1]["before"]["display_name"] == "");
  CHECK(rows[1]["after"]["display_name"] == "Europe");
  CHECK(rows[0]["action"] == "region.delete");
  CHECK(rows[0]["after"].is_null());
  for (const auto& r : rows) CHECK(r["actor"] == "cli:tester");
}

TEST_CASE("a failed change leaves neither the change nor an audit row", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  create_record(ctx, resource("region"), {{"name", "eu"}});
  create_record(ctx, resource("region"), {{"name", "us"}});
  CHECK(code_of([&] { update_record(ctx, resource("region"), "us", {{"name", "eu"}}); }) == ExitCode::kConflict);
  CHECK(get_record(ctx, resource("region"), "us")["name"] == "us");
  CHECK(t.connect().exec("audit_list", {"region", std::nullopt, 10, 0}).size() == 2);
}

TEST_CASE("lists filter, page and refuse unknown filters", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);
  for (const char* u : {"ann", "bob", "cat"}) create_record(ctx, resource("user"), {{"username", u}, {"plan", "basic"}});
  update_record(ctx, resource("user"), "bob", {{"status", "disabled"}});
  CHECK(list_records(ctx, resource("user"), {{}, 100, 0}).size() == 3);
  CHECK(list_records(ctx, resource("user"), {{{"status", "disabled"}}, 100, 0}).size() == 1);
  CHECK(list_records(ctx, resource("user"), {{{"search", "A"}}, 100, 0}).size() == 2);
  auto page = list_records(ctx, resource("user"), {{}, 1, 1});
  REQUIRE(page.size() == 1);
  CHECK(page[0]["username"] == "bob");
  CHECK(code_of([&] { list_records(ctx, resource("user"), {{{"colour", "x"}}, 10, 0}); }) == ExitCode::kUsage);
  CHECK(code_of([&] { list_records(ctx, resource("user"), {{}, 0, 0}); }) == ExitCode::kUsage);
}

TEST_CASE("two concurrent demotions of the only two owners cannot both pass", "[admin][db]") {
  TestDb t;
  {
    auto ctx = t.context();
    const std::string pw = "correct horse battery";
    create_record(ctx, resource("admin"), {{"username", "a"}, {"role", "owner"}}, pw);
    create_record(ctx, resource("admin"), {{"username", "b"}, {"role", "owner"}}, pw);
  }
  std::vector<ExitCode> codes(2, ExitCode::kInternal);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      auto ctx = t.context();
      codes[static_cast<std::size_t>(i)] =
          code_of([&] { update_record(ctx, resource("admin"), i == 0 ? "a" : "b", {{"role", "viewer"}}); });
    });
  }
  for (auto& th : threads) th.join();
  CHECK(std::count(codes.begin(), codes.end(), ExitCode::kOk) == 1);
  CHECK(std::count(codes.begin(), codes.end(), ExitCode::kConflict) == 1);
  auto ctx = t.context();
  auto owners = list_records(ctx, resource("admin"), {{}, 10, 0});
  CHECK(std::count_if(owners.begin(), owners.end(), [](const nlohmann::json& a) { return a["role"] == "owner"; }) == 1);
}

TEST_CASE("a plan change that the user's devices exceed is refused, as is an archived next plan", "[admin][db]") {
  TestDb t;
  auto ctx = t.context();
  seed(ctx);  // basic allows 2 devices
  create_record(ctx, resource("plan"), {{"name", "solo"}, {"device_limit", "1"}});
  create_record(ctx, resource("plan"), {{"name", "old"}, {"archived", "true"}});
  create_record(ctx, resource("user"), {{"username", "alice"}, {"plan", "basic"}});
  create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "phone"}});
  create_record(ctx, resource("device"), {{"user", "alice"}, {"name", "laptop"}});
  CHECK(code_of([&] { update_record(ctx, resource("user"), "alice", {{"plan", "solo"}}); }) == ExitCode::kConflict);
  CHECK(get_record(ctx, resource("user"), "alice")["plan"] == "basic");
  CHECK(code_of([&] { update_record(ctx, resource("user"), "alice", {{"next_plan", "old"}}); }) == ExitCode::kConflict);
  CHECK(code_of([&] { create_record(ctx, resource("user"), {{"username", "bob"}, {"plan", "old"}}); }) ==
        ExitCode::kConflict);
}
