// httvps migrate up | down | status

#include "core/admin/command.hpp"
#include "core/migrate.hpp"

namespace httvps::admin {
namespace {

nlohmann::json steps_json(const std::vector<migrate::Step>& steps) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : steps) out.push_back({{"version", s.version}, {"name", s.name}, {"direction", s.direction}});
  return out;
}

std::string migration_label(int version, const std::string& name) {
  std::string v = std::to_string(version);
  return std::string(v.size() < 4 ? 4 - v.size() : 0, '0') + v + "_" + name;
}

}  // namespace

int run_migrate(Context& ctx, const Command& cmd) {
  auto& db = ctx.db();
  if (cmd.action == "status") {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& s : migrate::status(db)) {
      std::string state = s.unknown ? "unknown" : s.modified ? "modified" : s.applied ? "applied" : "pending";
      rows.push_back({{"version", s.version},
                      {"name", s.name},
                      {"state", state},
                      {"applied_at", s.applied_at ? nlohmann::json(*s.applied_at) : nlohmann::json(nullptr)}});
    }
    print_result(ctx.output(), rows,
                 {{"version", "VERSION"}, {"name", "NAME"}, {"state", "STATE"}, {"applied_at", "APPLIED AT"}});
    return 0;
  }
  std::vector<migrate::Step> steps;
  if (cmd.action == "up") {
    steps = migrate::up(db, cmd.steps);
  } else if (cmd.action == "down") {
    if (!cmd.all && !cmd.steps) throw usage_error("migrate down needs --steps N or --all", "steps");
    steps = migrate::down(db, cmd.all ? std::nullopt : cmd.steps);
  } else {
    throw usage_error("unknown migrate action '" + cmd.action + "'");
  }
  int version = migrate::current_version(db);
  if (ctx.output() == OutputFormat::kJson) {
    print_result(ctx.output(), {{"steps", steps_json(steps)}, {"version", version}});
  } else {
    for (const auto& s : steps) {
      print_message(ctx.output(), (s.direction == "up" ? "applied " : "reverted ") + migration_label(s.version, s.name));
    }
    print_message(ctx.output(), steps.empty() ? "nothing to do; schema version " + std::to_string(version)
                                              : "schema version " + std::to_string(version));
  }
  return 0;
}

}  // namespace httvps::admin
