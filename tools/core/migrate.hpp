#pragma once
// Schema migrations: numbered, append-only up/down pairs under sql/migrations/
// ("0001_init.up.sql" + "0001_init.down.sql"), embedded in every binary. Applied versions
// are recorded in schema_migrations with a SHA-256 of the up script; an applied migration
// whose text changed since is refused, because shipped migrations must never be edited.
// Every run holds an advisory lock, so concurrent runs from many hosts serialise.

#include <optional>
#include <string>
#include <vector>

#include "core/db.hpp"

namespace httvps::migrate {

struct Migration {
  int version = 0;
  std::string name;  // "init"
  const sql::SqlFile* up = nullptr;
  const sql::SqlFile* down = nullptr;
  std::string checksum;  // sha256 hex of the up script
};

// The embedded migrations in version order. Throws Failure(kInternal) when a file name is
// malformed, an up lacks its down (or the reverse) or versions are not 1, 2, 3, ...
std::vector<Migration> available();
std::vector<Migration> parse_files(const std::vector<sql::SqlFile>& files);  // for tests

struct VersionState {
  int version = 0;
  std::string name;
  bool applied = false;
  std::optional<std::string> applied_at;
  bool modified = false;  // applied, but the embedded up script differs from what ran
  bool unknown = false;   // applied in the database, but this binary does not know it
};

// Read-only: a database without schema_migrations has nothing applied.
std::vector<VersionState> status(db::Connection& conn);

struct Step {
  int version;
  std::string name;
  std::string direction;  // "up" | "down"
};

// Applies pending migrations in order, at most STEPS of them (all when nullopt), each in
// its own transaction. Throws Failure(kConflict) when an applied migration was modified.
std::vector<Step> up(db::Connection& conn, std::optional<int> steps);

// Reverts the last STEPS applied migrations (all when nullopt), newest first. Refuses, like
// up(), when an applied migration was modified.
std::vector<Step> down(db::Connection& conn, std::optional<int> steps);

// The highest applied version, 0 for an empty database.
int current_version(db::Connection& conn);

}  // namespace httvps::migrate
