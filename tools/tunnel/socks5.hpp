#pragma once
// The server side of SOCKS5 (RFC 1928) for httvps-client's local listener, as pure
// functions over the bytes received so far: the caller keeps reading into one buffer and
// calls the parser again until it stops saying kNeedMore. Only "no authentication
// required" and CONNECT are offered. On kOk the parser reports how many bytes it consumed;
// anything after them (a request pipelined behind the greeting, application data behind
// the request) belongs to the next stage and must be kept. Every function is noexcept
// (running out of memory terminates).
//
// Messages:  greeting  VER=5 NMETHODS=1..255 METHODS[NMETHODS]
//            request   VER=5 CMD RSV ATYP ADDR PORT(big-endian)
//            reply     VER=5 REP RSV=0 ATYP ADDR PORT
//            ADDR      ATYP 0x01: 4 bytes, 0x03: length 1..255 + name, 0x04: 16 bytes

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::tunnel {

enum class Socks5Status { kNeedMore, kOk, kError };

// REP codes of RFC 1928 section 6.
enum class Socks5Reply : std::uint8_t {
  kSucceeded = 0x00,
  kGeneralFailure = 0x01,
  kNotAllowed = 0x02,
  kNetworkUnreachable = 0x03,
  kHostUnreachable = 0x04,
  kConnectionRefused = 0x05,
  kTtlExpired = 0x06,
  kCommandNotSupported = 0x07,
  kAddressTypeNotSupported = 0x08,
};

enum class Socks5AddressType : std::uint8_t { kIpv4 = 0x01, kDomain = 0x03, kIpv6 = 0x04 };

inline constexpr std::uint8_t kSocks5Version = 0x05;
inline constexpr std::uint8_t kSocks5NoAuth = 0x00;
inline constexpr std::uint8_t kSocks5NoAcceptableMethod = 0xFF;
inline constexpr std::uint8_t kSocks5Connect = 0x01;
// The longest messages the parsers ever wait for: a buffer this long is always decided.
inline constexpr std::size_t kSocks5MaxGreetingSize = 2 + 255;
inline constexpr std::size_t kSocks5MaxRequestSize = 4 + 1 + 255 + 2;

struct Socks5Greeting {
  Socks5Status status = Socks5Status::kNeedMore;
  std::size_t consumed = 0;  // when kOk: the greeting's length
  // kOk: {5, 0x00}. kError: {5, 0xFF} when the client offered no usable method (send it,
  // then close), empty when it does not speak SOCKS5 at all (just close).
  std::vector<std::uint8_t> reply;
};

// Parses the greeting at the start of IN. kNeedMore until it is complete; kError as soon as
// the bytes so far rule it out (version not 5, zero methods, no 0x00 among the methods).
Socks5Greeting parse_greeting(std::span<const std::uint8_t> in) noexcept;

struct Socks5Target {
  Socks5AddressType type = Socks5AddressType::kIpv4;
  // Dotted IPv4, IPv6 text (as inet_ntop writes it, no brackets) or the domain's bytes as
  // the client sent them; the node resolves domains.
  std::string host;
  std::uint16_t port = 0;
  // ATYP, address and port exactly as received: already the Shadowsocks target header.
  std::vector<std::uint8_t> address;
};

struct Socks5Request {
  Socks5Status status = Socks5Status::kNeedMore;
  std::size_t consumed = 0;  // when kOk: the request's length
  Socks5Target target;       // when kOk
  // When kError: the reply to send before closing (REP 0x07 for a command other than
  // CONNECT, 0x08 for an unknown address type, 0x01 otherwise).
  std::vector<std::uint8_t> error_reply;
};

// Parses the request at the start of IN (the bytes after the greeting). kNeedMore until
// it is complete; kError as soon as the bytes so far rule it out. RSV is not checked.
Socks5Request parse_request(std::span<const std::uint8_t> in) noexcept;

// ATYP + address + big-endian PORT for HOST: dotted IPv4 -> 0x01, IPv6 (brackets allowed)
// -> 0x04, otherwise a domain name of 1-255 bytes -> 0x03; nullopt for an empty or longer
// name.
std::optional<std::vector<std::uint8_t>> encode_address(std::string_view host, std::uint16_t port) noexcept;

// A reply: VER 5, CODE, RSV 0, then BOUND_HOST:BOUND_PORT as encode_address writes it
// (0.0.0.0:0 when BOUND_HOST cannot be encoded).
std::vector<std::uint8_t> build_reply(Socks5Reply code, std::string_view bound_host,
                                      std::uint16_t bound_port) noexcept;
// The success reply after the upstream connected, with the address it is bound to.
std::vector<std::uint8_t> build_success_reply(std::string_view bound_host, std::uint16_t bound_port) noexcept;
// A failure reply (CODE 0x01-0x08) with the all-zero IPv4 bound address clients ignore.
std::vector<std::uint8_t> build_failure_reply(Socks5Reply code) noexcept;

}  // namespace httvps::tunnel
