#pragma once
// The one exit-code table of httvps, and its one mapping to HTTP status.
// Every binary exits with one of these codes; in CGI mode the same code becomes the HTTP
// status through http_status(). docs/exit-codes.md documents the table; a test checks that
// the two agree.

#include <span>
#include <string_view>

namespace httvps {

enum class ExitCode : int {
  kOk = 0,               // success
  kRefused = 1,          // a negative verdict: the device may not connect, the check failed
  kUsage = 2,            // bad flags, bad arguments, malformed request
  kNotFound = 3,         // the named thing does not exist
  kConflict = 4,         // it exists already, or a constraint forbids the change
  kUnauthorized = 5,     // missing or wrong credential
  kForbidden = 6,        // authenticated, but the role may not do this
  kRateLimited = 7,      // too many attempts; retry later
  kTooLarge = 8,         // request body or input over its limit
  kMethodNotAllowed = 9, // CGI only: the path exists but not with this method
  kInternal = 70,        // a bug or an unexpected state (sysexits EX_SOFTWARE)
  kTempFail = 75,        // temporary failure worth retrying: database unreachable (EX_TEMPFAIL)
  kConfig = 78,          // the configuration is invalid (EX_CONFIG)
};

struct ExitCodeInfo {
  ExitCode code;
  std::string_view name;         // stable machine-readable name, used in JSON errors
  int http_status;               // status of a CGI response carrying this code
  std::string_view http_title;   // problem+json title
  std::string_view meaning;      // one line for docs and --help
};

// Every code with its name, HTTP status and meaning, in table order.
std::span<const ExitCodeInfo> exit_code_table();

// The row for a code. Every enumerator has exactly one row.
const ExitCodeInfo& exit_code_info(ExitCode code);

// The HTTP status for an exit code (the one place that maps them).
int http_status(ExitCode code);

// The stable name of an exit code ("temp_failure", ...).
std::string_view exit_code_name(ExitCode code);

}  // namespace httvps
