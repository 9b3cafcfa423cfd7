#pragma once
// A fresh database per test, cloned from the migrated template that the CTest fixture
// "pg" prepares (tests/pg-fixture.sh). Dropped when the object goes out of scope.

#include <string>

#include "core/app.hpp"
#include "core/db.hpp"

namespace httvps::testing {

class TestDb {
 public:
  // MIGRATED: clone the migrated template; otherwise create an empty database.
  explicit TestDb(bool migrated = true);
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  db::Connection connect() const;
  // A CLI context whose configuration points at this database.
  Context context(OutputFormat output = OutputFormat::kJson) const;
  // Runs raw SQL through the migration-script path; for test set-up only.
  void exec_sql(const std::string& sql) const;

 private:
  std::string host_;
  std::string name_;
  std::string conninfo_;
};

}  // namespace httvps::testing
