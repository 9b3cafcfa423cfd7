#include "core/migrate.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "core/crypto.hpp"
#include "core/log.hpp"

namespace httvps::migrate {
namespace {

struct Applied {
  std::string name;
  std::string checksum;
  std::string applied_at;
};

// What schema_migrations holds. BOOTSTRAP creates the table first (writers only); readers
// treat a database without it as one with nothing applied.
std::map<int, Applied> applied_versions(db::Connection& conn, bool bootstrap) {
  if (bootstrap) {
    conn.exec("migrate_bootstrap");
  } else if (!conn.exec("migrate_is_bootstrapped")[0].boolean("present")) {
    return {};
  }
  std::map<int, Applied> out;
  for (auto row : conn.exec("migrate_applied")) {
    out[static_cast<int>(row.int64("version"))] = {row.text("name"), row.text("checksum"), row.text("applied_at")};
  }
  return out;
}

void check_unmodified(const std::vector<Migration>& all, const std::map<int, Applied>& applied) {
  for (const auto& m : all) {
    auto it = applied.find(m.version);
    if (it != applied.end() && it->second.checksum != m.checksum) {
      throw conflict("migration " + std::to_string(m.version) + " '" + m.name +
                     "' was changed after it was applied (checksum mismatch); shipped migrations are "
                     "append-only: add a new migration instead");
    }
  }
}

}  // namespace

std::vector<Migration> parse_files(const std::vector<sql::SqlFile>& files) {
  std::map<int, Migration> by_version;
  for (const auto& f : files) {
    // NNNN_title.up.sql / NNNN_title.down.sql
    std::string_view n = f.name;
    auto us = n.find('_');
    bool is_up = n.ends_with(".up.sql");
    bool is_down = n.ends_with(".down.sql");
    if (us == std::string_view::npos || (!is_up && !is_down)) {
      throw internal_error("migration file '" + std::string(n) + "' is not named NNNN_title.up.sql or .down.sql");
    }
    int version = 0;
    auto [ptr, ec] = std::from_chars(n.data(), n.data() + us, version);
    if (ec != std::errc() || ptr != n.data() + us || version <= 0) {
      throw internal_error("migration file '" + std::string(n) + "' does not start with a version number");
    }
    std::string title(n.substr(us + 1, n.size() - us - 1 - (is_up ? 7 : 9)));
    Migration& m = by_version[version];
    if (!m.name.empty() && m.name != title) {
      throw internal_error("migration " + std::to_string(version) + " has two titles: '" + m.name + "' and '" + title + "'");
    }
    m.version = version;
    m.name = title;
    (is_up ? m.up : m.down) = &f;
  }
  std::vector<Migration> out;
  int expected = 1;
  for (auto& [version, m] : by_version) {
    if (version != expected) throw internal_error("migration versions must be contiguous; missing " + std::to_string(expected));
    if (m.up == nullptr || m.down == nullptr) {
      throw internal_error("migration " + std::to_string(version) + " '" + m.name + "' needs both .up.sql and .down.sql");
    }
    m.checksum = crypto::sha256_hex(m.up->text);
    out.push_back(m);
    ++expected;
  }
  return out;
}

std::vector<Migration> available() { return parse_files(sql::migration_files()); }

int current_version(db::Connection& conn) {
  auto applied = applied_versions(conn, false);
  return applied.empty() ? 0 : applied.rbegin()->first;
}

std::vector<VersionState> status(db::Connection& conn) {
  auto all = available();
  auto applied = applied_versions(conn, false);
  std::vector<VersionState> out;
  for (const auto& m : all) {
    VersionState s;
    s.version = m.version;
    s.name = m.name;
    if (auto it = applied.find(m.version); it != applied.end()) {
      s.applied = true;
      s.applied_at = it->second.applied_at;
      s.modified = it->second.checksum != m.checksum;
    }
    out.push_back(s);
  }
  for (const auto& [version, a] : applied) {
    if (std::none_of(all.begin(), all.end(), [v = version](const Migration& m) { return m.version == v; })) {
      VersionState s;
      s.version = version;
      s.name = a.name;
      s.applied = true;
      s.applied_at = a.applied_at;
      s.unknown = true;
      out.push_back(s);
    }
  }
  return out;
}

std::vector<Step> up(db::Connection& conn, std::optional<int> steps) {
  if (steps && *steps < 1) throw usage_error("--steps must be at least 1", "steps");
  auto all = available();
  auto lock = db::AdvisoryLock::acquire(conn, db::lock_key("httvps.migrate"));
  auto applied = applied_versions(conn, true);
  check_unmodified(all, applied);
  std::vector<Step> done;
  for (const auto& m : all) {
    if (applied.count(m.version) != 0) continue;
    if (steps && static_cast<int>(done.size()) >= *steps) break;
    log::info("applying migration", {{"version", m.version}, {"name", m.name}});
    db::Transaction tx(conn);
    conn.exec_migration_script(*m.up);
    conn.exec("migrate_record", {m.version, m.name, m.checksum});
    tx.commit();
    done.push_back({m.version, m.name, "up"});
  }
  return done;
}

std::vector<Step> down(db::Connection& conn, std::optional<int> steps) {
  if (steps && *steps < 1) throw usage_error("--steps must be at least 1", "steps");
  auto all = available();
  auto lock = db::AdvisoryLock::acquire(conn, db::lock_key("httvps.migrate"));
  auto applied = applied_versions(conn, true);
  // A down script written for another up script would revert a schema it never saw.
  check_unmodified(all, applied);
  std::vector<Step> done;
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    if (steps && static_cast<int>(done.size()) >= *steps) break;
    auto m = std::find_if(all.begin(), all.end(), [v = it->first](const Migration& x) { return x.version == v; });
    if (m == all.end()) {
      throw conflict("migration " + std::to_string(it->first) + " '" + it->second.name +
                     "' is applied but unknown to this binary; run the newer httvps to revert it");
    }
    log::info("reverting migration", {{"version", m->version}, {"name", m->name}});
    db::Transaction tx(conn);
    conn.exec_migration_script(*m->down);
    conn.exec("migrate_forget", {m->version});
    tx.commit();
    done.push_back({m->version, m->name, "down"});
  }
  return done;
}

}  // namespace httvps::migrate
