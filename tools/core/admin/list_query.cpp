#include "core/admin/list_query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/contract/admin_api.hpp"
#include "core/error.hpp"

namespace httvps::admin {
namespace {

std::int64_t parse_count(const std::string& name, const std::string& text, std::int64_t lo, std::int64_t hi) {
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) {
    throw usage_error(name + " must be an integer between " + std::to_string(lo) + " and " + std::to_string(hi), name);
  }
  return v;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A total order over JSON scalars for sorting: null < booleans < numbers < strings.
int rank(const nlohmann::json& v) {
  if (v.is_null()) return 0;
  if (v.is_boolean()) return 1;
  if (v.is_number()) return 2;
  return 3;
}

bool less(const nlohmann::json& a, const nlohmann::json& b) {
  int ra = rank(a), rb = rank(b);
  if (ra != rb) return ra < rb;
  if (ra == 0) return false;
  if (ra == 1) return !a.get<bool>() && b.get<bool>();
  if (ra == 2) return a.get<double>() < b.get<double>();
  if (a.is_string() && b.is_string()) return a.get<std::string>() < b.get<std::string>();
  return a.dump() < b.dump();
}

}  // namespace

ListQuery parse_list_query(const std::map<std::string, std::string>& query, const ListShape& shape) {
  ListQuery q;
  for (const auto& [name, value] : query) {
    if (value.size() > 200) throw usage_error(name + " is longer than 200 bytes", name);
    if (name == "limit") {
      q.limit = parse_count("limit", value, 1, kMaxPageSize);
    } else if (name == "offset") {
      q.offset = parse_count("offset", value, 0, kMaxListRows);
    } else if (name == "sort") {
      std::string col = value;
      if (!col.empty() && col.front() == '-') {
        q.descending = true;
        col.erase(0, 1);
      }
      if (!contains(shape.sortable, col)) {
        std::string allowed;
        for (const auto& s : shape.sortable) allowed += (allowed.empty() ? "" : ", ") + s;
        throw usage_error("cannot sort by '" + col + "' (sortable: " + allowed + ")", "sort");
      }
      q.sort = col;
    } else if (name == "q") {
      if (shape.search_column.empty()) throw usage_error("this list has no search", "q");
      q.search = value;
    } else if (contains(shape.filters, name)) {
      if (value.empty()) throw usage_error("filter '" + name + "' needs a value", name);
      q.filters[name] = value;
    } else {
      throw usage_error("unknown query parameter '" + name + "'", name);
    }
  }
  return q;
}

nlohmann::json page_of(const nlohmann::json& rows, const ListQuery& q, const std::string& search_column) {
  std::vector<const nlohmann::json*> picked;
  const std::string needle = lower(q.search);
  for (const auto& row : rows) {
    if (!needle.empty()) {
      auto it = row.find(search_column);
      if (it == row.end() || !it->is_string() || lower(it->get<std::string>()).find(needle) == std::string::npos) continue;
    }
    picked.push_back(&row);
  }
  if (!q.sort.empty()) {
    static const nlohmann::json kNull;
    auto key = [&](const nlohmann::json* r) -> const nlohmann::json& {
      auto it = r->find(q.sort);
      return it == r->end() ? kNull : *it;
    };
    std::stable_sort(picked.begin(), picked.end(), [&](const nlohmann::json* a, const nlohmann::json* b) {
      return q.descending ? less(key(b), key(a)) : less(key(a), key(b));
    });
  }
  nlohmann::json items = nlohmann::json::array();
  const auto total = static_cast<std::int64_t>(picked.size());
  for (std::int64_t i = q.offset; i < total && i < q.offset + q.limit; ++i) items.push_back(*picked[static_cast<std::size_t>(i)]);
  contract::PageInfo info{total, q.limit, q.offset, q.sort.empty() ? "" : (q.descending ? "-" : "") + q.sort};
  nlohmann::json out = contract::to_json(info);
  out["items"] = std::move(items);
  return out;
}

}  // namespace httvps::admin
