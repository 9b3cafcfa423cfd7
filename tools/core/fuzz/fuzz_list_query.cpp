// Fuzz target: admin list query strings (?status=..&q=..&sort=-x&limit=..&offset=..) as
// they arrive in QUERY_STRING: decoded, parsed, then used to cut a page.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/admin/list_query.hpp"
#include "core/cgi.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps;
  std::string text(reinterpret_cast<const char*>(data), size);
  static const admin::ListShape shape{{"status", "plan"}, {"username", "used"}, "username"};
  static const nlohmann::json rows = nlohmann::json::parse(
      R"([{"username":"a","used":1},{"username":"B","used":null},{"username":"c"},{"used":"x"}])");
  try {
    admin::ListQuery q = admin::parse_list_query(cgi::parse_query(text), shape);
    if (q.limit < 1 || q.limit > admin::kMaxPageSize || q.offset < 0) __builtin_trap();
    auto page = admin::page_of(rows, q, shape.search_column);
    if (page["items"].size() > static_cast<std::size_t>(q.limit)) __builtin_trap();
  } catch (const Failure& f) {
    if (f.code() != ExitCode::kUsage) __builtin_trap();
  }
  return 0;
}
