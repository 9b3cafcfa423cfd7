#pragma once
// The panel's state and view-model logic: routes, list parameters, what each role sees,
// how API answers become screens, form validation, number formatting and chart geometry.
// Pure C++ over the shared contract (core/contract/): no DOM, no Emscripten, so the
// native tests (webadmin-wasm/native/) compile and test it as is. main.cpp only draws.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/contract/admin_api.hpp"
#include "core/contract/roles.hpp"

namespace panel {

// ---- routes: "#/users?q=al&sort=-used&page=2", "#/users/alice", "#/devices/new" ----
struct Route {
  std::string page = "dashboard";  // dashboard | login | a resource plural | audit
  std::string key;                 // one object of the page ("alice"), "new" for a form
  std::map<std::string, std::string> params;
};
Route parse_route(const std::string& hash);
std::string route_hash(const Route& route);

// The pages of the navigation, in order, with their titles.
struct NavItem {
  std::string page;
  std::string title;
  httvps::contract::Area area;
};
const std::vector<NavItem>& nav_items();
const NavItem* nav_item(const std::string& page);

// ---- lists ----
struct Column {
  std::string key;
  std::string title;
  std::string kind;  // text | bytes | time | bool
};
// The columns the panel shows for a resource (a subset of what the API returns).
const std::vector<Column>& columns_for(const std::string& page);

struct ListState {
  std::string search;
  std::string sort;  // "" or "col" or "-col"
  int page = 1;      // 1-based
  int page_size = 20;
};
ListState list_state_from(const Route& route);
void apply_list_state(Route& route, const ListState& state);
// Clicking a column header: ascending, then descending, then ascending again.
ListState toggle_sort(ListState state, const std::string& column);
// The API URL of one page of PAGE's list.
std::string list_url(const std::string& page, const ListState& state);
// "21–40 of 57"; "none" for an empty list.
std::string page_label(const httvps::contract::PageInfo& info);
int page_count(const httvps::contract::PageInfo& info);

// ---- session and roles ----
struct Session {
  std::string token;
  std::string username;
  std::string role;
  std::int64_t expires_at = 0;
};
bool can_write(const Session& session, httvps::contract::Area area);

// ---- answers ----
enum class Outcome { kOk, kLogin, kForbidden, kError, kNetwork };
struct Answer {
  Outcome outcome = Outcome::kOk;
  std::string message;  // for the banner
  std::string field;    // the input at fault, for forms
};
// STATUS 0 means the request never got an answer (network down, server gone).
Answer classify(int status, const std::string& body);

// ---- forms ----
struct FormField {
  std::string name;
  std::string label;
  std::string kind;  // text | password | number | select
  bool required = false;
  std::vector<std::string> choices;  // select
  std::string hint;
};
struct FormSpec {
  std::string title;
  std::string post_path;  // API path relative to the admin base ("/plans")
  std::vector<FormField> fields;
};
// The create form of PAGE, nullopt when the panel has none.
std::optional<FormSpec> form_for(const std::string& page);
// Field errors found before anything is sent: field name -> message.
std::map<std::string, std::string> validate(const FormSpec& form, const std::map<std::string, std::string>& values);
// The JSON body for VALUES: empty optional fields left out, numbers as numbers.
nlohmann::json form_body(const FormSpec& form, const std::map<std::string, std::string>& values);

// ---- formatting ----
std::string format_bytes(const nlohmann::json& value);  // 1500000000 -> "1.5 GB"; null -> "unlimited"
std::string format_cell(const nlohmann::json& value, const std::string& kind);

// ---- charts ----
struct Bar {
  double x = 0, y = 0, width = 0, height = 0;
  std::string label;  // "2026-11-22 · 1.5 GB"
};
// Bars for usage POINTS ([{bucket, billed, ...}]) in a WIDTH x HEIGHT box.
std::vector<Bar> usage_bars(const nlohmann::json& points, double width, double height);

}  // namespace panel
