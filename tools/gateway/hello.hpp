#pragma once
// HELLO's JSON payload (docs/protocol.md §4), checked as a pure function so that tests and
// the fuzz target reach every rule. No exceptions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace httvps::gateway {

struct Hello {
  std::string token;
  std::string hwid;    // empty when absent or null
  std::string client;  // for logs; empty when absent
  std::optional<std::uint32_t> window;
};

// Parses TEXT; nullopt with ERROR (for the close reason) when it breaks a rule: not a JSON
// object, token not a string of 4-200 characters, hwid not null or a string of 1-256,
// client not a string of at most 100, window not an integer from 16384 to 16777216.
// Members it does not know are ignored (§10).
std::optional<Hello> parse_hello(std::string_view text, std::string& error) noexcept;

}  // namespace httvps::gateway
