#pragma once
// Tunnel frames of httvps.v1 (docs/protocol.md §3-7): the 12-byte header, the binary
// payloads (OPEN's target address, CREDIT, the reason of OPEN_FAILED and RESET) and the
// per-stream flow-control arithmetic of §5. HELLO, WELCOME, REFUSE, GOAWAY and LIMITS
// carry JSON, which is parsed elsewhere; here they are bytes.
//
// Pure code: no sockets, no clocks, no exceptions (every function is noexcept; running
// out of memory terminates). Rules that need connection state (OPEN ids increasing,
// frames allowed before WELCOME, direction of a frame, dead streams after RESET) belong
// to the connection's state machine, not to this file.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tunnel/ws_frame.hpp"

namespace httvps::tunnel {

inline constexpr std::string_view kSubprotocol = "httvps.v1";
inline constexpr std::size_t kTunnelHeaderSize = 12;
inline constexpr std::uint32_t kMaxTunnelPayload = 1u << 20;
// The largest WebSocket message (one frame of the largest payload); beyond it, 1009.
inline constexpr std::uint64_t kMaxTunnelMessage = kMaxTunnelPayload + kTunnelHeaderSize;
inline constexpr std::uint32_t kMaxHelloPayload = 4096;
inline constexpr std::uint32_t kMaxStreamId = 0x7FFFFFFF;
inline constexpr std::uint8_t kFlagIgnorable = 0x80;

enum class FrameType : std::uint8_t {
  kHello = 0x01,
  kWelcome = 0x02,
  kRefuse = 0x03,
  kOpen = 0x10,
  kOpened = 0x11,
  kOpenFailed = 0x12,
  kData = 0x20,
  kCredit = 0x21,
  kFin = 0x30,
  kReset = 0x31,
  kGoaway = 0x40,
  kLimits = 0x41,
};

bool is_known_frame_type(FrameType type) noexcept;
// True for the types that live on stream 0 (HELLO, WELCOME, REFUSE, GOAWAY, LIMITS).
bool is_connection_frame_type(FrameType type) noexcept;
// "DATA", "OPEN_FAILED", ...; "unknown" for types v1 does not define.
std::string_view frame_type_name(FrameType type) noexcept;
// The flags a sender sets: IGNORABLE for LIMITS, none for the rest.
std::uint8_t default_flags(FrameType type) noexcept;

// Why a frame header was refused; every one means close 4002. For logs and metrics.
enum class FrameError : std::uint8_t {
  kNone,
  kTooLong,      // payload length over 1 MiB
  kUnknownType,  // a type v1 does not define, without IGNORABLE
  kBadFlags,     // a flag other than IGNORABLE on a v1 type
  kBadStream,    // stream 0 for a stream frame, non-zero for a connection frame, id >= 2^31
  kBadLength,    // a payload size the type cannot have (OPENED/FIN not empty, CREDIT not
                 // 4 bytes, OPEN_FAILED/RESET empty, HELLO over 4 KiB)
};
std::string_view describe(FrameError error) noexcept;

struct TunnelFrame {
  FrameType type = FrameType::kData;  // may hold a type v1 does not define (see known())
  std::uint8_t flags = 0;
  std::uint32_t stream_id = 0;
  std::span<const std::uint8_t> payload;  // a view into the parsed bytes
  std::size_t size = 0;                   // header + payload: where the next frame starts

