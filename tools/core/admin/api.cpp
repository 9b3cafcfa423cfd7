#include "core/admin/api.hpp"

#include <vector>

#include "core/admin/api_routes.hpp"
#include "core/admin/health.hpp"
#include "core/log.hpp"
#include "core/usage/ingest.hpp"

namespace httvps::admin {
namespace {

using contract::Access;
using contract::Area;

cgi::Response health(ApiCall& call) {
  HealthReport report = check_health(call.ctx);
  if (report.database_up) return cgi::json_response(200, to_json(report));
  log::warn("health: database unavailable", {{"error", report.error}});
  Failure f(ExitCode::kTempFail, "database unavailable");
  cgi::Response r = cgi::problem_response(f, call.req.request_id, call.req.path);
  // The problem document also says what is up and what is not.
  auto body = nlohmann::json::parse(r.body);
  body["health"] = to_json(report);
  body["health"]["database"].erase("error");  // connection details stay in the log
  r.body = body.dump();
  return r;
}

std::vector<Route> build_routes() {
  std::vector<Route> routes;
  routes.push_back({"GET", "/api/v1/health", false, Area::kSelf, Access::kRead, health});
  routes.push_back({"HEAD", "/api/v1/health", false, Area::kSelf, Access::kRead, health});
  add_auth_routes(routes);
  add_bulk_routes(routes);  // before the resource routes: /users/bulk is not a username
  add_read_routes(routes);
  add_resource_routes(routes);
  usage::add_usage_routes(routes);  // gateways: POST /api/v1/usage, /api/v1/heartbeat
  return routes;
}

bool origin_allowed(const Context& ctx, const cgi::Request& req) {
  auto origin = req.header("origin");
  const std::string& allowed = ctx.config().cgi_cors_origin;
  return origin && !allowed.empty() && *origin == allowed;
}

// The methods PATH answers to, "" when no route matches it.
std::string allowed_methods(const std::string& path) {
  std::string allowed;
  std::map<std::string, std::string> ignored;
  for (const auto& route : api_routes()) {
    if (!match_route(route.pattern, path, ignored)) continue;
    if (allowed.find(route.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  return allowed;
}

cgi::Response preflight(Context& ctx, const cgi::Request& req) {
  std::string allowed = allowed_methods(req.path);
  if (allowed.empty()) throw not_found("no endpoint at " + cgi::redact_path(req.path));
  if (!origin_allowed(ctx, req)) {
    throw Failure(ExitCode::kForbidden, "cross-origin requests are allowed only from the configured panel origin",
                  "Origin");
  }
  cgi::Response r;
  r.status = 204;
  r.headers = {{"Access-Control-Allow-Methods", allowed + ", OPTIONS"},
               {"Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id"},
               {"Access-Control-Max-Age", "600"}};
  return r;
}

cgi::Response dispatch(Context& ctx, const cgi::Request& req) {
  if (req.method == "OPTIONS") return preflight(ctx, req);
  std::string allowed;
  for (const auto& route : api_routes()) {
    std::map<std::string, std::string> params;
    if (!match_route(route.pattern, req.path, params)) continue;
    if (allowed.find(route.method) == std::string::npos) allowed += (allowed.empty() ? "" : ", ") + route.method;
    if (req.method != route.method) continue;
    ApiCall call{ctx, req, std::move(params), std::nullopt};
    if (route.authenticated) {
      // The one place where roles are checked: every authenticated route names its area
      // and access, and contract::may() decides.
      call.session = authenticate(ctx, req);
      ctx.set_actor("admin:" + call.session->username);
      if (!contract::may(call.session->role, route.area, route.access)) {
        throw Failure(ExitCode::kForbidden, "role '" + std::string(contract::role_name(call.session->role)) + "' may not " +
                                                (route.access == Access::kRead ? "read " : "change ") +
                                                std::string(contract::area_name(route.area)));
      }
    }
    return route.handler(call);
  }
  if (!allowed.empty()) {
    throw Failure(ExitCode::kMethodNotAllowed,
                  "method " + req.method + " is not allowed on " + cgi::redact_path(req.path) + " (allowed: " + allowed + ")")
        .with_header("Allow", allowed);
  }
  throw not_found("no endpoint at " + cgi::redact_path(req.path));
}

// Headers for every answer of this binary: browsers must never frame, sniff or cache
// it, and only the configured panel origin may read it cross-origin.
void decorate(const Context& ctx, const cgi::Request& req, cgi::Response& r) {
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  if (origin_allowed(ctx, req)) {
    r.headers.emplace_back("Access-Control-Allow-Origin", ctx.config().cgi_cors_origin);
    r.headers.emplace_back("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, Allow");
  }
  if (!ctx.config().cgi_cors_origin.empty()) r.headers.emplace_back("Vary", "Origin");
}

}  // namespace

const std::vector<Route>& api_routes() {
  static const std::vector<Route> table = build_routes();
  return table;
}

bool match_route(const std::string& pattern, const std::string& path, std::map<std::string, std::string>& params) {
  std::size_t p = 0, s = 0;
  while (p < pattern.size() && s < path.size()) {
    if (pattern[p] == '{') {
      std::size_t close = pattern.find('}', p);
      std::size_t end = path.find('/', s);
      if (end == std::string::npos) end = path.size();
      if (end == s || close == std::string::npos) return false;
      params[pattern.substr(p + 1, close - p - 1)] = path.substr(s, end - s);
      p = close + 1;
      s = end;
    } else {
      if (pattern[p] != path[s]) return false;
      ++p;
      ++s;
    }
  }
  return p == pattern.size() && s == path.size();
}

cgi::Response serve(Context& ctx, const cgi::Request& request) {
  cgi::Response response;
  try {
    response = dispatch(ctx, request);
  } catch (const Failure& f) {
    // Mapped here rather than in run_cgi() so that errors carry the CORS headers too
    // (a browser hides the body of an answer without them).
    response = cgi::problem_response(f, request.request_id, cgi::redact_path(request.path));
    auto level = f.code() == ExitCode::kInternal || f.code() == ExitCode::kConfig ? log::Level::kError
                 : f.code() == ExitCode::kTempFail                                 ? log::Level::kWarn
                                                                                    : log::Level::kInfo;
    log::write(level, f.what(), {{"code", exit_code_name(f.code())}, {"path", cgi::redact_path(request.path)}});
  }
  decorate(ctx, request, response);
  return response;
}

cgi::Response created(const nlohmann::json& body) { return cgi::json_response(201, body); }

cgi::Response no_content() {
  cgi::Response r;
  r.status = 204;
  return r;
}

std::map<std::string, std::string> inputs_from_json(const nlohmann::json& body) {
  std::map<std::string, std::string> out;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const auto& v = it.value();
    if (v.is_string()) {
      out[it.key()] = v.get<std::string>();
    } else if (v.is_boolean()) {
      out[it.key()] = v.get<bool>() ? "true" : "false";
    } else if (v.is_number_integer()) {
      out[it.key()] = std::to_string(v.get<std::int64_t>());
    } else if (v.is_number()) {
      out[it.key()] = v.dump();
    } else if (v.is_null()) {
      out[it.key()] = it.key().find("_at") != std::string::npos ? "never" : "unlimited";
    } else {
      throw usage_error(it.key() + ": must be a string, number, boolean or null", it.key());
    }
  }
  return out;
}

}  // namespace httvps::admin
