#include "core/db.hpp"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/crypto.hpp"
#include "core/log.hpp"

namespace httvps::db {
namespace {

// PostgreSQL type OIDs (pg_type.dat); stable across versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kJsonOid = 114;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;
constexpr Oid kJsonbOid = 3802;
constexpr Oid kTimestamptzOid = 1184;

// "2026-11-22 07:19:00.123456+00" (ISO, UTC session) → "2026-11-22T07:19:00Z".
std::string rfc3339(const std::string& pg) {
  if (pg.size() < 19 || pg[10] != ' ') return pg;  // infinity and the like stay as they are
  return pg.substr(0, 10) + "T" + pg.substr(11, 8) + "Z";
}

ExitCode exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect:
    case ErrorKind::kRetryable: return ExitCode::kTempFail;
    case ErrorKind::kUnique:
    case ErrorKind::kForeignKey: return ExitCode::kConflict;
    case ErrorKind::kCheck: return ExitCode::kUsage;
    case ErrorKind::kSchema: return ExitCode::kConfig;
    case ErrorKind::kOther: return ExitCode::kInternal;
  }
  return ExitCode::kInternal;
}

std::string first_line(const char* text) {
  std::string s = text == nullptr ? "" : text;
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

void notice_to_log(void* /*arg*/, const PGresult* res) {
  const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  std::string msg = first_line(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
  std::string sev = severity == nullptr ? "NOTICE" : severity;
  nlohmann::json fields = {{"severity", sev}};
  if (sev == "WARNING") {
    log::warn("database: " + msg, fields);
  } else {
    log::debug("database: " + msg, fields);
  }
}


}  // namespace

DbError::DbError(ErrorKind kind, std::string message, std::string sqlstate, std::string constraint)
    : Failure(exit_code_for(kind), std::move(message)),
      kind_(kind),
      sqlstate_(std::move(sqlstate)),
      constraint_(std::move(constraint)) {}

ErrorKind classify_sqlstate(std::string_view s) {
  if (s == "23505") return ErrorKind::kUnique;
  if (s == "23503") return ErrorKind::kForeignKey;
  if (s == "23514" || s == "23502" || s == "23P01") return ErrorKind::kCheck;
  if (s.starts_with("22")) return ErrorKind::kCheck;  // data exception: bad input value
  if (s.starts_with("08")) return ErrorKind::kConnect;
  if (s == "40001" || s == "40P01" || s == "57014" || s == "55P03") return ErrorKind::kRetryable;
  if (s.starts_with("57P") || s.starts_with("53")) return ErrorKind::kRetryable;
  if (s == "42P01" || s == "42703") return ErrorKind::kSchema;
  return ErrorKind::kOther;
}

const std::map<std::string, Query, std::less<>>& all_queries() {
  static const std::map<std::string, Query, std::less<>> queries = [] {
    std::map<std::string, Query, std::less<>> out;
    for (const auto& file : sql::query_files()) {
      std::string_view text = file.text;
      std::string name;
      std::string body;
      auto flush = [&] {
        if (name.empty()) return;
        while (!body.empty() && (std::isspace(static_cast<unsigned char>(body.back())) || body.back() == ';')) body.pop_back();
        if (out.count(name) != 0) {
          throw internal_error("duplicate query name '" + name + "' in " + std::string(file.name));
        }
        out.emplace(name, Query(name, body));
        name.clear();
        body.clear();
      };
      std::size_t pos = 0;
      while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        constexpr std::string_view kMarker = "-- name:";
        if (line.starts_with(kMarker)) {
          flush();
          std::string_view n = line.substr(kMarker.size());
          while (!n.empty() && std::isspace(static_cast<unsigned char>(n.front()))) n.remove_prefix(1);
          while (!n.empty() && std::isspace(static_cast<unsigned char>(n.back()))) n.remove_suffix(1);
          name = std::string(n);
          continue;
        }
        if (!name.empty()) {
          body.append(line);
          body += '\n';
        }
      }
      flush();
    }
    return out;
  }();
  return queries;
}

const Query& query(std::string_view name) {
  const auto& all = all_queries();
  auto it = all.find(name);
  if (it == all.end()) throw internal_error("no query named '" + std::string(name) + "'");
  return it->second;
}

// ---- Row / Result ----

int Row::column_index(std::string_view column) const {
  int idx = PQfnumber(res_, std::string(column).c_str());
  if (idx < 0) throw internal_error("query result has no column '" + std::string(column) + "'");
  return idx;
}

bool Row::is_null(std::string_view column) const { return PQgetisnull(res_, row_, column_index(column)) != 0; }

std::string Row::text(std::string_view column) const {
  int idx = column_index(column);
  if (PQgetisnull(res_, row_, idx)) throw internal_error("column '" + std::string(column) + "' is NULL");
  return std::string(PQgetvalue(res_, row_, idx), static_cast<std::size_t>(PQgetlength(res_, row_, idx)));
}

std::int64_t Row::int64(std::string_view column) const {
  std::string t = text(column);
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (end == t.c_str() || *end != '\0') throw internal_error("column '" + std::string(column) + "' is not an integer");
  return v;
}

bool Row::boolean(std::string_view column) const { return text(column) == "t"; }

double Row::number(std::string_view column) const { return std::strtod(text(column).c_str(), nullptr); }

