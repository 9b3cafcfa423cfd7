#include "core/hostport.hpp"

namespace httvps {

std::optional<HostPort> parse_host_port(std::string_view text) noexcept {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.empty() || host.find(':') == std::string_view::npos) return std::nullopt;
    for (char c : host) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return std::nullopt;
    }
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty() || host.size() > 253) return std::nullopt;
    for (char c : host) {
      auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7F || c == '[' || c == ']' || c == ':' || c == '/') return std::nullopt;
    }
  }
  if (port.empty() || port.size() > 5 || (port.size() > 1 && port[0] == '0')) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string format_host_port(const HostPort& hp) {
  if (hp.host.find(':') != std::string::npos) return "[" + hp.host + "]:" + std::to_string(hp.port);
  return hp.host + ":" + std::to_string(hp.port);
}

}  // namespace httvps
