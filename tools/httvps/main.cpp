// httvps: the admin multi-tool. Declares options into an admin::Command and calls
// admin::run(); run as CGI it serves the control-plane routes of admin::serve().

#include "core/admin/api.hpp"
#include "core/admin/command.hpp"
#include "core/admin/resources.hpp"
#include "core/cli_main.hpp"

namespace {

using httvps::admin::Command;

void declare_resource(CLI::App& app, Command& cmd, const httvps::admin::ResourceSpec& spec) {
  CLI::App* group = app.add_subcommand(spec.name, spec.summary);
  group->require_subcommand(1);
  auto action = [&](const char* name, const char* help) {
    CLI::App* sub = group->add_subcommand(name, help);
    sub->callback([&cmd, name, res = spec.name] {
      cmd.group = res;
      cmd.action = name;
    });
    return sub;
  };
  const std::string key_help = spec.key_field == "id" ? "device id, or USERNAME/DEVICE" : spec.key_field;

  CLI::App* list = action("list", ("List " + spec.plural).c_str());
  list->add_option("--limit", cmd.limit, "At most this many rows (default 100)");
  list->add_option("--offset", cmd.offset, "Skip this many rows");
  for (const auto& f : spec.filters) {
    list->add_option_function<std::string>(
        "--" + httvps::admin::flag_name(f.name), [&cmd, n = f.name](const std::string& v) { cmd.filters[n] = v; },
        f.help);
  }

  action("show", ("Show one " + spec.name).c_str())->add_option("key", cmd.key, key_help)->required();

  auto add_fields = [&](CLI::App* sub, bool creating) {
    for (const auto& f : spec.fields) {
      if (creating && f.name == spec.key_field) continue;  // given positionally
      if (!creating && f.create_only) continue;
      sub->add_option_function<std::string>(
          "--" + httvps::admin::flag_name(f.name), [&cmd, n = f.name](const std::string& v) { cmd.fields[n] = v; },
          f.help + (creating && f.required ? " (required)" : ""));
    }
    if (spec.name == "admin") {
      sub->add_flag("--password-stdin", cmd.password_stdin, "Read the password from standard input");
      sub->add_option("--password-file", cmd.password_file, "Read the password from FILE")->type_name("FILE");
    }
  };

  CLI::App* create = action("create", ("Create a " + spec.name).c_str());
  if (spec.key_field != "id") create->add_option("key", cmd.key, key_help)->required();
  add_fields(create, true);

  CLI::App* update = action("update", ("Change a " + spec.name + "; only the given fields change").c_str());
  update->add_option("key", cmd.key, key_help)->required();
  add_fields(update, false);

  if (spec.name == "gateway") {
    // `httvps gateway add NAME`: the documented verb for minting a gateway credential.
    CLI::App* add = action("add", "Add a gateway and print its credential once");
    add->add_option("key", cmd.key, key_help)->required();
    add_fields(add, true);
    add->callback([&cmd] {
      cmd.group = "gateway";
      cmd.action = "create";
    });
  }
  if (spec.name == "node") {
    CLI::App* secret = action("set-secret", "Set the Shadowsocks secret gateways use towards the node");
    secret->add_option("key", cmd.key, "node name")->required();
    secret->add_flag("--secret-stdin", cmd.secret_stdin, "Read the secret from standard input (default: generate one)");
    secret->add_option("--overlap", cmd.overlap_seconds, "Seconds the previous secret stays valid (default 3600)");
    for (const char* verb : {"drain", "disable", "enable"}) {
      const char* help = std::string(verb) == "drain"     ? "Take no new devices; rotate-nodes moves its devices away"
                         : std::string(verb) == "disable" ? "Take the node out of service at once"
                                                          : "Put a drained or disabled node back in service";
      action(verb, help)->add_option("key", cmd.key, "node name")->required();
    }
    CLI::App* manager = action("set-manager", "Give rotate-nodes the node's ss-manager address or Outline apiUrl (stdin)");
    manager->add_option("key", cmd.key, "node name")->required();
    manager->add_option_function<std::string>(
        "--cert-sha256", [&cmd](const std::string& v) { cmd.fields["cert_sha256"] = v; }, "Outline's certSha256");
    manager->add_flag_callback("--clear", [&cmd] { cmd.fields["clear"] = "true"; }, "Forget the manager");
  }

  CLI::App* del = action("delete", ("Delete a " + spec.name).c_str());
  del->add_option("key", cmd.key, key_help)->required();
  del->add_flag("-y,--yes", cmd.yes, "Do not ask for confirmation");
}

void declare(CLI::App& app, Command& cmd) {
  // At most one command; none is allowed so that `httvps --check-config` works alone.
  app.require_subcommand(0, 1);
  CLI::App* migrate = app.add_subcommand("migrate", "Apply, revert or list schema migrations");
  migrate->require_subcommand(1);
  for (const char* name : {"up", "down", "status"}) {
    CLI::App* sub = migrate->add_subcommand(name, std::string(name) == "up"     ? "Apply pending migrations"
                                                  : std::string(name) == "down" ? "Revert applied migrations"
                                                                                : "List migrations and their state");
    sub->callback([&cmd, name] {
      cmd.group = "migrate";
      cmd.action = name;
    });
    if (std::string(name) != "status") {
      sub->add_option_function<int>("--steps", [&cmd](int n) { cmd.steps = n; }, "At most N migrations");
    }
    if (std::string(name) == "down") sub->add_flag("--all", cmd.all, "Revert every migration");
  }
  app.add_subcommand("health", "Check the database and print the version")->callback([&cmd] { cmd.group = "health"; });

  CLI::App* audit = app.add_subcommand("audit", "Read the audit log");
  audit->require_subcommand(1);
  CLI::App* audit_list = audit->add_subcommand("list", "Newest entries first");
  audit_list->callback([&cmd] {
    cmd.group = "audit";
    cmd.action = "list";
  });
  audit_list->add_option("--limit", cmd.limit, "At most this many rows (default 100)");
  audit_list->add_option("--offset", cmd.offset, "Skip this many rows");
  audit_list->add_option_function<std::string>(
      "--target-kind", [&cmd](const std::string& v) { cmd.filters["target_kind"] = v; }, "plan, user, node, ...");
  audit_list->add_option_function<std::string>(
      "--actor", [&cmd](const std::string& v) { cmd.filters["actor"] = v; }, "e.g. cli:root");

  CLI::App* link = app.add_subcommand("link", "Decode share links");
  link->require_subcommand(1);
  CLI::App* parse = link->add_subcommand("parse", "Decode an httvps://, ss:// or vless:// link");
  parse->add_option("link", cmd.key, "the link")->required();
  parse->callback([&cmd] {
    cmd.group = "link";
    cmd.action = "parse";
  });

  CLI::App* telegram = app.add_subcommand("telegram", "Point Telegram at the bot's webhook (docs/telegram.md)");
  telegram->require_subcommand(1);
  CLI::App* set_webhook = telegram->add_subcommand("set-webhook", "setWebhook with the configured secret");
  set_webhook->add_option_function<std::string>(
      "--url", [&cmd](const std::string& v) { cmd.fields["url"] = v; },
      "The webhook URL (default: public.api_url + /api/v1/telegram/webhook)");
  for (CLI::App* sub : {set_webhook, telegram->add_subcommand("delete-webhook", "deleteWebhook"),
                        telegram->add_subcommand("webhook-info", "getWebhookInfo: what Telegram has")}) {
    if (sub->get_name() != "webhook-info") {
      sub->add_flag_callback("--drop-pending-updates", [&cmd] { cmd.fields["drop_pending_updates"] = "true"; },
                             "Drop the updates Telegram still holds");
    }
    sub->callback([&cmd, sub] {
      cmd.group = "telegram";
      cmd.action = sub->get_name();
    });
  }

  for (const auto& spec : httvps::admin::resources()) declare_resource(app, cmd, spec);
}

}  // namespace

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"httvps", "httvps: administer users, plans, regions, nodes, devices and admins",
                                        /*cgi=*/true};
  Command cmd;
  return httvps::cli_main(
      spec, argc, argv, [&](CLI::App& app) { declare(app, cmd); },
      [&](httvps::Context& ctx) { return httvps::admin::run(ctx, cmd); }, httvps::admin::serve);
}
