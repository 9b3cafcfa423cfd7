#pragma once
// The `validate-device` command line: the verdict as the exit code (0 allowed, 1 refused,
// anything else an error), the answer on stdout.

#include <optional>
#include <string>

#include "core/app.hpp"

namespace httvps::access {

struct ValidateOptions {
  std::string token;  // the device's gateway token; "-" reads it from standard input
  std::optional<std::string> hwid;
  bool dry_run = false;
};

int run_validate_cli(Context& ctx, const ValidateOptions& options);

}  // namespace httvps::access
