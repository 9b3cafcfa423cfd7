// Fuzz target: the SOCKS5 server-side parsers. The input is parsed as a greeting and the
// bytes after it as a request, and also as a request on its own. Checked: a verdict never
// changes once the bytes that decided it have arrived (every shorter prefix of a message
// needs more, the message itself gives the same answer however much follows), consumed
// bytes stay within the input, a parsed address is exactly the bytes received and
// re-encodes to them, and an undecided input is shorter than the longest message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tunnel/socks5.hpp"

namespace {

using namespace httvps::tunnel;

void check_greeting(std::span<const std::uint8_t> in) {
  const Socks5Greeting g = parse_greeting(in);
  if (g.consumed > in.size()) __builtin_trap();
  switch (g.status) {
    case Socks5Status::kNeedMore:
      if (in.size() >= kSocks5MaxGreetingSize || !g.reply.empty()) __builtin_trap();
      return;
    case Socks5Status::kError:
      if (!g.reply.empty() && g.reply != std::vector<std::uint8_t>{5, 0xFF}) __builtin_trap();
      return;
    case Socks5Status::kOk:
      if (g.consumed != 2u + in[1] || g.reply != std::vector<std::uint8_t>{5, 0}) __builtin_trap();
      for (std::size_t k = 0; k < g.consumed; ++k) {
        if (parse_greeting(in.first(k)).status != Socks5Status::kNeedMore) __builtin_trap();
      }
      if (parse_greeting(in.first(g.consumed)).consumed != g.consumed) __builtin_trap();
      return;
  }
}

void check_request(std::span<const std::uint8_t> in) {
  const Socks5Request r = parse_request(in);
  if (r.consumed > in.size()) __builtin_trap();
  switch (r.status) {
    case Socks5Status::kNeedMore:
      if (in.size() >= kSocks5MaxRequestSize || r.consumed != 0) __builtin_trap();
      return;
    case Socks5Status::kError: {
      const auto& e = r.error_reply;
      if (e.size() != 10 || e[0] != 5 || (e[1] != 0x01 && e[1] != 0x07 && e[1] != 0x08)) __builtin_trap();
      return;
    }
    case Socks5Status::kOk:
      break;
  }
  const Socks5Target& t = r.target;
  if (r.consumed < 4 + 2 + 2 || r.consumed > kSocks5MaxRequestSize) __builtin_trap();  // 1-byte name
  const auto received = in.subspan(3, r.consumed - 3);
  if (!std::equal(t.address.begin(), t.address.end(), received.begin(), received.end())) {
    __builtin_trap();
  }
  if (t.port != (in[r.consumed - 2] << 8 | in[r.consumed - 1])) __builtin_trap();
  if (t.type == Socks5AddressType::kDomain) {
    if (t.host.empty() || t.host.size() != in[4]) __builtin_trap();
  } else if (encode_address(t.host, t.port) != t.address) {
    __builtin_trap();
  }
  for (std::size_t k = 0; k < r.consumed; ++k) {
    if (parse_request(in.first(k)).status != Socks5Status::kNeedMore) __builtin_trap();
  }
  const Socks5Request again = parse_request(in.first(r.consumed));
  if (again.status != Socks5Status::kOk || again.target.address != t.address || again.target.host != t.host) {
    __builtin_trap();
  }
  // The host goes back out in a success reply: an address exactly as received, a name as
  // itself unless its text is an IP address.
  const auto reply = build_success_reply(t.host, t.port);
  if (reply.size() < 3 + 1 + 1 + 1 + 2 || reply[0] != 5 || reply[1] != 0 || reply[2] != 0) {
    __builtin_trap();
  }
  if (t.type != Socks5AddressType::kDomain &&
      !std::equal(reply.begin() + 3, reply.end(), t.address.begin(), t.address.end())) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  check_greeting(in);
  const Socks5Greeting g = parse_greeting(in);
  if (g.status == Socks5Status::kOk) check_request(in.subspan(g.consumed));
  check_request(in);
  return 0;
}
