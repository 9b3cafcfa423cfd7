#pragma once
// The admin multi-tool's commands, as plain data filled by tools/httvps/main.cpp, and the
// one entry point that runs them. The same functions serve the admin API later.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/app.hpp"

namespace httvps::admin {

struct Command {
  std::string group;   // "plan", "region", "node", "user", "device", "admin", "migrate", "health", "audit"
  std::string action;  // "list", "show", "create", "update", "delete"; migrate: "up", "down", "status"
  std::string key;     // positional: a name, username or id
  std::map<std::string, std::string> fields;   // --field VALUE for create/update
  std::map<std::string, std::string> filters;  // list filters
  std::int64_t limit = 100;
  std::int64_t offset = 0;
  std::optional<int> steps;  // migrate up/down --steps
  bool all = false;          // migrate down --all
  bool yes = false;          // delete without the interactive confirmation
  std::optional<std::string> password_file;  // admin create/update
  bool password_stdin = false;
  bool secret_stdin = false;       // node set-secret
  std::int64_t overlap_seconds = 3600;
};

// Runs CMD and prints its result. Returns the exit code; throws Failure on errors.
int run(Context& ctx, const Command& cmd);

}  // namespace httvps::admin

namespace httvps::admin {

// The parts of run(), one per file.
int run_migrate(Context& ctx, const Command& cmd);
int run_health(Context& ctx, const Command& cmd);
int run_audit(Context& ctx, const Command& cmd);
int run_link(Context& ctx, const Command& cmd);
int run_telegram(Context& ctx, const Command& cmd);  // tools/core/telegram/telegram_cmd.cpp

// Text-mode presentation of a record: sizes, durations and rates made readable. Pure.
nlohmann::json humanize(const nlohmann::json& record);

}  // namespace httvps::admin
