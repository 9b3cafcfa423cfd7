#pragma once
// Lists in the admin API: ?FILTER=VALUE&q=TEXT&sort=[-]COLUMN&limit=N&offset=N parsed
// into a ListQuery (pure, table-tested, fuzzed), and the page cut from the matching rows.
// Filters the resource declares (ResourceSpec::filters) go to the database; q, sort and
// paging apply to the rows it returns (at most kMaxListRows).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace httvps::admin {

inline constexpr std::int64_t kDefaultPageSize = 50;
inline constexpr std::int64_t kMaxPageSize = 500;
inline constexpr std::int64_t kMaxListRows = 10000;

struct ListShape {
  std::vector<std::string> filters;   // names accepted as filters
  std::vector<std::string> sortable;  // columns accepted by sort
  std::string search_column;          // column that q searches (substring, case-insensitive); empty: no q
};

struct ListQuery {
  std::map<std::string, std::string> filters;
  std::string search;     // q
  std::string sort;       // column, "" for the database's order
  bool descending = false;
  std::int64_t limit = kDefaultPageSize;
  std::int64_t offset = 0;
};

// Parses QUERY (decoded query-string pairs). Throws Failure(kUsage) naming the parameter
// for an unknown parameter, an unknown sort column, a non-numeric or out-of-range limit
// or offset, or a value longer than 200 bytes.
ListQuery parse_list_query(const std::map<std::string, std::string>& query, const ListShape& shape);

// The page of ROWS (a JSON array of objects) that QUERY selects:
// {"items": [...], "total": N, "limit": L, "offset": O, "sort": "-col"}. Sorting is stable;
// nulls sort first ascending. Pure.
nlohmann::json page_of(const nlohmann::json& rows, const ListQuery& query, const std::string& search_column);

}  // namespace httvps::admin
