#include "tunnel/socks5.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace httvps::tunnel {
namespace {

constexpr std::size_t kIpv4Size = 4;
constexpr std::size_t kIpv6Size = 16;
constexpr std::size_t kMaxDomainSize = 255;

Socks5Request request_error(Socks5Reply code) noexcept {
  Socks5Request r;
  r.status = Socks5Status::kError;
  r.error_reply = build_failure_reply(code);
  return r;
}

void put_port(std::vector<std::uint8_t>& out, std::uint16_t port) noexcept {
  out.push_back(static_cast<std::uint8_t>(port >> 8));
  out.push_back(static_cast<std::uint8_t>(port & 0xFF));
}

}  // namespace

Socks5Greeting parse_greeting(std::span<const std::uint8_t> in) noexcept {
  Socks5Greeting g;
  if (in.empty()) return g;
  if (in[0] != kSocks5Version) {
    g.status = Socks5Status::kError;  // not SOCKS5 (often SOCKS4 or HTTP): nothing to say
    return g;
  }
  if (in.size() < 2) return g;
  const std::size_t methods = in[1];
  if (methods == 0) {
    g.status = Socks5Status::kError;
    g.reply = {kSocks5Version, kSocks5NoAcceptableMethod};
    return g;
  }
  if (in.size() < 2 + methods) return g;
  const auto offered = in.subspan(2, methods);
  const bool no_auth = std::find(offered.begin(), offered.end(), kSocks5NoAuth) != offered.end();
  g.status = no_auth ? Socks5Status::kOk : Socks5Status::kError;
  g.consumed = no_auth ? 2 + methods : 0;
  g.reply = {kSocks5Version, no_auth ? kSocks5NoAuth : kSocks5NoAcceptableMethod};
  return g;
}

Socks5Request parse_request(std::span<const std::uint8_t> in) noexcept {
  Socks5Request r;
  if (in.empty()) return r;
  if (in[0] != kSocks5Version) return request_error(Socks5Reply::kGeneralFailure);
  if (in.size() < 2) return r;
  // Decided before the address: BIND and UDP ASSOCIATE are refused whatever follows.
  if (in[1] != kSocks5Connect) return request_error(Socks5Reply::kCommandNotSupported);
  if (in.size() < 4) return r;
  const std::uint8_t atyp = in[3];
  std::size_t address_size = 0;  // bytes after ATYP, before the port
  switch (atyp) {
    case static_cast<std::uint8_t>(Socks5AddressType::kIpv4):
      address_size = kIpv4Size;
      break;
    case static_cast<std::uint8_t>(Socks5AddressType::kIpv6):
      address_size = kIpv6Size;
      break;
    case static_cast<std::uint8_t>(Socks5AddressType::kDomain):
      if (in.size() < 5) return r;
      if (in[4] == 0) return request_error(Socks5Reply::kGeneralFailure);
      address_size = 1 + static_cast<std::size_t>(in[4]);
      break;
    default:
      return request_error(Socks5Reply::kAddressTypeNotSupported);
  }
  const std::size_t total = 4 + address_size + 2;
  if (in.size() < total) return r;

  Socks5Target& t = r.target;
  t.type = static_cast<Socks5AddressType>(atyp);
  t.port = static_cast<std::uint16_t>(in[total - 2] << 8 | in[total - 1]);
  t.address.assign(in.begin() + 3, in.begin() + static_cast<std::ptrdiff_t>(total));
  const std::uint8_t* addr = in.data() + 4;
  if (t.type == Socks5AddressType::kDomain) {
    t.host.assign(reinterpret_cast<const char*>(addr + 1), in[4]);
  } else {
    char text[INET6_ADDRSTRLEN] = {};
    const int family = t.type == Socks5AddressType::kIpv4 ? AF_INET : AF_INET6;
    if (inet_ntop(family, addr, text, sizeof text) == nullptr) return request_error(Socks5Reply::kGeneralFailure);
    t.host = text;
  }
  r.status = Socks5Status::kOk;
  r.consumed = total;
  return r;
}

std::optional<std::vector<std::uint8_t>> encode_address(std::string_view host, std::uint16_t port) noexcept {
  std::vector<std::uint8_t> out;
  // inet_pton needs a NUL-terminated string; anything longer than a domain is refused anyway.
  if (host.empty() || host.size() > kMaxDomainSize) return std::nullopt;
  std::string text(host);
  std::array<std::uint8_t, kIpv6Size> ip{};
  std::string_view unbracketed = host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') unbracketed = host.substr(1, host.size() - 2);
  const std::string v6(unbracketed);
  if (inet_pton(AF_INET, text.c_str(), ip.data()) == 1) {
    out.push_back(static_cast<std::uint8_t>(Socks5AddressType::kIpv4));
    out.insert(out.end(), ip.begin(), ip.begin() + kIpv4Size);
  } else if (inet_pton(AF_INET6, v6.c_str(), ip.data()) == 1) {
    out.push_back(static_cast<std::uint8_t>(Socks5AddressType::kIpv6));
    out.insert(out.end(), ip.begin(), ip.end());
  } else {
    out.push_back(static_cast<std::uint8_t>(Socks5AddressType::kDomain));
    out.push_back(static_cast<std::uint8_t>(host.size()));
    out.insert(out.end(), host.begin(), host.end());
  }
  put_port(out, port);
  return out;
}

std::vector<std::uint8_t> build_reply(Socks5Reply code, std::string_view bound_host,
                                      std::uint16_t bound_port) noexcept {
  auto address = encode_address(bound_host, bound_port);
  if (!address) address = encode_address("0.0.0.0", 0);
  std::vector<std::uint8_t> out{kSocks5Version, static_cast<std::uint8_t>(code), 0x00};
  out.insert(out.end(), address->begin(), address->end());
  return out;
}

std::vector<std::uint8_t> build_success_reply(std::string_view bound_host, std::uint16_t bound_port) noexcept {
  return build_reply(Socks5Reply::kSucceeded, bound_host, bound_port);
}

std::vector<std::uint8_t> build_failure_reply(Socks5Reply code) noexcept { return build_reply(code, "0.0.0.0", 0); }

}  // namespace httvps::tunnel