  // False for an unknown IGNORABLE frame, which the receiver skips.
  bool known() const noexcept { return is_known_frame_type(type); }
};

// The checks of the header that need nothing but the header. kNone when acceptable.
FrameError check_tunnel_header(FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                               std::uint32_t length) noexcept;

// Parses the frame at the start of IN (the rest of one WebSocket message). kNeedMore:
// fewer than 12 bytes, or the payload is cut short (within a message that is an error
// the caller closes with 4002: frames do not span messages). kOk: OUT views the frame in
// IN. kError: ERROR says which rule; close 4002. The reserved bytes are ignored. Errors
// visible in the header are reported before the payload is complete.
ParseStatus parse_tunnel_frame(std::span<const std::uint8_t> in, TunnelFrame& out, FrameError& error) noexcept;
ParseStatus parse_tunnel_frame(std::span<const std::uint8_t> in, TunnelFrame& out) noexcept;

// Writes a header (reserved bytes zero). Returns 12, or 0 when check_tunnel_header
// refuses it: what is written always parses.
std::size_t write_tunnel_header(std::span<std::uint8_t, kTunnelHeaderSize> out, FrameType type, std::uint8_t flags,
                                std::uint32_t stream_id, std::uint32_t length) noexcept;
// Appends header and payload to OUT; false (OUT unchanged) when the header is refused.
bool append_tunnel_frame(std::vector<std::uint8_t>& out, FrameType type, std::uint8_t flags, std::uint32_t stream_id,
                         std::span<const std::uint8_t> payload) noexcept;
// A JSON-carrying frame on stream 0 with default_flags(TYPE).
bool append_json_frame(std::vector<std::uint8_t>& out, FrameType type, std::string_view json) noexcept;
// The payload as text (the JSON of HELLO, WELCOME, REFUSE, GOAWAY, LIMITS).
std::string_view payload_text(const TunnelFrame& frame) noexcept;

// ---- OPEN: the target address, SOCKS5 form (RFC 1928 §5), §6 -----------------------------

enum class AddressType : std::uint8_t { kIpv4 = 0x01, kDomain = 0x03, kIpv6 = 0x04 };

struct TargetAddress {
  AddressType type = AddressType::kIpv4;
  std::array<std::uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  std::string domain;                 // kDomain: 1-255 ASCII bytes, no NUL
  std::uint16_t port = 0;             // 1-65535
};

// Parses OPEN's whole payload; false for anything else than one valid address (unknown
// type, bad domain length, non-ASCII or NUL in the domain, port 0, trailing bytes).
bool parse_target_address(std::span<const std::uint8_t> payload, TargetAddress& out) noexcept;
// Appends ADDRESS in wire form; false (OUT unchanged) when it is not valid.
bool append_target_address(std::vector<std::uint8_t>& out, const TargetAddress& address) noexcept;
// "192.0.2.1:443", "[2001:db8::1]:443" (RFC 5952), "example.com:443", for logs.
std::string format_target_address(const TargetAddress& address) noexcept;

// ---- CREDIT --------------------------------------------------------------------------------

// Exactly 4 bytes holding an increment above 0; false otherwise.
bool parse_credit(std::span<const std::uint8_t> payload, std::uint32_t& increment) noexcept;
std::array<std::uint8_t, 4> credit_payload(std::uint32_t increment) noexcept;

// ---- OPEN_FAILED and RESET: reason code and optional text, §7 --------------------------------

enum class StreamReason : std::uint8_t {
  kNone = 0,
  kProtocol = 1,
  kRefused = 2,
  kUnreachable = 3,
  kTimeout = 4,
  kQuota = 5,
  kNotAllowed = 6,
  kUpstream = 7,
  kFlowControl = 8,
  kTooManyStreams = 9,
  kGoingAway = 10,
};

// Unknown codes are kNone (§7).
StreamReason stream_reason_from_code(std::uint8_t code) noexcept;
// "none", "not_allowed", "too_many_streams", ... as in §7.
std::string_view stream_reason_name(StreamReason reason) noexcept;

struct ReasonPayload {
  StreamReason reason = StreamReason::kNone;
  std::uint8_t code = 0;   // as received, for logs of unknown codes
  std::string_view text;   // UTF-8, may be empty; a view into the payload
};

// At least the code byte; the text must be UTF-8. False otherwise.
bool parse_reason_payload(std::span<const std::uint8_t> payload, ReasonPayload& out) noexcept;
// False (OUT unchanged) when TEXT is not UTF-8 or would not fit a frame.
bool append_reason_payload(std::vector<std::uint8_t>& out, StreamReason reason, std::string_view text) noexcept;

// ---- Flow control, §5 ----------------------------------------------------------------------

inline constexpr std::uint32_t kMinWindow = 16 * 1024;
inline constexpr std::uint32_t kDefaultWindow = 256 * 1024;
inline constexpr std::uint32_t kMaxWindow = 16 * 1024 * 1024;
inline constexpr std::uint32_t kMaxOutstandingCredit = 0x7FFFFFFF;

// One stream's credit in both directions. The send side counts what we may still send;
// the receive side what the peer may still send, what we buffer, and when to grant
// more. Invariant on the receive side: peer_credit() + buffered() + (consumed bytes not
// yet granted) == window(), so the peer can never make us buffer more than one window
// and we never grant credit for bytes we still hold.
class StreamWindow {
 public:
  // SEND_CREDIT: the window the peer announced (capped at 2^31-1). RECEIVE_WINDOW: the
  // window we announced, clamped to 1..kMaxWindow (the JSON layer enforces 16 KiB..16 MiB).
  StreamWindow(std::uint32_t send_credit, std::uint32_t receive_window) noexcept;

  // Send side.
  std::uint32_t credit() const noexcept { return credit_; }
  // Takes N bytes of credit before sending DATA; false (nothing taken) when N > credit().
  bool consume(std::uint32_t n) noexcept;
  // The peer's CREDIT; false is a flow-control error: an increment of 0, or credit that
  // would exceed 2^31-1 outstanding. Nothing changes then.
  bool on_credit(std::uint32_t increment) noexcept;

  // Receive side.
  std::uint32_t window() const noexcept { return window_; }
  std::uint32_t peer_credit() const noexcept { return peer_credit_; }
  std::uint32_t buffered() const noexcept { return buffered_; }
  // The peer sent N bytes of DATA; false is a flow-control error (N > peer_credit()),
  // and nothing changes (reset the stream with flow_control).
  bool on_data(std::uint32_t n) noexcept;
  // We passed N buffered bytes on (N is capped at buffered()). Returns the CREDIT
  // increment to send now: 0 until at least half the window waits to be granted, then
  // everything that waits.
  std::uint32_t bytes_consumed(std::uint32_t n) noexcept;

  // Auto-tuning. True once a full window has been consumed since the last grow() that
  // ended an epoch (or since the start).
  bool full_window_consumed() const noexcept { return epoch_consumed_ >= window_; }
  // Call when full_window_consumed(): ELAPSED is how long that window took, RTT the
  // connection's ping round trip. Doubles the window (up to kMaxWindow, never shrinking)
  // when ELAPSED < 2 RTT and returns the increment to send now (the growth plus any
  // waiting grant); otherwise 0. Starts a new epoch either way; does nothing (0) when
  // no full window was consumed yet.
  std::uint32_t grow(std::chrono::nanoseconds rtt, std::chrono::nanoseconds elapsed) noexcept;

 private:
  std::uint32_t grant_pending() noexcept;

  std::uint32_t credit_;
  std::uint32_t window_;
  std::uint32_t peer_credit_;
  std::uint32_t buffered_ = 0;
  std::uint32_t pending_ = 0;  // consumed, not yet granted
  std::uint64_t epoch_consumed_ = 0;
};

}  // namespace httvps::tunnel
