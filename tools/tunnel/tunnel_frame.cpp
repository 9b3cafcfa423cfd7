#include "tunnel/tunnel_frame.hpp"

#include <algorithm>
#include <cstring>

namespace httvps::tunnel {
namespace {

std::uint32_t read_u32(const std::uint8_t* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

void write_u32(std::uint8_t* p, std::uint32_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::span<const std::uint8_t> as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void append_hex(std::string& out, std::uint16_t v) {
  constexpr char kDigits[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    auto d = static_cast<std::size_t>((v >> shift) & 0xF);
    if (d != 0 || started || shift == 0) {
      out += kDigits[d];
      started = true;
    }
  }
}

// RFC 5952: lowercase, no leading zeros, the longest run (2+) of zero groups as "::".
std::string format_ipv6(const std::uint8_t* b) {
  std::uint16_t g[8];
  for (std::size_t i = 0; i < 8; ++i) g[i] = static_cast<std::uint16_t>((b[2 * i] << 8) | b[2 * i + 1]);
  std::size_t best = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best = 8;
  std::string out;
  for (std::size_t i = 0; i < 8;) {
    if (i == best) {
      out += "::";
      i += best_len;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    append_hex(out, g[i]);
    ++i;
  }
  return out;
}

bool is_valid_domain(std::string_view d) noexcept {
  return !d.empty() && d.size() <= 255 &&
         std::all_of(d.begin(), d.end(), [](char c) { return c != '\0' && static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

// ---- Header ------------------------------------------------------------------------------

bool is_known_frame_type(FrameType type) noexcept {
  switch (type) {
    case FrameType::kHello:
    case FrameType::kWelcome:
    case FrameType::kRefuse:
    case FrameType::kOpen:
    case FrameType::kOpened:
    case FrameType::kOpenFailed:
    case FrameType::kData:
    case FrameType::kCredit:
    case FrameType::kFin:
    case FrameType::kReset:
    case FrameType::kGoaway:
    case FrameType::kLimits:
      return true;
  }
  return false;
}

bool is_connection_frame_type(FrameType type) noexcept {
  switch (type) {
    case FrameType::kHello:
    case FrameType::kWelcome:
    case FrameType::kRefuse:
    case FrameType::kGoaway:
    case FrameType::kLimits:
      return true;
    default:
      return false;
  }
}

std::string_view frame_type_name(FrameType type) noexcept {
  switch (type) {
    case FrameType::kHello: return "HELLO";
    case FrameType::kWelcome: return "WELCOME";
    case FrameType::kRefuse: return "REFUSE";
    case FrameType::kOpen: return "OPEN";
    case FrameType::kOpened: return "OPENED";
    case FrameType::kOpenFailed: return "OPEN_FAILED";
    case FrameType::kData: return "DATA";
    case FrameType::kCredit: return "CREDIT";
    case FrameType::kFin: return "FIN";
    case FrameType::kReset: return "RESET";
    case FrameType::kGoaway: return "GOAWAY";
    case FrameType::kLimits: return "LIMITS";
  }
  return "unknown";
}

std::uint8_t default_flags(FrameType type) noexcept { return type == FrameType::kLimits ? kFlagIgnorable : 0; }

std::string_view describe(FrameError error) noexcept {
  switch (error) {
    case FrameError::kNone: return "no error";
    case FrameError::kTooLong: return "payload over 1 MiB";
    case FrameError::kUnknownType: return "unknown frame type without IGNORABLE";
    case FrameError::kBadFlags: return "undefined flag bits";
    case FrameError::kBadStream: return "frame on the wrong stream";
    case FrameError::kBadLength: return "payload size impossible for the frame type";
  }
  return "unknown error";
}

FrameError check_tunnel_header(FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                               std::uint32_t length) noexcept {
  if (length > kMaxTunnelPayload) return FrameError::kTooLong;
  if (!is_known_frame_type(type)) {
    // Its flags and stream mean what the future type says; only IGNORABLE matters here.
    return (flags & kFlagIgnorable) != 0 ? FrameError::kNone : FrameError::kUnknownType;
  }
  if ((flags & ~kFlagIgnorable) != 0) return FrameError::kBadFlags;
  if (is_connection_frame_type(type) ? stream_id != 0 : (stream_id == 0 || stream_id > kMaxStreamId)) {
    return FrameError::kBadStream;
  }
  switch (type) {
    case FrameType::kOpened:
    case FrameType::kFin:
      if (length != 0) return FrameError::kBadLength;
      break;
    case FrameType::kCredit:
      if (length != 4) return FrameError::kBadLength;
      break;
    case FrameType::kOpenFailed:
    case FrameType::kReset:
      if (length == 0) return FrameError::kBadLength;
      break;
    case FrameType::kHello:
      if (length > kMaxHelloPayload) return FrameError::kBadLength;
      break;
    default:
      break;
  }
  return FrameError::kNone;
}

ParseStatus parse_tunnel_frame(std::span<const std::uint8_t> in, TunnelFrame& out, FrameError& error) noexcept {
  if (in.size() < kTunnelHeaderSize) return ParseStatus::kNeedMore;
  const auto type = static_cast<FrameType>(in[0]);
  const std::uint8_t flags = in[1];
  const std::uint32_t stream_id = read_u32(in.data() + 4);
  const std::uint32_t length = read_u32(in.data() + 8);
  if (FrameError e = check_tunnel_header(type, flags, stream_id, length); e != FrameError::kNone) {
    error = e;
    return ParseStatus::kError;
  }
  if (in.size() - kTunnelHeaderSize < length) return ParseStatus::kNeedMore;
  out.type = type;
  out.flags = flags;
  out.stream_id = stream_id;
  out.payload = in.subspan(kTunnelHeaderSize, length);
  out.size = kTunnelHeaderSize + length;
  return ParseStatus::kOk;
}

ParseStatus parse_tunnel_frame(std::span<const std::uint8_t> in, TunnelFrame& out) noexcept {
  FrameError ignored = FrameError::kNone;
  return parse_tunnel_frame(in, out, ignored);
}

std::size_t write_tunnel_header(std::span<std::uint8_t, kTunnelHeaderSize> out, FrameType type, std::uint8_t flags,
                                std::uint32_t stream_id, std::uint32_t length) noexcept {
  if (check_tunnel_header(type, flags, stream_id, length) != FrameError::kNone) return 0;
  out[0] = static_cast<std::uint8_t>(type);
  out[1] = flags;
  out[2] = 0;
  out[3] = 0;
  write_u32(out.data() + 4, stream_id);
  write_u32(out.data() + 8, length);
  return kTunnelHeaderSize;
}

bool append_tunnel_frame(std::vector<std::uint8_t>& out, FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                         std::span<const std::uint8_t> payload) noexcept {
  if (payload.size() > kMaxTunnelPayload) return false;
  std::array<std::uint8_t, kTunnelHeaderSize> header{};
  const auto length = static_cast<std::uint32_t>(payload.size());
  if (write_tunnel_header(header, type, flags, stream_id, length) == 0) return false;
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return true;
}

bool append_json_frame(std::vector<std::uint8_t>& out, FrameType type, std::string_view json) noexcept {
  if (!is_connection_frame_type(type)) return false;
  return append_tunnel_frame(out, type, default_flags(type), 0, as_bytes(json));
}

std::string_view payload_text(const TunnelFrame& frame) noexcept {
  return {reinterpret_cast<const char*>(frame.payload.data()), frame.payload.size()};
}

// ---- OPEN ----------------------------------------------------------------------------------

bool parse_target_address(std::span<const std::uint8_t> payload, TargetAddress& out) noexcept {
  if (payload.empty()) return false;
  std::size_t at = 1;
  TargetAddress a;
  a.type = static_cast<AddressType>(payload[0]);
  switch (a.type) {
    case AddressType::kIpv4:
    case AddressType::kIpv6: {
      const std::size_t n = a.type == AddressType::kIpv4 ? 4 : 16;
      if (payload.size() != 1 + n + 2) return false;
      std::memcpy(a.ip.data(), payload.data() + 1, n);
      at += n;
      break;
    }
    case AddressType::kDomain: {
      if (payload.size() < 2) return false;
      const std::size_t n = payload[1];
      if (payload.size() != 2 + n + 2) return false;
      a.domain.assign(reinterpret_cast<const char*>(payload.data()) + 2, n);
      if (!is_valid_domain(a.domain)) return false;
      at += 1 + n;
      break;
    }
    default:
      return false;
  }
  a.port = static_cast<std::uint16_t>((payload[at] << 8) | payload[at + 1]);
  if (a.port == 0) return false;
  out = std::move(a);
  return true;
}

bool append_target_address(std::vector<std::uint8_t>& out, const TargetAddress& address) noexcept {
  if (address.port == 0) return false;
  switch (address.type) {
    case AddressType::kIpv4:
    case AddressType::kIpv6: {
      const std::size_t n = address.type == AddressType::kIpv4 ? 4 : 16;
      out.push_back(static_cast<std::uint8_t>(address.type));
      out.insert(out.end(), address.ip.begin(), address.ip.begin() + static_cast<std::ptrdiff_t>(n));
      break;
    }
    case AddressType::kDomain: {
      if (!is_valid_domain(address.domain)) return false;
      out.push_back(static_cast<std::uint8_t>(address.type));
      out.push_back(static_cast<std::uint8_t>(address.domain.size()));
      auto b = as_bytes(address.domain);
      out.insert(out.end(), b.begin(), b.end());
      break;
    }
    default:
      return false;
  }
  out.push_back(static_cast<std::uint8_t>(address.port >> 8));
  out.push_back(static_cast<std::uint8_t>(address.port & 0xFF));
  return true;
}

std::string format_target_address(const TargetAddress& address) noexcept {
  std::string out;
  switch (address.type) {
    case AddressType::kIpv4:
      for (std::size_t i = 0; i < 4; ++i) {
        if (i > 0) out += '.';
        out += std::to_string(address.ip[i]);
      }
      break;
    case AddressType::kIpv6:
      out = "[" + format_ipv6(address.ip.data()) + "]";
      break;
    case AddressType::kDomain:
      out = address.domain;
      break;
    default:
      out = "?";
  }
  out += ':';
  out += std::to_string(address.port);
  return out;
}

// ---- CREDIT --------------------------------------------------------------------------------

bool parse_credit(std::span<const std::uint8_t> payload, std::uint32_t& increment) noexcept {
  if (payload.size() != 4) return false;
  std::uint32_t v = read_u32(payload.data());
  if (v == 0) return false;
  increment = v;
  return true;
}

std::array<std::uint8_t, 4> credit_payload(std::uint32_t increment) noexcept {
  std::array<std::uint8_t, 4> out{};
  write_u32(out.data(), increment);
  return out;
}

// ---- Reasons -------------------------------------------------------------------------------

StreamReason stream_reason_from_code(std::uint8_t code) noexcept {
  return code <= static_cast<std::uint8_t>(StreamReason::kGoingAway) ? static_cast<StreamReason>(code)
                                                                      : StreamReason::kNone;
}

std::string_view stream_reason_name(StreamReason reason) noexcept {
  switch (reason) {
    case StreamReason::kNone: return "none";
    case StreamReason::kProtocol: return "protocol";
    case StreamReason::kRefused: return "refused";
    case StreamReason::kUnreachable: return "unreachable";
    case StreamReason::kTimeout: return "timeout";
    case StreamReason::kQuota: return "quota";
    case StreamReason::kNotAllowed: return "not_allowed";
    case StreamReason::kUpstream: return "upstream";
    case StreamReason::kFlowControl: return "flow_control";
    case StreamReason::kTooManyStreams: return "too_many_streams";
    case StreamReason::kGoingAway: return "going_away";
  }
  return "none";
}

bool parse_reason_payload(std::span<const std::uint8_t> payload, ReasonPayload& out) noexcept {
  if (payload.empty()) return false;
  auto text = payload.subspan(1);
  if (!is_valid_utf8(text)) return false;
  out.code = payload[0];
  out.reason = stream_reason_from_code(payload[0]);
  out.text = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
  return true;
}

bool append_reason_payload(std::vector<std::uint8_t>& out, StreamReason reason, std::string_view text) noexcept {
  if (text.size() >= kMaxTunnelPayload || !is_valid_utf8(text)) return false;
  out.push_back(static_cast<std::uint8_t>(reason));
  auto b = as_bytes(text);
  out.insert(out.end(), b.begin(), b.end());
  return true;
}

// ---- StreamWindow --------------------------------------------------------------------------

StreamWindow::StreamWindow(std::uint32_t send_credit, std::uint32_t receive_window) noexcept
    : credit_(std::min(send_credit, kMaxOutstandingCredit)),
      window_(std::clamp<std::uint32_t>(receive_window, 1, kMaxWindow)),
      peer_credit_(window_) {}

bool StreamWindow::consume(std::uint32_t n) noexcept {
  if (n > credit_) return false;
  credit_ -= n;
  return true;
}

bool StreamWindow::on_credit(std::uint32_t increment) noexcept {
  if (increment == 0 || increment > kMaxOutstandingCredit - credit_) return false;
  credit_ += increment;
  return true;
}

bool StreamWindow::on_data(std::uint32_t n) noexcept {
  if (n > peer_credit_) return false;
  peer_credit_ -= n;
  buffered_ += n;
  return true;
}

std::uint32_t StreamWindow::grant_pending() noexcept {
  const std::uint32_t grant = pending_;
  peer_credit_ += grant;
  pending_ = 0;
  return grant;
}

std::uint32_t StreamWindow::bytes_consumed(std::uint32_t n) noexcept {
  n = std::min(n, buffered_);
  buffered_ -= n;
  pending_ += n;
  epoch_consumed_ += n;
  // Half the window, rounded up, so that a window of 1 byte still waits for its byte.
  if (pending_ == 0 || pending_ < window_ - window_ / 2) return 0;
  return grant_pending();
}

std::uint32_t StreamWindow::grow(std::chrono::nanoseconds rtt, std::chrono::nanoseconds elapsed) noexcept {
  if (!full_window_consumed()) return 0;
  epoch_consumed_ = 0;
  const auto zero = std::chrono::nanoseconds::zero();
  if (rtt <= zero || elapsed < zero || elapsed / 2 >= rtt || window_ >= kMaxWindow) return 0;  // no overflow
  const std::uint32_t growth = std::min(window_, kMaxWindow - window_);
  window_ += growth;
  pending_ += growth;
  return grant_pending();
}

}  // namespace httvps::tunnel