std::optional<std::string> Row::opt_text(std::string_view column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Row::opt_int64(std::string_view column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

nlohmann::json Row::to_json() const {
  nlohmann::json obj = nlohmann::json::object();
  int n = PQnfields(res_);
  for (int c = 0; c < n; ++c) {
    std::string key = PQfname(res_, c);
    if (PQgetisnull(res_, row_, c)) {
      obj[key] = nullptr;
      continue;
    }
    std::string v(PQgetvalue(res_, row_, c), static_cast<std::size_t>(PQgetlength(res_, row_, c)));
    switch (PQftype(res_, c)) {
      case kBoolOid: obj[key] = (v == "t"); break;
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid: obj[key] = std::strtoll(v.c_str(), nullptr, 10); break;
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid: obj[key] = std::strtod(v.c_str(), nullptr); break;
      case kJsonOid:
      case kJsonbOid: {
        auto parsed = nlohmann::json::parse(v, nullptr, false);
        obj[key] = parsed.is_discarded() ? nlohmann::json(v) : parsed;
        break;
      }
      case kTimestamptzOid: obj[key] = rfc3339(v); break;
      default: obj[key] = v;
    }
  }
  return obj;
}

std::int64_t Result::affected() const {
  const char* t = PQcmdTuples(res_.get());
  return (t == nullptr || *t == '\0') ? 0 : std::strtoll(t, nullptr, 10);
}

nlohmann::json Result::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (int i = 0; i < size(); ++i) arr.push_back((*this)[i].to_json());
  return arr;
}

// ---- Connection ----

Connection Connection::open(const ConnectOptions& options) {
  // Keywords override what the conninfo/URI says for these settings only.
  std::string timeout = std::to_string(options.connect_timeout_seconds);
  // Every session runs in UTC with ISO dates, so timestamps read the same everywhere.
  std::string pg_options = "-c TimeZone=UTC -c DateStyle=ISO";
  if (options.statement_timeout_ms > 0) pg_options += " -c statement_timeout=" + std::to_string(options.statement_timeout_ms);
  const char* keywords[] = {"dbname", "connect_timeout", "application_name", "options", nullptr};
  const char* values[] = {options.conninfo.c_str(), timeout.c_str(), options.application_name.c_str(),
                          pg_options.c_str(), nullptr};
  // expand_dbname=1: the "dbname" value may be a full conninfo string or URI. With an
  // empty conninfo, libpq falls back to PGHOST, PGDATABASE, ... as usual.
  PGconn* raw = PQconnectdbParams(keywords, values, 1);
  Connection conn(raw);
  if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
    std::string why = raw == nullptr ? "out of memory" : first_line(PQerrorMessage(raw));
    throw DbError(ErrorKind::kConnect, "cannot connect to the database: " + why, "08000", "");
  }
  PQsetNoticeReceiver(raw, &notice_to_log, nullptr);
  return conn;
}

void Connection::fail(const PGresult* res, std::string_view what) {
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  std::string msg = res != nullptr ? first_line(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)) : "";
  if (msg.empty()) msg = first_line(PQerrorMessage(conn_.get()));
  std::string sqlstate = state != nullptr ? state : "";
  ErrorKind kind = PQstatus(conn_.get()) != CONNECTION_OK ? ErrorKind::kConnect
                   : sqlstate.empty()                     ? ErrorKind::kOther
                                                          : classify_sqlstate(sqlstate);
  if (kind == ErrorKind::kSchema) msg += "; is the database migrated? run 'httvps migrate up'";
  throw DbError(kind, "database: " + msg + " (" + std::string(what) + ")", sqlstate,
                constraint != nullptr ? constraint : "");
}

Result Connection::exec(const Query& q, const Params& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.value() ? p.value()->c_str() : nullptr);
  PGresult* res = PQexecParams(conn_.get(), q.text().c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  Result result(res);
  auto status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(res, q.name());
  return result;
}

Result Connection::exec(std::string_view query_name, const Params& params) { return exec(query(query_name), params); }

void Connection::exec_migration_script(const sql::SqlFile& file) {
  std::string text(file.text);
  PGresult* res = PQexec(conn_.get(), text.c_str());
  Result result(res);
  auto status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(res, file.name);
}

void Connection::prepare_only(const Query& q) {
  PGresult* res = PQprepare(conn_.get(), "", q.text().c_str(), 0, nullptr);
  Result result(res);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) fail(res, q.name());
}

// ---- Transaction / locks ----

Transaction::Transaction(Connection& conn) : conn_(conn) { conn_.exec("tx_begin"); }

Transaction::~Transaction() {
  if (done_) return;
  // Best effort and no throwing from a destructor: a broken connection rolls back by itself.
  PGresult* res = PQexecParams(conn_.raw(), query("tx_rollback").text().c_str(), 0, nullptr, nullptr, nullptr,
                               nullptr, 0);
  PQclear(res);
}

void Transaction::commit() {
  conn_.exec("tx_commit");
  done_ = true;
}

AdvisoryLock AdvisoryLock::acquire(Connection& conn, std::int64_t key) {
  conn.exec("advisory_lock", {static_cast<long long>(key)});
  return AdvisoryLock(conn, key);
}

std::optional<AdvisoryLock> AdvisoryLock::try_acquire(Connection& conn, std::int64_t key) {
  Result r = conn.exec("advisory_try_lock", {static_cast<long long>(key)});
  if (!r[0].boolean("locked")) return std::nullopt;
  return AdvisoryLock(conn, key);
}

AdvisoryLock::~AdvisoryLock() {
  if (conn_ == nullptr) return;
  try {
    conn_->exec("advisory_unlock", {static_cast<long long>(key_)});
  } catch (const Failure&) {
    // The session is gone; the server released the lock with it.
  }
}

std::int64_t lock_key(std::string_view name) {
  std::string digest = crypto::sha256(name);
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(digest[static_cast<std::size_t>(i)]);
  return static_cast<std::int64_t>(v);
}

}  // namespace httvps::db
