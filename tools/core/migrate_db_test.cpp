#include <catch2/catch.hpp>
#include <thread>

#include "core/migrate.hpp"
#include "core/testing/test_db.hpp"

using namespace httvps;
using httvps::testing::TestDb;

TEST_CASE("migrations go up, down and up again on a database holding data", "[db][migrate]") {
  TestDb t(/*migrated=*/false);
  auto conn = t.connect();
  CHECK(migrate::current_version(conn) == 0);
  auto applied = migrate::up(conn, std::nullopt);
  CHECK(applied.size() == migrate::available().size());
  const int latest = migrate::current_version(conn);
  CHECK(latest == static_cast<int>(migrate::available().size()));
  CHECK(migrate::up(conn, std::nullopt).empty());  // idempotent

  conn.exec("region_insert", {"eu", "Europe"});
  conn.exec("plan_insert", {"p", "", 1000, 3600, 2, std::nullopt, "month", false, false});

  auto reverted = migrate::down(conn, std::nullopt);
  CHECK(reverted.size() == applied.size());
  CHECK(migrate::current_version(conn) == 0);
  CHECK_THROWS_AS(conn.exec("plan_list", {10, 0}), db::DbError);  // tables are gone

  CHECK(migrate::up(conn, std::nullopt).size() == applied.size());
  CHECK(conn.exec("plan_list", {10, 0}).empty());
  for (const auto& s : migrate::status(conn)) {
    CHECK(s.applied);
    CHECK_FALSE(s.modified);
  }
}

TEST_CASE("migrate up and down honour --steps", "[db][migrate]") {
  TestDb t(false);
  auto conn = t.connect();
  CHECK(migrate::up(conn, 1).size() == 1);
  CHECK(migrate::current_version(conn) == 1);
  CHECK(migrate::down(conn, 1).size() == 1);
  CHECK(migrate::current_version(conn) == 0);
  CHECK_THROWS_AS(migrate::up(conn, 0), Failure);
}

TEST_CASE("an applied migration whose text changed is refused", "[db][migrate]") {
  TestDb t;
  t.exec_sql("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
  auto conn = t.connect();
  try {
    migrate::up(conn, std::nullopt);
    FAIL("modified migration accepted");
  } catch (const Failure& e) {
    CHECK(e.code() == ExitCode::kConflict);
    CHECK(std::string(e.what()).find("append-only") != std::string::npos);
  }
  auto states = migrate::status(conn);
  CHECK(states[0].modified);
}

TEST_CASE("a version applied by a newer binary is reported, and down refuses it", "[db][migrate]") {
  TestDb t;
  t.exec_sql("INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')");
  auto conn = t.connect();
  auto states = migrate::status(conn);
  CHECK(states.back().version == 999);
  CHECK(states.back().unknown);
  CHECK_THROWS_AS(migrate::down(conn, 1), Failure);
}

TEST_CASE("concurrent migrate runs apply each migration once", "[db][migrate]") {
  TestDb t(false);
  std::vector<std::size_t> counts(4);
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto conn = t.connect();
        counts[static_cast<std::size_t>(i)] = migrate::up(conn, std::nullopt).size();
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) CHECK(e.empty());
  std::size_t total = 0;
  for (auto c : counts) total += c;
  CHECK(total == migrate::available().size());
}
