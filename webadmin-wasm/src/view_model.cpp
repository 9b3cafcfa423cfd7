#include "view_model.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace panel {
namespace {

using httvps::contract::Area;

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string url_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

int to_int(const std::string& s, int fallback) {
  if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fallback;
  }
  return std::stoi(s);
}

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'; };
  return std::all_of(s.begin(), s.end(), ok) && s[0] != '.' && s[0] != '_' && s[0] != '-';
}

}  // namespace

Route parse_route(const std::string& hash) {
  Route r;
  std::string h = hash;
  if (!h.empty() && h[0] == '#') h.erase(0, 1);
  if (!h.empty() && h[0] == '/') h.erase(0, 1);
  std::string query;
  if (auto q = h.find('?'); q != std::string::npos) {
    query = h.substr(q + 1);
    h.resize(q);
  }
  if (auto slash = h.find('/'); slash != std::string::npos) {
    r.key = url_decode(h.substr(slash + 1));
    h.resize(slash);
  }
  if (!h.empty()) r.page = h;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string pair = query.substr(0, amp);
    query = amp == std::string::npos ? "" : query.substr(amp + 1);
    auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    r.params[url_decode(pair.substr(0, eq))] = url_decode(pair.substr(eq + 1));
  }
  return r;
}

std::string route_hash(const Route& route) {
  std::string h = "#/" + route.page;
  if (!route.key.empty()) h += "/" + url_encode(route.key);
  char sep = '?';
  for (const auto& [k, v] : route.params) {
    if (v.empty()) continue;
    h += sep + url_encode(k) + "=" + url_encode(v);
    sep = '&';
  }
  return h;
}

const std::vector<NavItem>& nav_items() {
  static const std::vector<NavItem> items = {
      {"dashboard", "Dashboard", Area::kUsage}, {"users", "Users", Area::kUsers},
      {"devices", "Devices", Area::kDevices},   {"plans", "Plans", Area::kPlans},
      {"regions", "Regions", Area::kRegions},   {"nodes", "Nodes", Area::kNodes},
      {"admins", "Admins", Area::kAdmins},      {"audit", "Audit log", Area::kAudit},
  };
  return items;
}

const NavItem* nav_item(const std::string& page) {
  for (const auto& n : nav_items()) {
    if (n.page == page) return &n;
  }
  return nullptr;
}

const std::vector<Column>& columns_for(const std::string& page) {
  static const std::map<std::string, std::vector<Column>> table = {
      {"users",
       {{"username", "Username", "text"}, {"status", "Status", "text"}, {"plan", "Plan", "text"},
        {"used", "Used", "bytes"}, {"data_limit", "Limit", "bytes"}, {"expires_at", "Expires", "time"},
        {"devices", "Devices", "text"}}},
      {"devices",
       {{"id", "ID", "text"}, {"user", "User", "text"}, {"name", "Name", "text"}, {"status", "Status", "text"},
        {"region", "Region", "text"}, {"node", "Node", "text"}, {"last_seen_at", "Last seen", "time"}}},
      {"plans",
       {{"name", "Name", "text"}, {"data_limit", "Data", "bytes"}, {"duration", "Duration (s)", "text"},
        {"device_limit", "Devices", "text"}, {"reset_strategy", "Reset", "text"}, {"subscribers", "Users", "text"}}},
      {"regions",
       {{"name", "Name", "text"}, {"display_name", "Display name", "text"}, {"nodes", "Nodes", "text"},
        {"nodes_up", "Up", "text"}, {"devices", "Devices", "text"}}},
      {"nodes",
       {{"name", "Name", "text"}, {"region", "Region", "text"}, {"kind", "Kind", "text"}, {"address", "Address", "text"},
        {"health", "Health", "text"}, {"admin_state", "State", "text"}, {"devices", "Devices", "text"}}},
      {"admins",
       {{"username", "Username", "text"}, {"role", "Role", "text"}, {"disabled", "Disabled", "bool"},
        {"last_login_at", "Last login", "time"}}},
      {"audit",
       {{"at", "Time", "time"}, {"actor", "Actor", "text"}, {"action", "Action", "text"},
        {"target_kind", "Kind", "text"}, {"target_id", "Target", "text"}}},
  };
  static const std::vector<Column> none;
  auto it = table.find(page);
  return it == table.end() ? none : it->second;
}

ListState list_state_from(const Route& route) {
  ListState s;
  auto get = [&](const char* k) {
    auto it = route.params.find(k);
    return it == route.params.end() ? std::string() : it->second;
  };
  s.search = get("q");
  s.sort = get("sort");
  s.page = std::max(1, to_int(get("page"), 1));
  return s;
}

