#include "core/jobs/job.hpp"

#include <catch2/catch.hpp>

using namespace httvps;
using namespace httvps::jobs;

TEST_CASE("a job's clock override takes Unix seconds or RFC 3339 and names --now when wrong", "[jobs]") {
  CHECK(parse_now("1795000000") == 1795000000);
  CHECK(parse_now("2026-11-22T13:00:00Z") == 1795352400);
  CHECK(parse_now("2026-11-22T14:00:00+01:00") == 1795352400);
  try {
    parse_now("yesterday");
    FAIL("accepted");
  } catch (const Failure& f) {
    CHECK(f.code() == ExitCode::kUsage);
    CHECK(f.field() == "--now");
  }
  CHECK_THROWS_AS(parse_now(""), Failure);
}

TEST_CASE("the textfile carries the standard gauges and the job's own, labelled with the job", "[jobs]") {
  TextfileFacts f{"aggregate-usage", "ok", 1.5, 1795352400.0, {{"records", "Records aggregated", 42}}};
  std::string text = render_textfile(f);
  CHECK(text.find("# TYPE httvps_job_last_success_timestamp_seconds gauge\n") != std::string::npos);
  CHECK(text.find("httvps_job_last_success_timestamp_seconds{job=\"aggregate-usage\"} 1795352400\n") != std::string::npos);
  CHECK(text.find("httvps_job_duration_seconds{job=\"aggregate-usage\"} 1.500000\n") != std::string::npos);
  CHECK(text.find("httvps_job_status{job=\"aggregate-usage\"} 0\n") != std::string::npos);
  CHECK(text.find("httvps_job_records{job=\"aggregate-usage\"} 42\n") != std::string::npos);
  CHECK(last_success_in(text) == 1795352400.0);

  f.status = "failed";
  f.last_success.reset();
  text = render_textfile(f);
  CHECK(text.find("last_success") == std::string::npos);
  CHECK(text.find("httvps_job_status{job=\"aggregate-usage\"} 1\n") != std::string::npos);
  CHECK_FALSE(last_success_in(text).has_value());
  CHECK_FALSE(last_success_in("garbage{").has_value());
}
