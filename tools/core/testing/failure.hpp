#pragma once
// Test helper: the exit code a call fails with, kOk when it does not fail.

#include <functional>

#include "core/error.hpp"

namespace httvps::testing {

inline ExitCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.code();
  }
  return ExitCode::kOk;
}

}  // namespace httvps::testing
