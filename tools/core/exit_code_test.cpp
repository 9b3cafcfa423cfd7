#include "core/exit_code.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using httvps::ExitCode;

TEST_CASE("every exit code has one row with a distinct name", "[exit-code]") {
  std::set<std::string_view> names;
  std::set<int> codes;
  for (const auto& row : httvps::exit_code_table()) {
    CHECK(names.insert(row.name).second);
    CHECK(codes.insert(static_cast<int>(row.code)).second);
    CHECK(row.http_status >= 200);
    CHECK(row.http_status < 600);
  }
  CHECK(names.size() == 13);
}

TEST_CASE("exit codes map to the HTTP statuses the API documents", "[exit-code]") {
  CHECK(httvps::http_status(ExitCode::kOk) == 200);
  CHECK(httvps::http_status(ExitCode::kRefused) == 403);
  CHECK(httvps::http_status(ExitCode::kUsage) == 400);
  CHECK(httvps::http_status(ExitCode::kNotFound) == 404);
  CHECK(httvps::http_status(ExitCode::kConflict) == 409);
  CHECK(httvps::http_status(ExitCode::kUnauthorized) == 401);
  CHECK(httvps::http_status(ExitCode::kRateLimited) == 429);
  CHECK(httvps::http_status(ExitCode::kTooLarge) == 413);
  CHECK(httvps::http_status(ExitCode::kTempFail) == 503);
  CHECK(httvps::http_status(ExitCode::kInternal) == 500);
  CHECK(httvps::exit_code_name(ExitCode::kTempFail) == "temp_failure");
}

TEST_CASE("docs/exit-codes.md lists exactly the codes of the table", "[exit-code][docs]") {
  std::ifstream in(std::string(HTTVPS_SOURCE_DIR) + "/docs/exit-codes.md");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  // Rows look like: | 75 | temp_failure | 503 | ... |
  std::regex row(R"(\|\s*(\d+)\s*\|\s*`?([a-z_]+)`?\s*\|\s*(\d{3})\s*\|)");
  std::set<std::tuple<int, std::string, int>> documented;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator(); ++it) {
    documented.emplace(std::stoi((*it)[1]), (*it)[2], std::stoi((*it)[3]));
  }
  std::set<std::tuple<int, std::string, int>> actual;
  for (const auto& r : httvps::exit_code_table()) {
    actual.emplace(static_cast<int>(r.code), std::string(r.name), r.http_status);
  }
  CHECK(documented == actual);
}
