#pragma once
// Failure: the one exception type of the short-lived binaries. It carries an exit code,
// a message that names what was wrong, and optionally the input field at fault. The
// start-up path turns it into an exit code and stderr text (CLI) or a problem+json
// response (CGI). The gateway's data path does not throw.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/exit_code.hpp"

namespace httvps {

class Failure : public std::runtime_error {
 public:
  Failure(ExitCode code, std::string message, std::string field = {})
      : std::runtime_error(std::move(message)), code_(code), field_(std::move(field)) {}

  ExitCode code() const noexcept { return code_; }
  const std::string& field() const noexcept { return field_; }
  // Seconds a client should wait before retrying (rate limits); 0 when not applicable.
  int retry_after() const noexcept { return retry_after_; }
  Failure& with_retry_after(int seconds) {
    retry_after_ = seconds;
    return *this;
  }
  // Extra HTTP headers for the CGI answer (X-RateLimit-*, Allow, ...).
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }
  Failure& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

 private:
  ExitCode code_;
  std::string field_;
  int retry_after_ = 0;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// Shorthands that read well at call sites: throw usage_error("...", "field").
inline Failure usage_error(std::string message, std::string field = {}) {
  return Failure(ExitCode::kUsage, std::move(message), std::move(field));
}
inline Failure not_found(std::string message) {
  return Failure(ExitCode::kNotFound, std::move(message));
}
inline Failure conflict(std::string message, std::string field = {}) {
  return Failure(ExitCode::kConflict, std::move(message), std::move(field));
}
inline Failure config_error(std::string message) {
  return Failure(ExitCode::kConfig, std::move(message));
}
inline Failure internal_error(std::string message) {
  return Failure(ExitCode::kInternal, std::move(message));
}

}  // namespace httvps
