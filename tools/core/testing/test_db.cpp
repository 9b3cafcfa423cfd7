#include "core/testing/test_db.hpp"

#include <fstream>

#include "core/crypto.hpp"

namespace httvps::testing {
namespace {

std::string fixture_host() {
  std::ifstream in(HTTVPS_TEST_PG_ENV);
  if (!in) throw internal_error(std::string("no PostgreSQL fixture: ") + HTTVPS_TEST_PG_ENV + " is missing; run the tests through ctest");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("HTTVPS_TEST_PGHOST=", 0) == 0) return line.substr(19);
  }
  throw internal_error("fixture env file has no HTTVPS_TEST_PGHOST");
}

db::Connection admin_connection(const std::string& host) {
  db::ConnectOptions o;
  o.conninfo = "host=" + host + " user=postgres dbname=postgres";
  return db::Connection::open(o);
}

void run(db::Connection& conn, const std::string& sql) {
  sql::SqlFile f{"test-setup", sql};
  conn.exec_migration_script(f);
}

}  // namespace

TestDb::TestDb(bool migrated) : host_(fixture_host()) {
  auto b = crypto::random_bytes(6);
  name_ = "t_" + crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  auto admin = admin_connection(host_);
  run(admin, "CREATE DATABASE " + name_ + (migrated ? " TEMPLATE httvps_template" : ""));
  conninfo_ = "host=" + host_ + " user=postgres dbname=" + name_;
}

TestDb::~TestDb() {
  try {
    auto admin = admin_connection(host_);
    run(admin, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
    // The fixture's cleanup removes the whole cluster anyway.
  }
}

db::Connection TestDb::connect() const {
  db::ConnectOptions o;
  o.conninfo = conninfo_;
  return db::Connection::open(o);
}

Context TestDb::context(OutputFormat output) const {
  static const ProgramSpec spec{"httvps-test", "test"};
  Config config;
  config.database_url = conninfo_;
  static const std::string key = [] {
    auto b = crypto::random_bytes(32);
    return crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }();
  config.secrets_key = key;
  return Context(spec, Environment(), config, output);
}

void TestDb::exec_sql(const std::string& sql) const {
  auto conn = connect();
  run(conn, sql);
}

}  // namespace httvps::testing
