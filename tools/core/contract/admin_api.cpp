#include "core/contract/admin_api.hpp"

#include <algorithm>
#include <initializer_list>

namespace httvps::contract {
namespace {

using json = nlohmann::json;

std::optional<ParseError> object_with(const json& j, std::initializer_list<std::string_view> allowed) {
  if (!j.is_object()) return ParseError{"body", "body must be a JSON object"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return ParseError{it.key(), "unknown member '" + it.key() + "'"};
    }
  }
  return std::nullopt;
}

std::optional<ParseError> str(const json& j, const char* name, std::string& out, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return ParseError{name, std::string(name) + ": required"};
    return std::nullopt;
  }
  if (!it->is_string()) return ParseError{name, std::string(name) + ": must be a string"};
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ParseError> opt_str(const json& j, const char* name, std::optional<std::string>& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return ParseError{name, std::string(name) + ": must be a string"};
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ParseError> int64(const json& j, const char* name, std::int64_t& out, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) return ParseError{name, std::string(name) + ": required"};
    return std::nullopt;
  }
  if (!it->is_number_integer()) return ParseError{name, std::string(name) + ": must be an integer"};
  out = it->get<std::int64_t>();
  return std::nullopt;
}

std::optional<ParseError> boolean(const json& j, const char* name, bool& out) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return ParseError{name, std::string(name) + ": must be true or false"};
  out = it->get<bool>();
  return std::nullopt;
}

#define HTTVPS_TRY(expr)              \
  if (auto e_ = (expr)) return e_;

}  // namespace

std::optional<ParseError> parse(const json& j, LoginRequest& out) {
  HTTVPS_TRY(object_with(j, {"username", "password"}));
  HTTVPS_TRY(str(j, "username", out.username, true));
  HTTVPS_TRY(str(j, "password", out.password, true));
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, LoginResponse& out) {
  if (!j.is_object()) return ParseError{"body", "body must be a JSON object"};
  HTTVPS_TRY(str(j, "token", out.token, true));
  HTTVPS_TRY(str(j, "token_type", out.token_type, false));
  HTTVPS_TRY(int64(j, "expires_at", out.expires_at, true));
  HTTVPS_TRY(int64(j, "expires_in", out.expires_in, false));
  HTTVPS_TRY(str(j, "username", out.username, true));
  HTTVPS_TRY(str(j, "role", out.role, true));
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, PasswordChange& out) {
  HTTVPS_TRY(object_with(j, {"current_password", "new_password"}));
  HTTVPS_TRY(str(j, "current_password", out.current_password, true));
  HTTVPS_TRY(str(j, "new_password", out.new_password, true));
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, BulkRequest& out) {
  HTTVPS_TRY(object_with(j, {"action", "filter", "extend_by", "dry_run"}));
  HTTVPS_TRY(str(j, "action", out.action, true));
  const auto& actions = bulk_actions();
  if (std::find(actions.begin(), actions.end(), out.action) == actions.end()) {
    return ParseError{"action", "action: must be one of extend_expiry, reset_usage, disable, delete_expired"};
  }
  if (auto it = j.find("filter"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return ParseError{"filter", "filter: must be an object"};
    HTTVPS_TRY(object_with(*it, {"status", "plan", "search"}));
    HTTVPS_TRY(opt_str(*it, "status", out.filter.status));
    HTTVPS_TRY(opt_str(*it, "plan", out.filter.plan));
    HTTVPS_TRY(opt_str(*it, "search", out.filter.search));
  }
  HTTVPS_TRY(opt_str(j, "extend_by", out.extend_by));
  HTTVPS_TRY(boolean(j, "dry_run", out.dry_run));
  if (out.action == "extend_expiry" && !out.extend_by) return ParseError{"extend_by", "extend_by: required for extend_expiry"};
  if (out.action != "extend_expiry" && out.extend_by) return ParseError{"extend_by", "extend_by: only for extend_expiry"};
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, BulkResult& out) {
  if (!j.is_object()) return ParseError{"body", "body must be a JSON object"};
  HTTVPS_TRY(str(j, "action", out.action, true));
  HTTVPS_TRY(boolean(j, "dry_run", out.dry_run));
  HTTVPS_TRY(int64(j, "matched", out.matched, true));
  HTTVPS_TRY(int64(j, "changed", out.changed, true));
  out.sample.clear();
  if (auto it = j.find("sample"); it != j.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (s.is_string()) out.sample.push_back(s.get<std::string>());
    }
  }
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, Problem& out) {
  if (!j.is_object()) return ParseError{"body", "body must be a JSON object"};
  std::int64_t status = 0;
  HTTVPS_TRY(int64(j, "status", status, true));
  out.status = static_cast<int>(status);
  HTTVPS_TRY(str(j, "code", out.code, false));
  HTTVPS_TRY(str(j, "title", out.title, false));
  HTTVPS_TRY(str(j, "detail", out.detail, false));
  HTTVPS_TRY(str(j, "field", out.field, false));
  HTTVPS_TRY(str(j, "request_id", out.request_id, false));
  return std::nullopt;
}

std::optional<ParseError> parse(const json& j, PageInfo& out) {
  if (!j.is_object()) return ParseError{"body", "body must be a JSON object"};
  HTTVPS_TRY(int64(j, "total", out.total, true));
  HTTVPS_TRY(int64(j, "limit", out.limit, true));
  HTTVPS_TRY(int64(j, "offset", out.offset, true));
  HTTVPS_TRY(str(j, "sort", out.sort, false));
  if (auto it = j.find("items"); it == j.end() || !it->is_array()) return ParseError{"items", "items: must be an array"};
  return std::nullopt;
}

#undef HTTVPS_TRY

json to_json(const LoginRequest& v) { return {{"username", v.username}, {"password", v.password}}; }

json to_json(const LoginResponse& v) {
  return {{"token", v.token},           {"token_type", v.token_type}, {"expires_at", v.expires_at},
          {"expires_in", v.expires_in}, {"username", v.username},     {"role", v.role}};
}

json to_json(const PasswordChange& v) {
  return {{"current_password", v.current_password}, {"new_password", v.new_password}};
}

json to_json(const BulkRequest& v) {
  json filter = json::object();
  if (v.filter.status) filter["status"] = *v.filter.status;
  if (v.filter.plan) filter["plan"] = *v.filter.plan;
  if (v.filter.search) filter["search"] = *v.filter.search;
  json j = {{"action", v.action}, {"filter", filter}, {"dry_run", v.dry_run}};
  if (v.extend_by) j["extend_by"] = *v.extend_by;
  return j;
}

json to_json(const BulkResult& v) {
  return {{"action", v.action}, {"dry_run", v.dry_run}, {"matched", v.matched}, {"changed", v.changed}, {"sample", v.sample}};
}

json to_json(const PageInfo& v) {
  return {{"total", v.total}, {"limit", v.limit}, {"offset", v.offset}, {"sort", v.sort}};
}

}  // namespace httvps::contract
