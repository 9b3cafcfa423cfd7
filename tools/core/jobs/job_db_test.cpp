#include "core/jobs/job.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/testing/test_db.hpp"

using namespace httvps;
using namespace httvps::jobs;
using httvps::testing::TestDb;

namespace {

db::Result last_run(db::Connection& conn) {
  auto id = conn.exec("job_run_latest_for_tests", {"test-job"});
  REQUIRE(id.size() == 1);
  return conn.exec("job_run_get", {id[0].text("id")});
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("a job run leaves a job_runs row with its outcome and summary", "[jobs][db]") {
  TestDb t;
  auto ctx = t.context();
  JobOptions o;
  o.now = "2026-11-22T13:00:00Z";
  std::int64_t seen_now = 0;
  int code = run_job(ctx, "test-job", o, [&](JobRun& run) {
    seen_now = run.now();
    CHECK_FALSE(run.dry_run());
    CHECK(run.actor() == "job:test-job");
    auto row = run.db().exec("job_run_latest_for_tests", {"test-job"});
    CHECK(run.db().exec("job_run_get", {row[0].text("id")})[0].text("status") == "running");
    return nlohmann::json{{"things", 3}};
  });
  CHECK(code == 0);
  CHECK(seen_now == 1795352400);
  auto conn = t.connect();
  auto r = last_run(conn);
  CHECK(r[0].text("status") == "ok");
  CHECK(r[0].int64("pid") == getpid());
  CHECK_FALSE(r[0].is_null("finished_at"));
  CHECK(r[0].to_json()["summary"]["things"] == 3);
  CHECK_FALSE(r[0].boolean("dry_run"));
}

TEST_CASE("a failing job is recorded as failed with its error and the failure goes on", "[jobs][db]") {
  TestDb t;
  auto ctx = t.context();
  JobOptions o;
  o.dry_run = true;
  std::string path = "/tmp/httvps-job-test-" + std::to_string(getpid()) + ".prom";
  o.textfile = path;
  run_job(ctx, "test-job", o, [&](JobRun&) { return nlohmann::json{{"n", 1}}; });
  std::string ok_text = slurp(path);
  auto ok_at = last_success_in(ok_text);
  REQUIRE(ok_at.has_value());

  try {
    run_job(ctx, "test-job", o, [&](JobRun& run) -> nlohmann::json {
      run.gauge("things", 7, "Things");
      throw conflict("it broke");
    });
    FAIL("no failure");
  } catch (const Failure& f) {
    CHECK(f.code() == ExitCode::kConflict);
  }
  auto conn = t.connect();
  auto r = last_run(conn);
  CHECK(r[0].text("status") == "failed");
  CHECK(r[0].text("error") == "it broke");
  CHECK(r[0].boolean("dry_run"));
  std::string text = slurp(path);
  CHECK(text.find("httvps_job_status{job=\"test-job\"} 1\n") != std::string::npos);
  CHECK(text.find("httvps_job_things{job=\"test-job\"} 7\n") != std::string::npos);
  CHECK(last_success_in(text) == ok_at);  // the last success survives a failed run
  std::remove(path.c_str());
}

TEST_CASE("a unit of work locked by one run is skipped by another", "[jobs][db]") {
  TestDb t;
  auto ctx1 = t.context();
  auto ctx2 = t.context();
  JobOptions o;
  int code = run_job(ctx1, "test-job", o, [&](JobRun& first) {
    auto held = first.try_lock_unit("node:1");
    REQUIRE(held.has_value());
    run_job(ctx2, "test-job", o, [&](JobRun& second) -> nlohmann::json {
      CHECK(second.try_lock_unit("node:2").has_value());
      if (!second.try_lock_unit("node:1")) second.skip("node 1 is busy");
      return nlohmann::json::object();
    });
    auto conn = t.connect();
    auto r = last_run(conn);
    CHECK(r[0].text("status") == "skipped");
    CHECK(r[0].to_json()["summary"]["reason"] == "node 1 is busy");
    return nlohmann::json::object();
  });
  CHECK(code == 0);
}