void apply_list_state(Route& route, const ListState& state) {
  route.params["q"] = state.search;
  route.params["sort"] = state.sort;
  route.params["page"] = state.page > 1 ? std::to_string(state.page) : "";
}

ListState toggle_sort(ListState state, const std::string& column) {
  state.sort = state.sort == column ? "-" + column : column;
  state.page = 1;
  return state;
}

std::string list_url(const std::string& page, const ListState& state) {
  std::string base(httvps::contract::kAdminApiBase);
  if (page == "audit") {
    return base + "/audit?limit=" + std::to_string(state.page_size) + "&offset=" +
           std::to_string((state.page - 1) * state.page_size);
  }
  std::string url = base + "/" + page + "?limit=" + std::to_string(state.page_size) +
                    "&offset=" + std::to_string((state.page - 1) * state.page_size);
  if (!state.search.empty()) url += "&q=" + url_encode(state.search);
  if (!state.sort.empty()) url += "&sort=" + url_encode(state.sort);
  return url;
}

std::string page_label(const httvps::contract::PageInfo& info) {
  if (info.total == 0) return "none";
  const std::int64_t first = info.offset + 1;
  const std::int64_t last = std::min(info.total, info.offset + info.limit);
  if (first > info.total) return "past the end of " + std::to_string(info.total);
  return std::to_string(first) + "–" + std::to_string(last) + " of " + std::to_string(info.total);
}

int page_count(const httvps::contract::PageInfo& info) {
  if (info.limit <= 0 || info.total <= 0) return 1;
  return static_cast<int>((info.total + info.limit - 1) / info.limit);
}

bool can_write(const Session& session, Area area) {
  auto role = httvps::contract::role_from_name(session.role);
  return role && httvps::contract::may(*role, area, httvps::contract::Access::kWrite);
}

Answer classify(int status, const std::string& body) {
  Answer a;
  if (status >= 200 && status < 300) return a;
  if (status == 0) {
    a.outcome = Outcome::kNetwork;
    a.message = "Cannot reach the server. Check the connection and try again.";
    return a;
  }
  httvps::contract::Problem p;
  auto j = nlohmann::json::parse(body, nullptr, false);
  const bool problem = !j.is_discarded() && !httvps::contract::parse(j, p);
  if (status == 401) {
    a.outcome = Outcome::kLogin;
    a.message = problem && p.field != "Authorization" && !p.detail.empty() ? p.detail
                                                                           : "Your session has ended. Log in again.";
    a.field = problem ? p.field : "";
    return a;
  }
  a.outcome = status == 403 ? Outcome::kForbidden : Outcome::kError;
  if (problem && !p.detail.empty()) {
    a.message = p.detail;
    a.field = p.field;
  } else {
    a.message = "The server answered " + std::to_string(status) + ".";
  }
  if (status == 403 && a.message.find("role") == std::string::npos) a.message = "Your role may not do this: " + a.message;
  return a;
}

std::optional<FormSpec> form_for(const std::string& page) {
  if (page == "plans") {
    return FormSpec{"New plan", "/plans",
                    {{"name", "Name", "text", true, {}, "a-z, 0-9, . _ -"},
                     {"data_limit", "Data limit", "text", false, {}, "e.g. 50GB; empty: unlimited"},
                     {"duration", "Duration", "text", false, {}, "e.g. 30d; empty: unlimited"},
                     {"device_limit", "Devices", "number", false, {}, "per user"},
                     {"description", "Description", "text", false, {}, ""}}};
  }
  if (page == "users") {
    return FormSpec{"New user", "/users",
                    {{"username", "Username", "text", true, {}, "letters, digits, . _ @ + -"},
                     {"plan", "Plan", "text", true, {}, "the plan's name"},
                     {"note", "Note", "text", false, {}, ""}}};
  }
  if (page == "devices") {
    return FormSpec{"New device", "/devices",
                    {{"user", "User", "text", true, {}, "username"},
                     {"name", "Device name", "text", true, {}, "e.g. phone"},
                     {"region", "Region", "text", false, {}, "empty: the user's"}}};
  }
  if (page == "regions") {
    return FormSpec{"New region", "/regions",
                    {{"name", "Name", "text", true, {}, "e.g. eu-west"}, {"display_name", "Display name", "text", false, {}, ""}}};
  }
  if (page == "nodes") {
    return FormSpec{"New node", "/nodes",
                    {{"name", "Name", "text", true, {}, "e.g. fra-1"},
                     {"region", "Region", "text", true, {}, ""},
                     {"host", "Host", "text", true, {}, ""},
                     {"port", "Port", "number", true, {}, "1-65535"},
                     {"kind", "Kind", "select", false, {"shadowsocks", "outline", "vless"}, ""}}};
  }
  if (page == "admins") {
    return FormSpec{"New admin", "/admins",
                    {{"username", "Username", "text", true, {}, "a-z, 0-9, . _ -"},
                     {"role", "Role", "select", true, {"viewer", "operator", "admin", "owner"}, ""},
                     {"password", "Password", "password", true, {}, "at least 12 characters"}}};
  }
  return std::nullopt;
}

