#include "core/output.hpp"

#include <catch2/catch.hpp>

using namespace httvps;

TEST_CASE("tables align columns and show null as a dash", "[output]") {
  nlohmann::json rows = {{{"name", "basic"}, {"limit", 10}}, {{"name", "pro-annual"}, {"limit", nullptr}}};
  std::string t = render_table(rows, {{"name", "NAME"}, {"limit", "LIMIT"}});
  CHECK(t == "NAME        LIMIT\nbasic       10\npro-annual  -\n");
}

TEST_CASE("tables measure UTF-8 text by characters, not bytes", "[output]") {
  nlohmann::json rows = {{{"a", "Европа"}, {"b", "x"}}, {{"a", "eu"}, {"b", "y"}}};
  std::string t = render_table(rows, {{"a", "A"}, {"b", "B"}});
  CHECK(t == "A       B\nЕвропа  x\neu      y\n");
}

TEST_CASE("records print one key per line in column order", "[output]") {
  nlohmann::json rec = {{"name", "basic"}, {"archived", false}, {"extra", 1}};
  CHECK(render_record(rec, {{"name", "name"}, {"archived", "archived"}}) == "name:     basic\narchived: no\n");
}

TEST_CASE("output formats parse and refuse unknown names", "[output]") {
  CHECK(parse_output_format("json") == OutputFormat::kJson);
  CHECK(parse_output_format("text") == OutputFormat::kText);
  CHECK_THROWS_AS(parse_output_format("yaml"), Failure);
}
