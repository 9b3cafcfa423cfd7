#pragma once
// The admin API's request and response bodies, with their JSON mapping: the contract
// between the CGI (tools/core/admin/api*.cpp) and the WebAssembly panel (webadmin-wasm/),
// which both compile this file. Parsing never throws (the panel builds without
// exceptions): it returns the first problem, naming the member at fault.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace httvps::contract {

// Where the admin endpoints live.
inline constexpr std::string_view kAdminApiBase = "/api/v1/admin";

struct ParseError {
  std::string field;    // the member at fault ("password"), or "body"
  std::string message;  // "password: must be a string"
};

struct LoginRequest {
  std::string username;
  std::string password;
};

struct LoginResponse {
  std::string token;               // "eyJ…" (HS256 JWT form); send as "Authorization: Bearer <token>"
  std::string token_type = "Bearer";
  std::int64_t expires_at = 0;     // unix seconds
  std::int64_t expires_in = 0;     // seconds from now
  std::string username;
  std::string role;                // owner | admin | operator | viewer
};

struct PasswordChange {
  std::string current_password;
  std::string new_password;
};

// Bulk actions on users selected by a filter. dry_run (the default) only counts.
struct BulkFilter {
  std::optional<std::string> status;  // active, disabled, limited, expired, on_hold
  std::optional<std::string> plan;
  std::optional<std::string> search;  // substring of the username
};

struct BulkRequest {
  std::string action;                    // extend_expiry | reset_usage | disable | delete_expired
  BulkFilter filter;
  std::optional<std::string> extend_by;  // extend_expiry: a duration such as "30d"
  bool dry_run = true;
};

struct BulkResult {
  std::string action;
  bool dry_run = true;
  std::int64_t matched = 0;
  std::int64_t changed = 0;
  std::vector<std::string> sample;  // the first usernames matched (at most 20)
};

// application/problem+json as every endpoint writes it.
struct Problem {
  int status = 0;
  std::string code;    // usage, unauthorized, forbidden, not_found, ...
  std::string title;
  std::string detail;
  std::string field;
  std::string request_id;
};

// A page of a list: {"items": [...], "total": N, "limit": L, "offset": O, "sort": "-name"}.
struct PageInfo {
  std::int64_t total = 0;
  std::int64_t limit = 0;
  std::int64_t offset = 0;
  std::string sort;
};

inline const std::vector<std::string>& bulk_actions() {
  static const std::vector<std::string> kActions = {"extend_expiry", "reset_usage", "disable", "delete_expired"};
  return kActions;
}

std::optional<ParseError> parse(const nlohmann::json& j, LoginRequest& out);
std::optional<ParseError> parse(const nlohmann::json& j, LoginResponse& out);
std::optional<ParseError> parse(const nlohmann::json& j, PasswordChange& out);
std::optional<ParseError> parse(const nlohmann::json& j, BulkRequest& out);
std::optional<ParseError> parse(const nlohmann::json& j, BulkResult& out);
std::optional<ParseError> parse(const nlohmann::json& j, Problem& out);
std::optional<ParseError> parse(const nlohmann::json& j, PageInfo& out);

nlohmann::json to_json(const LoginRequest& v);
nlohmann::json to_json(const LoginResponse& v);
nlohmann::json to_json(const PasswordChange& v);
nlohmann::json to_json(const BulkRequest& v);
nlohmann::json to_json(const BulkResult& v);
nlohmann::json to_json(const PageInfo& v);

}  // namespace httvps::contract
