#pragma once
// The database layer: an RAII wrapper over libpq.
//
// * Statements are named queries from sql/queries/*.sql (see query()); every value is a
//   parameter ($1, $2, ...). There is no way to run caller-built SQL text through this
//   API: exec() takes a Query, and Query objects come only from the embedded registry.
// * Transaction rolls back in its destructor unless commit() ran.
// * AdvisoryLock holds a session-level pg_advisory_lock until it is destroyed.
// * Errors are thrown as DbError, classified (cannot connect, constraint, ...) and mapped
//   to the shared exit codes. Server notices go to the logger, not to stderr raw.

#include <libpq-fe.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/error.hpp"
#include "core/sql_files.hpp"

namespace httvps::db {

enum class ErrorKind {
  kConnect,        // cannot connect, or the connection broke (retryable)
  kUnique,         // unique_violation
  kForeignKey,     // foreign_key_violation
  kCheck,          // check_violation, not_null_violation, invalid input
  kRetryable,      // serialization failure, deadlock, statement timeout, server shutdown
  kSchema,         // a table or column is missing: the database is not migrated
  kOther,
};

class DbError : public Failure {
 public:
  DbError(ErrorKind kind, std::string message, std::string sqlstate, std::string constraint);
  ErrorKind kind() const noexcept { return kind_; }
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  const std::string& constraint() const noexcept { return constraint_; }

 private:
  ErrorKind kind_;
  std::string sqlstate_;
  std::string constraint_;
};

// Maps a SQLSTATE to its kind. Pure; exposed for tests.
ErrorKind classify_sqlstate(std::string_view sqlstate);

// A named statement from sql/queries/. Only the registry creates them.
class Query {
 public:
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

 private:
  friend const std::map<std::string, Query, std::less<>>& all_queries();
  Query(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {}
  std::string name_;
  std::string text_;
};

// Every named query, parsed from the embedded files ("-- name: NAME" starts each one).
const std::map<std::string, Query, std::less<>>& all_queries();
// The query called NAME; a missing name is a bug and throws Failure(kInternal).
const Query& query(std::string_view name);

// One parameter value in text form; nullopt is SQL NULL.
class Param {
 public:
  Param(std::nullopt_t) {}
  Param(const std::string& s) : value_(s) {}
  Param(std::string&& s) : value_(std::move(s)) {}
  Param(std::string_view s) : value_(std::string(s)) {}
  Param(const char* s) : value_(std::string(s)) {}
  Param(bool b) : value_(b ? "true" : "false") {}
  Param(int v) : value_(std::to_string(v)) {}
  Param(long v) : value_(std::to_string(v)) {}
  Param(long long v) : value_(std::to_string(v)) {}
  Param(unsigned v) : value_(std::to_string(v)) {}
  Param(double v) : value_(std::to_string(v)) {}
  template <typename T>
  Param(const std::optional<T>& v) {
    if (v) value_ = Param(*v).value_;
  }
  const std::optional<std::string>& value() const { return value_; }

 private:
  std::optional<std::string> value_;
};
using Params = std::vector<Param>;

class Result;

// One row of a result; valid while its Result lives.
class Row {
 public:
  Row(const PGresult* res, int row) : res_(res), row_(row) {}
  bool is_null(std::string_view column) const;
  // The value of COLUMN; throws Failure(kInternal) when the column is missing or NULL.
  std::string text(std::string_view column) const;
  std::int64_t int64(std::string_view column) const;
  bool boolean(std::string_view column) const;
  double number(std::string_view column) const;
  std::optional<std::string> opt_text(std::string_view column) const;
  std::optional<std::int64_t> opt_int64(std::string_view column) const;
  // The row as a JSON object: integers and numerics as numbers, booleans as booleans,
  // json/jsonb parsed, NULL as null, everything else as strings.
  nlohmann::json to_json() const;

 private:
  int column_index(std::string_view column) const;
  const PGresult* res_;
  int row_;
};

class Result {
 public:
  explicit Result(PGresult* res) : res_(res, &PQclear) {}
  int size() const { return PQntuples(res_.get()); }
  bool empty() const { return size() == 0; }
  Row operator[](int i) const { return Row(res_.get(), i); }
  // Rows changed by INSERT/UPDATE/DELETE.
  std::int64_t affected() const;
  nlohmann::json to_json() const;  // array of row objects

  class Iterator {
   public:
    Iterator(const PGresult* r, int i) : r_(r), i_(i) {}
    Row operator*() const { return Row(r_, i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    const PGresult* r_;
    int i_;
  };
  Iterator begin() const { return Iterator(res_.get(), 0); }
  Iterator end() const { return Iterator(res_.get(), size()); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> res_;
};

struct ConnectOptions {
  std::string conninfo;             // libpq conninfo or URI; empty: PG* environment defaults
  int connect_timeout_seconds = 5;
  std::int64_t statement_timeout_ms = 30000;
  std::string application_name = "httvps";
};

class Connection {
 public:
  // Connects; throws DbError(kConnect) (exit code temp_failure) when the server cannot be
  // reached. The message never contains the connection string.
  static Connection open(const ConnectOptions& options);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs a named query with parameters. Throws DbError.
  Result exec(const Query& q, const Params& params = {});
  Result exec(std::string_view query_name, const Params& params = {});

  // Runs a whole embedded migration script (several statements, no parameters). Only the
  // migrator calls this, and only with text from sql/migrations/.
  void exec_migration_script(const sql::SqlFile& file);

  // Prepares (parses and plans) Q without running it; throws DbError when the query does
  // not fit the schema. Used by the test that checks every query against the migrations.
  void prepare_only(const Query& q);

  PGconn* raw() { return conn_.get(); }

 private:
  explicit Connection(PGconn* c) : conn_(c, &PQfinish) {}
  [[noreturn]] void fail(const PGresult* res, std::string_view what);
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Connection& conn);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& conn_;
  bool done_ = false;
};

// A session-level advisory lock, released on destruction.
class AdvisoryLock {
 public:
  // Blocks until the lock is held.
  static AdvisoryLock acquire(Connection& conn, std::int64_t key);
  // Returns nullopt when another session holds it.
  static std::optional<AdvisoryLock> try_acquire(Connection& conn, std::int64_t key);
  AdvisoryLock(AdvisoryLock&& other) noexcept : conn_(other.conn_), key_(other.key_) { other.conn_ = nullptr; }
  AdvisoryLock(const AdvisoryLock&) = delete;
  ~AdvisoryLock();

 private:
  AdvisoryLock(Connection& conn, std::int64_t key) : conn_(&conn), key_(key) {}
  Connection* conn_;
  std::int64_t key_;
};

// A stable 64-bit advisory-lock key for a name ("httvps.migrate", "aggregate-usage:42").
std::int64_t lock_key(std::string_view name);

}  // namespace httvps::db
