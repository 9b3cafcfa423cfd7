// The admin panel: draws the view model (view_model.hpp) into the DOM through
// emscripten::val and talks to the admin API through the fetch shim (web/shim.js). Text
// from the server only ever reaches the page as textContent or attribute values, never
// as markup.

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <functional>
#include <map>
#include <string>

#include "view_model.hpp"

using emscripten::val;
using json = nlohmann::json;

namespace {

val document = val::global("document");
panel::Session session;
panel::Route route;
int next_request = 1;
std::map<int, std::function<void(int, const std::string&)>> pending;
const std::string kApi(httvps::contract::kAdminApiBase);

// ---- DOM helpers ----
val el(const std::string& tag, std::initializer_list<std::pair<const char*, std::string>> attrs = {},
       const std::string& text = "") {
  val e = document.call<val>("createElement", tag);
  for (const auto& [k, v] : attrs) e.call<void>("setAttribute", std::string(k), v);
  if (!text.empty()) e.set("textContent", text);
  return e;
}
val svg(const std::string& tag) { return document.call<val>("createElementNS", std::string("http://www.w3.org/2000/svg"), tag); }
void attr(val e, const std::string& k, const std::string& v) { e.call<void>("setAttribute", k, v); }
val add(val parent, val child) {
  parent.call<void>("appendChild", child);
  return child;
}
val root() { return document.call<val>("getElementById", std::string("app")); }
void clear(val e) { e.set("textContent", std::string()); }
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// ---- session ----
void save_session() {
  val store = val::global("sessionStorage");
  if (session.token.empty()) {
    store.call<void>("removeItem", std::string("httvps.session"));
    return;
  }
  json j = {{"token", session.token}, {"username", session.username}, {"role", session.role}, {"expires_at", session.expires_at}};
  store.call<void>("setItem", std::string("httvps.session"), j.dump());
}
void load_session() {
  val v = val::global("sessionStorage").call<val>("getItem", std::string("httvps.session"));
  if (v.isNull()) return;
  json j = json::parse(v.as<std::string>(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j["token"].is_string()) return;
  session.token = j["token"].get<std::string>();
  session.username = j.value("username", "");
  session.role = j.value("role", "");
  session.expires_at = j.value("expires_at", 0LL);
}

void render();
void go(const panel::Route& r) { val::global("location").set("hash", panel::route_hash(r)); }

void banner(const std::string& text, const std::string& kind) {
  val b = document.call<val>("getElementById", std::string("banner"));
  if (b.isNull()) return;
  b.set("textContent", text);
  b.set("className", "banner " + kind);
  b.set("hidden", text.empty());
}

// ---- API ----
// Calls the API; DONE gets the parsed body when the answer is 2xx. Every other outcome
// is handled here: 401 back to login, 403 and errors in the banner.
void api(const std::string& method, const std::string& url, const json& body, std::function<void(const json&)> done,
         std::function<void(const panel::Answer&)> failed = {}) {
  int id = next_request++;
  pending[id] = [done, failed](int status, const std::string& text) {
    panel::Answer a = panel::classify(status, text);
    if (a.outcome == panel::Outcome::kOk) {
      json j = text.empty() ? json::object() : json::parse(text, nullptr, false);
      done(j.is_discarded() ? json::object() : j);
      return;
    }
    if (a.outcome == panel::Outcome::kLogin && !session.token.empty()) {
      session = {};
      save_session();
      panel::Route login;
      login.page = "login";
      login.params["expired"] = "1";
      go(login);
      return;
    }
    if (failed) failed(a);
    banner(a.message, a.outcome == panel::Outcome::kForbidden ? "forbidden" : "error");
  };
  val::module_property("httvpsFetch")(id, method, url, session.token, body.is_null() ? std::string() : body.dump());
}

void on_fetch_done(int id, int status, std::string text) {
  auto it = pending.find(id);
  if (it == pending.end()) return;
  auto cb = std::move(it->second);
  pending.erase(it);
  cb(status, text);
}

// ---- pieces ----
void draw_chart(val parent, const json& points, const std::string& title) {
  val box = add(parent, el("figure", {{"class", "chart"}}));
  add(box, el("figcaption", {}, title));
  val s = add(box, svg("svg"));
  attr(s, "viewBox", "0 0 600 160");
  attr(s, "class", "usage-chart");
  attr(s, "role", "img");
  attr(s, "aria-label", title);
  auto bars = panel::usage_bars(points, 600, 150);
  if (bars.empty()) add(box, el("p", {{"class", "muted"}}, "No traffic in this period."));
  for (const auto& b : bars) {
    val r = add(s, svg("rect"));
    attr(r, "x", num(b.x));
    attr(r, "y", num(b.y + 5));
    attr(r, "width", num(b.width));
    attr(r, "height", num(b.height));
    attr(r, "class", "bar");
    val t = add(r, svg("title"));
    t.set("textContent", b.label);
  }
}

void draw_qr(val parent, const json& rows) {
  if (!rows.is_array() || rows.empty()) return;
  const int n = static_cast<int>(rows.size());
  val s = add(parent, svg("svg"));
  attr(s, "viewBox", "-4 -4 " + std::to_string(n + 8) + " " + std::to_string(n + 8));
  attr(s, "class", "qr");
  val bg = add(s, svg("rect"));
  attr(bg, "x", "-4");
  attr(bg, "y", "-4");
  attr(bg, "width", std::to_string(n + 8));
  attr(bg, "height", std::to_string(n + 8));
  attr(bg, "fill", "#fff");
  std::string d;
  for (int y = 0; y < n; ++y) {
    const std::string row = rows[y].is_string() ? rows[y].get<std::string>() : "";
    for (int x = 0; x < static_cast<int>(row.size()); ++x) {
      if (row[x] == '1') d += "M" + std::to_string(x) + " " + std::to_string(y) + "h1v1h-1z";
    }
  }
  val path = add(s, svg("path"));
  attr(path, "d", d);
}

void draw_links(val parent, const json& answer) {
  val box = add(parent, el("section", {{"class", "links"}, {"id", "device-links"}}));
  add(box, el("h3", {}, "Links (shown once: copy them now)"));
  const json& links = answer["links"];
  for (auto it = links.begin(); it != links.end(); ++it) {
    val item = add(box, el("div", {{"class", "link"}}));
    add(item, el("h4", {}, it.key()));
    add(item, el("code", {{"class", "link-text"}, {"data-link", it.key()}}, it.value().get<std::string>()));
    if (answer.contains("qr") && answer["qr"].contains(it.key())) draw_qr(item, answer["qr"][it.key()]);
  }
}

void draw_record(val parent, const json& record) {
  val dl = add(parent, el("dl", {{"class", "record"}}));
  for (auto it = record.begin(); it != record.end(); ++it) {
    add(dl, el("dt", {}, it.key()));
    std::string kind = it.key().find("_at") != std::string::npos ? "time"
                       : (it.key() == "used" || it.key().find("limit") != std::string::npos) && it.key() != "device_limit" ? "bytes"
                                                                                                                          : "text";
    add(dl, el("dd", {}, panel::format_cell(it.value(), kind)));
  }
}

void button(val parent, const std::string& label, const std::string& action, const std::string& arg = "",
            const std::string& cls = "") {
  add(parent, el("button", {{"type", "button"}, {"data-action", action}, {"data-arg", arg}, {"class", cls}}, label));
}

// ---- pages ----
void draw_login(val main) {
  val box = add(main, el("section", {{"class", "login"}}));
  add(box, el("h1", {}, "httvps admin"));
  if (route.params.count("expired")) add(box, el("p", {{"class", "banner error"}}, "Your session has ended. Log in again."));
  val form = add(box, el("form", {{"data-form", "login"}}));
  add(form, el("label", {{"for", "username"}}, "Username"));
  add(form, el("input", {{"id", "username"}, {"name", "username"}, {"autocomplete", "username"}, {"required", ""}}));
  add(form, el("label", {{"for", "password"}}, "Password"));
  add(form, el("input", {{"id", "password"}, {"name", "password"}, {"type", "password"}, {"autocomplete", "current-password"}, {"required", ""}}));
  add(form, el("p", {{"class", "field-error"}, {"id", "login-error"}}));
  add(form, el("button", {{"type", "submit"}, {"id", "login-button"}}, "Log in"));
}

void draw_dashboard(val main) {
  add(main, el("h2", {}, "Dashboard"));
  val grid = add(main, el("div", {{"class", "cards"}, {"id", "dashboard"}}));
  api("GET", kApi + "/dashboard", nullptr, [grid](const json& d) {
    auto card = [&](const std::string& title, const std::string& value) {
      val c = add(grid, el("div", {{"class", "card"}}));
      add(c, el("h3", {}, title));
      add(c, el("p", {{"class", "value"}}, value));
      return c;
    };
    std::string users;
    for (auto it = d["users_by_status"].begin(); it != d["users_by_status"].end(); ++it) {
      users += (users.empty() ? "" : ", ") + it.key() + " " + it.value().dump();
    }
    card("Users", users.empty() ? "none" : users);
    card("Traffic today", panel::format_bytes(d["traffic_today"]["billed"]));
    std::string nodes;
    for (const auto& n : d["nodes_by_health"]) {
      nodes += (nodes.empty() ? "" : ", ") + n.value("health", "") + "/" + n.value("admin_state", "") + " " + n["n"].dump();
    }
    card("Nodes", nodes.empty() ? "none" : nodes);
    card("Live sessions", d["live_sessions"].dump());
    val jobs = card("Last job runs", d["last_job_runs"].empty() ? "none" : "");
    for (const auto& j : d["last_job_runs"]) {
      add(jobs, el("p", {}, j.value("job", "") + ": " + j.value("status", "") + " " + panel::format_cell(j["started_at"], "time")));
    }
    draw_chart(grid, d["traffic_14d"], "Traffic, last 14 days");
  });
}

void draw_list(val main) {
  const panel::NavItem* item = panel::nav_item(route.page);
  add(main, el("h2", {}, item ? item->title : route.page));
  panel::ListState state = panel::list_state_from(route);
  val bar = add(main, el("div", {{"class", "toolbar"}}));
  if (route.page != "audit") {
    val search = add(bar, el("input", {{"type", "search"}, {"placeholder", "Search"}, {"data-action", "search"}, {"id", "search"}}));
    search.set("value", state.search);
  }
  if (item && panel::form_for(route.page) && panel::can_write(session, route.page == "devices" ? httvps::contract::Area::kKeys : item->area)) {
    button(bar, "New", "new", route.page, "primary");
  }
  val table = add(main, el("table", {{"class", "list"}, {"id", "list-" + route.page}}));
  val head = add(add(table, el("thead")), el("tr"));
  for (const auto& c : panel::columns_for(route.page)) {
    std::string mark = state.sort == c.key ? " ▲" : state.sort == "-" + c.key ? " ▼" : "";
    val th = add(head, el("th"));
    if (route.page == "audit") th.set("textContent", c.title);
    else button(th, c.title + mark, "sort", c.key, "sort");
  }
  val body = add(table, el("tbody"));
  val pager = add(main, el("div", {{"class", "pager"}}));
  std::string page = route.page;
  api("GET", panel::list_url(route.page, state), nullptr, [body, pager, page, state](const json& d) {
    httvps::contract::PageInfo info;
    if (page == "audit") {
      info.limit = state.page_size;
      info.offset = (state.page - 1) * state.page_size;
      info.total = info.offset + static_cast<std::int64_t>(d["items"].size()) + (d["items"].size() == static_cast<std::size_t>(state.page_size) ? 1 : 0);
    } else {
      httvps::contract::parse(d, info);
    }
    for (const auto& row : d["items"]) {
      val tr = add(body, el("tr"));
      const auto& cols = panel::columns_for(page);
      for (std::size_t i = 0; i < cols.size(); ++i) {
        const json v = row.contains(cols[i].key) ? row[cols[i].key] : json(nullptr);
        val td = add(tr, el("td"));
        if (i == 0 && page != "audit") {
          std::string key = page == "devices" ? v.dump() : panel::format_cell(v, "text");
          panel::Route r;
          r.page = page;
          r.key = key;
          add(td, el("a", {{"href", panel::route_hash(r)}}, panel::format_cell(v, cols[i].kind)));
        } else {
          td.set("textContent", panel::format_cell(v, cols[i].kind));
        }
      }
    }
    if (d["items"].empty()) add(add(body, el("tr")), el("td", {{"colspan", "9"}, {"class", "muted"}}, "Nothing here."));
    add(pager, el("span", {}, page == "audit" ? "page " + std::to_string(state.page) : panel::page_label(info)));
    if (state.page > 1) button(pager, "Previous", "page", std::to_string(state.page - 1));
    if (state.page < panel::page_count(info)) button(pager, "Next", "page", std::to_string(state.page + 1));
  });
}

void draw_form(val main) {
  auto form = panel::form_for(route.page);
  if (!form) return;
  add(main, el("h2", {}, form->title));
  val f = add(main, el("form", {{"data-form", route.page}, {"class", "edit"}, {"novalidate", ""}}));
  for (const auto& field : form->fields) {
    add(f, el("label", {{"for", "f-" + field.name}}, field.label + (field.required ? " *" : "")));
    if (field.kind == "select") {
      val s = add(f, el("select", {{"id", "f-" + field.name}, {"name", field.name}}));
      for (const auto& c : field.choices) add(s, el("option", {{"value", c}}, c));
    } else {
      add(f, el("input", {{"id", "f-" + field.name}, {"name", field.name}, {"type", field.kind == "number" ? "text" : field.kind}}));
    }
    if (!field.hint.empty()) add(f, el("small", {}, field.hint));
    add(f, el("p", {{"class", "field-error"}, {"data-error-for", field.name}}));
  }
  add(f, el("button", {{"type", "submit"}, {"class", "primary"}}, "Create"));
}

void draw_detail(val main) {
  const panel::NavItem* item = panel::nav_item(route.page);
  add(main, el("h2", {}, (item ? item->title : route.page) + ": " + route.key));
  val actions = add(main, el("div", {{"class", "toolbar"}}));
  val content = add(main, el("div", {{"id", "detail"}}));
  std::string page = route.page, key = route.key;
  api("GET", kApi + "/" + page + "/" + key, nullptr, [actions, content, page, key](const json& rec) {
    using httvps::contract::Area;
    if (page == "devices" && rec.value("status", "") == "active" && panel::can_write(session, Area::kKeys)) {
      button(actions, "Rotate keys", "rotate", key);
      button(actions, "Revoke", "revoke", key, "danger");
    }
    if (page == "nodes" && panel::can_write(session, Area::kNodes)) {
      button(actions, "Drain", "node", key + "/drain");
      button(actions, "Disable", "node", key + "/disable");
      button(actions, "Enable", "node", key + "/enable");
    }
    draw_record(content, rec);
    if (page == "users" || page == "nodes" || page == "devices") {
      std::string scope = page == "users" ? "user" : page == "nodes" ? "node" : "device";
      val charts = add(content, el("div", {{"class", "charts"}}));
      api("GET", kApi + "/usage?scope=" + scope + "&key=" + key + "&granularity=day", nullptr,
          [charts](const json& u) { draw_chart(charts, u["points"], "Daily usage, last 30 days"); });
    }
  });
}

void draw_nav(val shell) {
  val nav = add(shell, el("nav"));
  add(nav, el("strong", {{"class", "brand"}}, "httvps"));
  for (const auto& n : panel::nav_items()) {
    panel::Route r;
    r.page = n.page;
    add(nav, el("a", {{"href", panel::route_hash(r)}, {"class", n.page == route.page ? "active" : ""}}, n.title));
  }
  val who = add(nav, el("span", {{"class", "who"}, {"id", "who"}}, session.username + " (" + session.role + ")"));
  button(who, "Log out", "logout");
}

void render() {
  route = panel::parse_route(val::global("location")["hash"].as<std::string>());
  val app = root();
  clear(app);
  if (session.token.empty() && route.page != "login") {
    panel::Route login;
    login.page = "login";
    go(login);
    return;
  }
  if (route.page == "login") {
    draw_login(app);
    return;
  }
  draw_nav(app);
  add(app, el("p", {{"id", "banner"}, {"class", "banner"}, {"hidden", ""}}));
  val main = add(app, el("main"));
  if (route.page == "dashboard") draw_dashboard(main);
  else if (route.key == "new") draw_form(main);
  else if (!route.key.empty()) draw_detail(main);
  else if (panel::nav_item(route.page)) draw_list(main);
  else add(main, el("p", {}, "No such page."));
}

// ---- events ----
std::map<std::string, std::string> form_values(val form) {
  std::map<std::string, std::string> values;
  val inputs = form.call<val>("querySelectorAll", std::string("input, select"));
  const int n = inputs["length"].as<int>();
  for (int i = 0; i < n; ++i) {
    val in = inputs.call<val>("item", i);
    values[in["name"].as<std::string>()] = in["value"].as<std::string>();
  }
  return values;
}

void show_field_errors(val form, const std::map<std::string, std::string>& errors) {
  val slots = form.call<val>("querySelectorAll", std::string("[data-error-for]"));
  const int n = slots["length"].as<int>();
  for (int i = 0; i < n; ++i) {
    val slot = slots.call<val>("item", i);
    auto it = errors.find(slot.call<val>("getAttribute", std::string("data-error-for")).as<std::string>());
    slot.set("textContent", it == errors.end() ? std::string() : it->second);
  }
}

void on_submit(val event) {
  event.call<void>("preventDefault");
  val form = event["target"];
  const std::string kind = form.call<val>("getAttribute", std::string("data-form")).as<std::string>();
  auto values = form_values(form);
  if (kind == "login") {
    httvps::contract::LoginRequest req{values["username"], values["password"]};
    api("POST", kApi + "/login", httvps::contract::to_json(req),
        [](const json& j) {
          httvps::contract::LoginResponse r;
          if (httvps::contract::parse(j, r)) return;
          session = {r.token, r.username, r.role, r.expires_at};
          save_session();
          panel::Route d;
          go(d);
        },
        [](const panel::Answer& a) {
          val e = document.call<val>("getElementById", std::string("login-error"));
          if (!e.isNull()) e.set("textContent", a.message);
        });
    return;
  }
  auto spec = panel::form_for(kind);
  if (!spec) return;
  auto errors = panel::validate(*spec, values);
  show_field_errors(form, errors);
  if (!errors.empty()) return;
  std::string page = kind;
  api("POST", kApi + spec->post_path, panel::form_body(*spec, values),
      [page](const json& created) {
        if (page == "devices") {
          // The links exist only in this answer: show them on the device page now.
          panel::Route r;
          r.page = "devices";
          r.key = created["device"]["id"].dump();
          val::global("history").call<void>("replaceState", val::null(), std::string(), panel::route_hash(r));
          render();
          draw_links(document.call<val>("querySelector", std::string("main")), created);
          return;
        }
        panel::Route r;
        r.page = page;
        go(r);
      },
      [form](const panel::Answer& a) {
        if (!a.field.empty()) show_field_errors(form, {{a.field, a.message}});
      });
}

void on_click(val event) {
  val target = event["target"].call<val>("closest", std::string("[data-action]"));
  if (target.isNull()) return;
  const std::string action = target.call<val>("getAttribute", std::string("data-action")).as<std::string>();
  val arg_val = target.call<val>("getAttribute", std::string("data-arg"));
  const std::string arg = arg_val.isNull() ? "" : arg_val.as<std::string>();
  if (action == "logout") {
    api("POST", kApi + "/logout", nullptr, [](const json&) {});
    session = {};
    save_session();
    panel::Route login;
    login.page = "login";
    go(login);
  } else if (action == "new") {
    panel::Route r;
    r.page = arg;
    r.key = "new";
    go(r);
  } else if (action == "sort" || action == "page") {
    panel::ListState s = panel::list_state_from(route);
    if (action == "sort") s = panel::toggle_sort(s, arg);
    else s.page = std::stoi(arg);
    panel::Route r = route;
    panel::apply_list_state(r, s);
    go(r);
  } else if (action == "rotate") {
    api("POST", kApi + "/devices/" + arg + "/rotate", nullptr, [](const json& answer) {
      render();
      draw_links(document.call<val>("querySelector", std::string("main")), answer);
    });
  } else if (action == "revoke") {
    api("POST", kApi + "/devices/" + arg + "/revoke", nullptr, [](const json&) { render(); });
  } else if (action == "node") {
    api("POST", kApi + "/nodes/" + arg, nullptr, [](const json&) { render(); });
  }
}

void on_search(val event) {
  val input = event["target"];
  if (input.call<val>("getAttribute", std::string("data-action")).isNull()) return;
  panel::ListState s = panel::list_state_from(route);
  s.search = input["value"].as<std::string>();
  s.page = 1;
  panel::Route r = route;
  panel::apply_list_state(r, s);
  go(r);
}

void on_hash_change(val) { render(); }

}  // namespace

EMSCRIPTEN_BINDINGS(httvps_panel) {
  emscripten::function("onFetchDone", &on_fetch_done);
  emscripten::function("onClick", &on_click);
  emscripten::function("onSubmit", &on_submit);
  emscripten::function("onSearch", &on_search);
  emscripten::function("onHashChange", &on_hash_change);
}

int main() {
  load_session();
  document.call<void>("addEventListener", std::string("click"), val::module_property("onClick"));
  document.call<void>("addEventListener", std::string("submit"), val::module_property("onSubmit"));
  document.call<void>("addEventListener", std::string("change"), val::module_property("onSearch"));
  val::global("window").call<void>("addEventListener", std::string("hashchange"), val::module_property("onHashChange"));
  render();
  val::global("document")["documentElement"].call<void>("setAttribute", std::string("data-ready"), std::string("1"));
  return 0;
}
