#include "core/db.hpp"

#include <catch2/catch.hpp>

#include "core/testing/test_db.hpp"

using namespace httvps;
using httvps::testing::TestDb;

TEST_CASE("a server that is not there is a temporary failure without the connection string", "[db]") {
  db::ConnectOptions o;
  o.conninfo = "host=/nonexistent/socket user=postgres password=hunter2 dbname=x";
  o.connect_timeout_seconds = 2;
  try {
    db::Connection::open(o);
    FAIL("connected");
  } catch (const db::DbError& e) {
    CHECK(e.kind() == db::ErrorKind::kConnect);
    CHECK(e.code() == ExitCode::kTempFail);
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("SQLSTATEs are classified into retryable, constraint and other failures", "[db]") {
  CHECK(db::classify_sqlstate("23505") == db::ErrorKind::kUnique);
  CHECK(db::classify_sqlstate("23503") == db::ErrorKind::kForeignKey);
  CHECK(db::classify_sqlstate("23514") == db::ErrorKind::kCheck);
  CHECK(db::classify_sqlstate("22P02") == db::ErrorKind::kCheck);
  CHECK(db::classify_sqlstate("08006") == db::ErrorKind::kConnect);
  CHECK(db::classify_sqlstate("40001") == db::ErrorKind::kRetryable);
  CHECK(db::classify_sqlstate("57P01") == db::ErrorKind::kRetryable);
  CHECK(db::classify_sqlstate("42P01") == db::ErrorKind::kSchema);
  CHECK(db::classify_sqlstate("42601") == db::ErrorKind::kOther);
}

TEST_CASE("values travel as parameters, quotes and all", "[db]") {
  TestDb t;
  auto conn = t.connect();
  const std::string hostile = "it's'; DROP TABLE plans; --";
  conn.exec("region_insert", {"eu", hostile});
  auto row = conn.exec("region_get", {"eu"});
  REQUIRE(row.size() == 1);
  CHECK(row[0].text("display_name") == hostile);
  CHECK(conn.exec("plan_list", {100, 0}).size() == 0);  // plans table still there
}

TEST_CASE("constraint violations are classified by kind", "[db]") {
  TestDb t;
  auto conn = t.connect();
  conn.exec("region_insert", {"eu", ""});
  try {
    conn.exec("region_insert", {"eu", ""});
    FAIL("duplicate accepted");
  } catch (const db::DbError& e) {
    CHECK(e.kind() == db::ErrorKind::kUnique);
    CHECK(e.code() == ExitCode::kConflict);
    CHECK(e.constraint() == "regions_name_key");
  }
  try {
    conn.exec("region_insert", {"Not A Name", ""});
    FAIL("bad name accepted");
  } catch (const db::DbError& e) {
    CHECK(e.kind() == db::ErrorKind::kCheck);
    CHECK(e.code() == ExitCode::kUsage);
  }
}

TEST_CASE("a transaction rolls back unless committed", "[db]") {
  TestDb t;
  auto conn = t.connect();
  {
    db::Transaction tx(conn);
    conn.exec("region_insert", {"dropped", ""});
  }
  CHECK(conn.exec("region_get", {"dropped"}).empty());
  {
    db::Transaction tx(conn);
    conn.exec("region_insert", {"kept", ""});
    tx.commit();
  }
  CHECK(conn.exec("region_get", {"kept"}).size() == 1);
}

TEST_CASE("an advisory lock excludes other sessions until released", "[db]") {
  TestDb t;
  auto a = t.connect();
  auto b = t.connect();
  const auto key = db::lock_key("test.lock");
  {
    auto held = db::AdvisoryLock::try_acquire(a, key);
    REQUIRE(held);
    CHECK_FALSE(db::AdvisoryLock::try_acquire(b, key));
  }
  CHECK(db::AdvisoryLock::try_acquire(b, key));
  CHECK(db::lock_key("a") != db::lock_key("b"));
  CHECK(db::lock_key("a") == db::lock_key("a"));
}

TEST_CASE("typed row access converts and refuses NULL where a value is required", "[db]") {
  TestDb t;
  auto conn = t.connect();
  conn.exec("plan_insert", {"p", "", std::nullopt, 3600, 2, std::nullopt, "none", false, false});
  auto row = conn.exec("plan_get", {"p"});
  CHECK(row[0].int64("duration") == 3600);
  CHECK(row[0].boolean("archived") == false);
  CHECK_FALSE(row[0].opt_int64("data_limit"));
  CHECK_THROWS_AS(row[0].int64("data_limit"), Failure);
  CHECK_THROWS_AS(row[0].text("no_such_column"), Failure);
  auto j = row[0].to_json();
  CHECK(j["duration"] == 3600);
  CHECK(j["data_limit"].is_null());
  CHECK(j["archived"] == false);
  CHECK(j["created_at"].get<std::string>().size() == 20);  // 2026-11-22T07:19:00Z
}

TEST_CASE("an unknown query name is an internal error", "[db]") {
  CHECK_THROWS_AS(db::query("no_such_query"), Failure);
}
