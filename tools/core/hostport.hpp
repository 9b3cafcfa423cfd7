#pragma once
// "HOST:PORT" as configuration and command lines write listen and target addresses:
// "127.0.0.1:8443", "[::1]:8443", "gw.example.net:443". Pure functions, no exceptions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace httvps {

struct HostPort {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
};

// Parses HOST:PORT. HOST is a bracketed IPv6 address, or 1-253 characters without
// spaces, control bytes, brackets or colons; PORT is 1-65535 in decimal without sign or
// leading zeros. nullopt otherwise.
std::optional<HostPort> parse_host_port(std::string_view text) noexcept;

// The inverse: "[::1]:8443" for hosts that contain a colon.
std::string format_host_port(const HostPort& hp);

}  // namespace httvps
