#include "core/admin/command.hpp"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/admin/health.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/nodes/node_admin.hpp"
#include "core/units.hpp"

namespace httvps::admin {
namespace {

const std::map<std::string, FieldType>& display_types() {
  static const std::map<std::string, FieldType> types = {
      {"data_limit", FieldType::kBytes},   {"used", FieldType::kBytes},
      {"upload_bytes", FieldType::kBytes}, {"download_bytes", FieldType::kBytes},
      {"lifetime_used_bytes", FieldType::kBytes},
      {"duration", FieldType::kDuration},  {"speed_limit", FieldType::kRate},
  };
  return types;
}

std::string strip_newline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::optional<std::string> read_password(const Command& cmd) {
  if (cmd.password_stdin && cmd.password_file) throw usage_error("give --password-stdin or --password-file, not both");
  if (cmd.password_stdin) {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    return strip_newline(ss.str());
  }
  if (cmd.password_file) {
    std::ifstream in(*cmd.password_file);
    if (!in) throw usage_error("cannot read password file '" + *cmd.password_file + "'", "password_file");
    std::stringstream ss;
    ss << in.rdbuf();
    return strip_newline(ss.str());
  }
  return std::nullopt;
}

void confirm_delete(const Command& cmd, const ResourceSpec& spec) {
  if (cmd.yes) return;
  if (!isatty(STDIN_FILENO)) {
    throw usage_error("refusing to delete " + spec.name + " '" + cmd.key + "' without --yes (stdin is not a terminal)");
  }
  std::cerr << "delete " << spec.name << " '" << cmd.key << "'? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "yes") throw Failure(ExitCode::kRefused, "not deleted");
}

int run_resource(Context& ctx, const Command& cmd, const ResourceSpec& spec) {
  const OutputFormat out = ctx.output();
  auto show = [&](const nlohmann::json& record) {
    print_result(out, out == OutputFormat::kJson ? record : humanize(record));
  };
  if (cmd.action == "list") {
    nlohmann::json rows = list_records(ctx, spec, {cmd.filters, cmd.limit, cmd.offset});
    if (out == OutputFormat::kJson) {
      print_result(out, rows);
    } else {
      nlohmann::json human = nlohmann::json::array();
      for (const auto& r : rows) human.push_back(humanize(r));
      print_result(out, human, spec.columns);
    }
    return 0;
  }
  if (cmd.action == "show") {
    if (spec.name == "node" || spec.name == "region") {  // with health, load and assignments
      nodes::print_node_details(ctx, spec.name, nodes::with_node_details(ctx, spec.name, get_record(ctx, spec, cmd.key)));
      return 0;
    }
    show(get_record(ctx, spec, cmd.key));
    return 0;
  }
  if (cmd.action == "drain" || cmd.action == "disable" || cmd.action == "enable") {
    const char* state = cmd.action == "drain" ? "draining" : cmd.action == "disable" ? "disabled" : "active";
    nlohmann::json rec = nodes::set_admin_state(ctx, cmd.key, state);
    print_message(out, "node '" + cmd.key + "' is now " + state);
    if (out == OutputFormat::kJson) show(rec);
    return 0;
  }
  if (cmd.action == "set-manager") {
    std::optional<std::string> address;
    if (!cmd.fields.count("clear")) {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      address = strip_newline(ss.str());
      if (address->empty()) throw usage_error("give the manager address on standard input, or --clear", "address");
    }
    auto cert = cmd.fields.count("cert_sha256") ? std::optional<std::string>(cmd.fields.at("cert_sha256")) : std::nullopt;
    nlohmann::json rec = nodes::set_manager(ctx, cmd.key, address, cert);
    if (out == OutputFormat::kJson) print_result(out, rec);
    else print_message(out, address ? "node '" + cmd.key + "' is managed through " + rec["manager"].get<std::string>()
                                    : "node '" + cmd.key + "' has no manager now");
    return 0;
  }
  if (cmd.action == "create") {
    auto inputs = cmd.fields;
    if (!cmd.key.empty()) {
      if (spec.key_field == "id") throw usage_error(spec.name + " create takes no positional argument");
      inputs[spec.key_field] = cmd.key;
    }
    nlohmann::json rec = create_record(ctx, spec, inputs, read_password(cmd));
    print_message(out, "created " + spec.name + " '" + cell_text(rec[spec.key_field == "id" ? "name" : spec.key_field]) + "'");
    if (out == OutputFormat::kJson) show(rec);
    if (out == OutputFormat::kText && rec.contains("credential")) {
      print_message(out, "credential: " + rec["credential"].get<std::string>());
      print_message(out, "(shown once: put it in the gateway's configuration; only its hash is kept)");
    }
    return 0;
  }
  if (cmd.action == "set-secret") {
    std::optional<std::string> secret;
    if (cmd.secret_stdin) {
      std::stringstream ss;
      ss << std::cin.rdbuf();
      secret = strip_newline(ss.str());
    }
    nlohmann::json rec = node_set_secret(ctx, cmd.key, secret, cmd.overlap_seconds);
    if (out == OutputFormat::kJson) {
      print_result(out, rec);
    } else {
      print_message(out, "set the gateway secret of node '" + cmd.key + "'");
      if (rec.contains("secret")) {
        print_message(out, "secret: " + rec["secret"].get<std::string>() + "   (shown once: configure the node with it)");
      }
    }
    return 0;
  }
  if (cmd.action == "update") {
    nlohmann::json rec = update_record(ctx, spec, cmd.key, cmd.fields, read_password(cmd));
    print_message(out, "updated " + spec.name + " '" + cmd.key + "'");
    if (out == OutputFormat::kJson) show(rec);
    return 0;
  }
  if (cmd.action == "delete") {
    confirm_delete(cmd, spec);
    nlohmann::json rec = delete_record(ctx, spec, cmd.key);
    print_message(out, "deleted " + spec.name + " '" + cmd.key + "'");
    if (out == OutputFormat::kJson) print_result(out, {{"deleted", rec}});
    return 0;
  }
  throw usage_error("unknown action '" + cmd.action + "' for " + spec.name);
}

}  // namespace

nlohmann::json humanize(const nlohmann::json& record) {
  if (!record.is_object()) return record;
  nlohmann::json out = record;
  for (const auto& [key, type] : display_types()) {
    if (!out.contains(key)) continue;
    const auto& v = out[key];
    if (v.is_null()) {
      if (key == "data_limit" || key == "duration" || key == "speed_limit") out[key] = "unlimited";
      continue;
    }
    if (!v.is_number_integer()) continue;
    std::int64_t n = v.get<std::int64_t>();
    if (type == FieldType::kBytes) out[key] = units::format_bytes(n);
    if (type == FieldType::kDuration) out[key] = units::format_duration(n);
    if (type == FieldType::kRate) out[key] = units::format_rate(n);
  }
  if (out.contains("device_limit") && out["device_limit"].is_null()) out["device_limit"] = "unlimited";
  return out;
}

int run_health(Context& ctx, const Command& /*cmd*/) {
  HealthReport report = check_health(ctx);
  if (ctx.output() == OutputFormat::kJson) {
    print_result(ctx.output(), to_json(report));
  } else {
    print_message(ctx.output(), "version:  " + report.version);
    print_message(ctx.output(), std::string("database: ") + (report.database_up ? "up" : "down") +
                                    (report.server_version ? " (PostgreSQL " + *report.server_version + ")" : ""));
    print_message(ctx.output(), "schema:   " + (!report.database_up     ? std::string("unknown (database down)")
                                                 : report.schema_version ? std::to_string(*report.schema_version)
                                                                         : std::string("not migrated")));
  }
  if (!report.database_up) throw Failure(ExitCode::kTempFail, report.error);
  return 0;
}

int run_audit(Context& ctx, const Command& cmd) {
  if (cmd.limit < 1 || cmd.limit > 10000) throw usage_error("--limit must be between 1 and 10000", "limit");
  if (cmd.offset < 0) throw usage_error("--offset must not be negative", "offset");
  auto filter = [&](const char* name) -> db::Param {
    auto it = cmd.filters.find(name);
    if (it == cmd.filters.end()) return std::nullopt;
    return it->second;
  };
  nlohmann::json rows = ctx.db()
                            .exec("audit_list", {filter("target_kind"), filter("actor"), static_cast<long long>(cmd.limit),
                                                 static_cast<long long>(cmd.offset)})
                            .to_json();
  print_result(ctx.output(), rows,
               {{"id", "ID"}, {"at", "AT"}, {"actor", "ACTOR"}, {"action", "ACTION"}, {"target_id", "TARGET"}});
  return 0;
}

int run(Context& ctx, const Command& cmd) {
  if (cmd.group.empty()) throw usage_error("a command is required (run 'httvps --help' for the list)");
  if (cmd.group == "migrate") return run_migrate(ctx, cmd);
  if (cmd.group == "health") return run_health(ctx, cmd);
  if (cmd.group == "audit") return run_audit(ctx, cmd);
  if (cmd.group == "link") return run_link(ctx, cmd);
  if (cmd.group == "telegram") return run_telegram(ctx, cmd);
  return run_resource(ctx, cmd, resource(cmd.group));
}

}  // namespace httvps::admin
