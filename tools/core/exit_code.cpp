#include "core/exit_code.hpp"

#include <array>
#include <cstdlib>

namespace httvps {
namespace {

constexpr std::array kTable = {
    ExitCodeInfo{ExitCode::kOk, "ok", 200, "OK", "success"},
    ExitCodeInfo{ExitCode::kRefused, "refused", 403, "Forbidden",
                 "negative verdict: the request was understood and refused"},
    ExitCodeInfo{ExitCode::kUsage, "usage", 400, "Bad Request",
                 "bad flags, arguments or request body"},
    ExitCodeInfo{ExitCode::kNotFound, "not_found", 404, "Not Found",
                 "the named object does not exist"},
    ExitCodeInfo{ExitCode::kConflict, "conflict", 409, "Conflict",
                 "the object exists already or a constraint forbids the change"},
    ExitCodeInfo{ExitCode::kUnauthorized, "unauthorized", 401, "Unauthorized",
                 "missing or wrong credential"},
    ExitCodeInfo{ExitCode::kForbidden, "forbidden", 403, "Forbidden",
                 "the caller's role does not allow this"},
    ExitCodeInfo{ExitCode::kRateLimited, "rate_limited", 429, "Too Many Requests",
                 "too many attempts; retry after the indicated time"},
    ExitCodeInfo{ExitCode::kTooLarge, "too_large", 413, "Content Too Large",
                 "input larger than the configured limit"},
    ExitCodeInfo{ExitCode::kMethodNotAllowed, "method_not_allowed", 405, "Method Not Allowed",
                 "the endpoint exists but not with this HTTP method"},
    ExitCodeInfo{ExitCode::kInternal, "internal", 500, "Internal Server Error",
                 "internal error (a bug): report it"},
    ExitCodeInfo{ExitCode::kTempFail, "temp_failure", 503, "Service Unavailable",
                 "temporary failure (database unreachable): retry later"},
    ExitCodeInfo{ExitCode::kConfig, "config", 500, "Internal Server Error",
                 "invalid configuration"},
};

}  // namespace

std::span<const ExitCodeInfo> exit_code_table() { return kTable; }

const ExitCodeInfo& exit_code_info(ExitCode code) {
  for (const auto& row : kTable) {
    if (row.code == code) return row;
  }
  std::abort();  // cannot happen: every enumerator has a row (tested)
}

int http_status(ExitCode code) { return exit_code_info(code).http_status; }

std::string_view exit_code_name(ExitCode code) { return exit_code_info(code).name; }

}  // namespace httvps
