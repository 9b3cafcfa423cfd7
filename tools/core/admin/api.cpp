#include "core/admin/api.hpp"

#include <functional>
#include <vector>

#include "core/admin/health.hpp"
#include "core/log.hpp"

namespace httvps::admin {
namespace {

using Handler = std::function<cgi::Response(Context&, const cgi::Request&)>;

struct Route {
  const char* method;
  const char* path;
  Handler handler;
};

cgi::Response health(Context& ctx, const cgi::Request& req) {
  HealthReport report = check_health(ctx);
  if (report.database_up) return cgi::json_response(200, to_json(report));
  log::warn("health: database unavailable", {{"error", report.error}});
  Failure f(ExitCode::kTempFail, "database unavailable");
  cgi::Response r = cgi::problem_response(f, req.request_id, req.path);
  // The problem document also says what is up and what is not.
  auto body = nlohmann::json::parse(r.body);
  body["health"] = to_json(report);
  body["health"]["database"].erase("error");  // connection details stay in the log
  r.body = body.dump();
  return r;
}

const std::vector<Route>& routes() {
  static const std::vector<Route> table = {
      {"GET", "/api/v1/health", health},
      {"HEAD", "/api/v1/health", health},
  };
  return table;
}

}  // namespace

cgi::Response serve(Context& ctx, const cgi::Request& request) {
  bool path_known = false;
  std::string allowed;
  for (const auto& route : routes()) {
    if (request.path != route.path) continue;
    path_known = true;
    allowed += (allowed.empty() ? "" : ", ") + std::string(route.method);
    if (request.method == route.method) return route.handler(ctx, request);
  }
  if (path_known) {
    throw Failure(ExitCode::kMethodNotAllowed,
                  "method " + request.method + " is not allowed on " + request.path + " (allowed: " + allowed + ")")
        .with_header("Allow", allowed);
  }
  throw not_found("no endpoint at " + request.path);
}

}  // namespace httvps::admin