std::map<std::string, std::string> validate(const FormSpec& form, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> errors;
  for (const auto& f : form.fields) {
    auto it = values.find(f.name);
    const std::string v = it == values.end() ? "" : it->second;
    if (v.empty()) {
      if (f.required) errors[f.name] = f.label + " is required";
      continue;
    }
    if (f.kind == "number") {
      const bool digits = std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || v.size() > 9) errors[f.name] = f.label + " must be a whole number";
      else if (f.name == "port" && (std::stoi(v) < 1 || std::stoi(v) > 65535)) errors[f.name] = "Port must be 1-65535";
    }
    if ((f.name == "name" && form.post_path != "/devices") || (f.name == "username" && form.post_path == "/admins")) {
      if (!valid_name(v)) errors[f.name] = f.label + ": use a-z, 0-9, '.', '_', '-' (at most 64)";
    }
    if (f.kind == "password" && v.size() < 12) errors[f.name] = "Password must be at least 12 characters";
    if (f.kind == "select" && std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end()) {
      errors[f.name] = f.label + ": pick one of the choices";
    }
  }
  return errors;
}

nlohmann::json form_body(const FormSpec& form, const std::map<std::string, std::string>& values) {
  nlohmann::json body = nlohmann::json::object();
  for (const auto& f : form.fields) {
    auto it = values.find(f.name);
    if (it == values.end() || it->second.empty()) continue;
    if (f.kind == "number" && std::all_of(it->second.begin(), it->second.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        it->second.size() <= 9) {
      body[f.name] = std::stoll(it->second);
    } else {
      body[f.name] = it->second;
    }
  }
  return body;
}

std::string format_bytes(const nlohmann::json& value) {
  if (value.is_null()) return "unlimited";
  if (!value.is_number()) return value.is_string() ? value.get<std::string>() : value.dump();
  double v = value.get<double>();
  static const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int u = 0;
  while (v >= 1000 && u < 5) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0 || v >= 100) std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  std::string s = buf;
  if (auto dot = s.find(".0 "); dot != std::string::npos) s.erase(dot, 2);
  return s;
}

std::string format_cell(const nlohmann::json& value, const std::string& kind) {
  if (kind == "bytes") return format_bytes(value);
  if (value.is_null()) return kind == "time" ? "never" : "—";
  if (kind == "time" && value.is_string()) {
    std::string s = value.get<std::string>();
    if (s.size() >= 16) return s.substr(0, 10) + " " + s.substr(11, 5);
    return s;
  }
  if (kind == "bool" && value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::vector<Bar> usage_bars(const nlohmann::json& points, double width, double height) {
  std::vector<Bar> bars;
  if (!points.is_array() || points.empty() || width <= 0 || height <= 0) return bars;
  double max = 0;
  for (const auto& p : points) {
    if (p.is_object() && p.contains("billed") && p["billed"].is_number()) max = std::max(max, p["billed"].get<double>());
  }
  const double slot = width / static_cast<double>(points.size());
  double x = 0;
  for (const auto& p : points) {
    Bar b;
    const double v = p.is_object() && p.contains("billed") && p["billed"].is_number() ? p["billed"].get<double>() : 0;
    b.width = std::max(1.0, slot * 0.8);
    b.x = x + (slot - b.width) / 2;
    b.height = max > 0 ? v / max * height : 0;
    b.y = height - b.height;
    std::string bucket = p.is_object() && p.contains("bucket") && p["bucket"].is_string() ? p["bucket"].get<std::string>() : "";
    b.label = bucket.substr(0, std::min<std::size_t>(bucket.size(), 16)) + " · " + format_bytes(v);
    if (auto t = b.label.find('T'); t != std::string::npos && t < 16) b.label[t] = ' ';
    bars.push_back(b);
    x += slot;
  }
  return bars;
}

}  // namespace panel
