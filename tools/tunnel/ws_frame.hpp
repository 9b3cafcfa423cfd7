#pragma once
// The WebSocket layer of the tunnel (RFC 6455, docs/protocol.md §2): the HTTP/1.1 upgrade
// handshake on both sides, frame headers, masking, reassembly of fragmented messages
// with UTF-8 validation, and close frames. Pure code over byte buffers: no sockets, no
// clocks, so the gateway's event loop and the client both drive it and the tests and
// fuzz targets reach every rule.
//
// Nothing here throws: results are status enums and structs (the gateway's data path
// has no exceptions). Every function is noexcept; running out of memory terminates,
// as it does in Envoy.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::tunnel {

// ---------------------------------------------------------------------------------------
// Close codes (RFC 6455 §7.4 and the private range of docs/protocol.md §2). The type holds
// any 16-bit value: a peer may close with a code not named here (3000-4999).
enum class CloseCode : std::uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,
  kNoStatus = 1005,  // never on the wire: what an empty close payload means
  kInvalidPayload = 1007,
  kPolicyViolation = 1008,
  kMessageTooBig = 1009,
  kInternalError = 1011,
  kDeviceRefused = 4001,   // refused at HELLO (reason in REFUSE)
  kTunnelProtocol = 4002,  // malformed or unexpected tunnel frame
  kAccessEnded = 4003,     // quota used up, expired, revoked (reason in GOAWAY)
  kHelloTimeout = 4004,    // no HELLO within 10 s
};

// True for a code a peer may send in a close frame: 1000-1003, 1007-1014, 3000-4999.
// 1004, 1005, 1006 and 1015 are never sent; 1016-2999 are reserved; below 1000 unused.
bool is_valid_close_code(std::uint16_t code) noexcept;

// ---------------------------------------------------------------------------------------
// The opening handshake (RFC 6455 §4).

enum class HandshakeStatus { kIncomplete, kOk, kBad };

// Upper bound the gateway and client use for the handshake's header block.
inline constexpr std::size_t kMaxHandshakeBytes = 8192;

// Sec-WebSocket-Accept for KEY: base64(SHA-1(KEY + the RFC 6455 GUID)). Empty only if
// OpenSSL fails.
std::string websocket_accept(std::string_view key) noexcept;

// A fresh Sec-WebSocket-Key: 16 random bytes in base64. Empty when the CSPRNG fails.
std::string generate_websocket_key() noexcept;

struct UpgradeRequest {
  std::string path;       // request target, origin-form ("/tunnel?x=1")
  std::string host;
  std::string key;        // Sec-WebSocket-Key as sent
  std::string protocols;  // raw Sec-WebSocket-Protocol (repeated headers joined by ", ")
  std::string origin;     // empty when absent
  // With kBad: the status to refuse with, 400, or 426 when Sec-WebSocket-Version is
  // present but not 13 (then the answer must name version 13, which build_error_response does).
  std::uint16_t refusal_status = 400;
};

// Parses the client's upgrade request at the start of BUFFER. kIncomplete: the header
// block has not ended yet and is still within MAX_BYTES (read more). kOk: OUT is filled
// and CONSUMED is the length of the header block (bytes after it are WebSocket frames).
// kBad: ERROR says why (lowercase, for logs) and OUT.refusal_status what to answer.
// Checks: "GET <origin-form> HTTP/1.1", CRLF line ends, well-formed header fields (no
// folding, no space before the colon, no control bytes), one Host without spaces,
// Upgrade naming websocket and Connection naming upgrade (tokens, case-insensitive),
// Sec-WebSocket-Version 13, one Sec-WebSocket-Key that base64-decodes to 16 bytes, no
// request body (Content-Length other than 0, Transfer-Encoding), the whole header block
// within MAX_BYTES.
HandshakeStatus parse_upgrade_request(std::string_view buffer, std::size_t max_bytes, UpgradeRequest& out,
                                      std::size_t& consumed, std::string& error) noexcept;

// True when the comma-separated Sec-WebSocket-Protocol HEADER lists NAME (exact match;
// subprotocol names are case-sensitive).
bool offers_protocol(std::string_view header, std::string_view name) noexcept;

// "101 Switching Protocols" accepting the client's KEY; names PROTOCOL unless empty.
std::string build_upgrade_response(std::string_view key, std::string_view protocol) noexcept;

// A refusal with a short text/plain BODY and "Connection: close": 400, 403, 404, 426
// (adds "Sec-WebSocket-Version: 13"), 429, 500, 503; other codes get the phrase "Error".
// CR and LF in BODY become spaces.
std::string build_error_response(std::uint16_t status, std::string_view body) noexcept;

// The client's upgrade request. Empty when HOST, PATH, KEY or PROTOCOL holds a byte that
// cannot appear there (control bytes, spaces in PATH), or PATH does not start with '/'.
std::string build_upgrade_request(std::string_view host, std::string_view path, std::string_view key,
                                  std::string_view protocol) noexcept;

struct UpgradeResponse {
  std::uint16_t status = 0;  // the HTTP status; with kBad and status != 101, the refusal
  std::string protocol;      // the selected subprotocol
};

// Parses the gateway's answer to a request sent with KEY and PROTOCOL. kIncomplete and
// CONSUMED as for parse_upgrade_request. kOk only for "HTTP/1.1 101" with Upgrade
// websocket, Connection upgrade, the right Sec-WebSocket-Accept, no extensions, and
// Sec-WebSocket-Protocol equal to PROTOCOL (absent when PROTOCOL is empty). kBad names
// the failure in ERROR; OUT.status lets the caller tell a refusal (403, 503) from a
// broken answer.
HandshakeStatus parse_upgrade_response(std::string_view buffer, std::size_t max_bytes, std::string_view key,
                                       std::string_view protocol, UpgradeResponse& out, std::size_t& consumed,
                                       std::string& error) noexcept;

// ---------------------------------------------------------------------------------------
// Frames (RFC 6455 §5).

inline constexpr std::uint8_t kOpContinuation = 0x0;
inline constexpr std::uint8_t kOpText = 0x1;
inline constexpr std::uint8_t kOpBinary = 0x2;
inline constexpr std::uint8_t kOpClose = 0x8;
inline constexpr std::uint8_t kOpPing = 0x9;
inline constexpr std::uint8_t kOpPong = 0xA;

inline constexpr std::size_t kMaxFrameHeader = 14;
inline constexpr std::size_t kMaxControlPayload = 125;

constexpr bool is_control_opcode(std::uint8_t opcode) noexcept { return (opcode & 0x8) != 0; }
constexpr bool is_known_opcode(std::uint8_t opcode) noexcept {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

enum class ParseStatus { kNeedMore, kOk, kError };

struct FrameHeader {
  bool fin = false;
  std::uint8_t opcode = 0;
  bool masked = false;
  std::array<std::uint8_t, 4> mask{};  // zero when not masked
  std::uint64_t length = 0;            // payload length
  std::size_t header_size = 0;         // bytes of header before the payload (2-14)
};

// What one side accepts from the other.
struct FramePolicy {
  // true on the server (client frames MUST be masked), false on the client (server
  // frames MUST NOT be).
  bool require_masked = true;
  // Largest payload of one data frame; longer ones fail with kMessageTooBig (1009). The
  // default is httvps.v1's largest message (1 MiB + 12, docs/protocol.md §2).
  std::uint64_t max_payload = (1 << 20) + 12;
};

// Parses the frame header at the start of IN. kNeedMore: IN holds no error so far but
// not the whole header. kOk: OUT is filled (the payload is not needed). kError: ERROR is
// the code to close with. Rules: RSV1-3 zero (no extension is ever negotiated), known
// opcodes only, control frames with FIN and at most 125 bytes, the masking rule of
// POLICY, the shortest length encoding, the 64-bit length's high bit zero, and
// POLICY.max_payload (1009). Each rule is checked as soon as its bytes are present, so a
// prefix of IN yields kNeedMore or the same error as IN.
ParseStatus parse_frame_header(std::span<const std::uint8_t> in, const FramePolicy& policy, FrameHeader& out,
                               CloseCode& error) noexcept;

// XORs DATA with MASK, where DATA starts OFFSET bytes into the payload (so a payload can
// be unmasked in pieces as it arrives). Eight bytes at a time. Applying it twice restores
// DATA.
void apply_mask(std::span<std::uint8_t> data, std::array<std::uint8_t, 4> mask, std::uint64_t offset) noexcept;

// Writes a frame header with the shortest length encoding, masked with *MASK unless MASK
// is null. Returns its size (2-14), or 0 when the header would break RFC 6455 (unknown
// opcode, a fragmented or over-long control frame, LENGTH >= 2^63).
std::size_t write_frame_header(std::span<std::uint8_t, kMaxFrameHeader> out, bool fin, std::uint8_t opcode,
                               std::uint64_t length, const std::array<std::uint8_t, 4>* mask) noexcept;

// ---------------------------------------------------------------------------------------
// UTF-8 (RFC 3629), incrementally: a code point may be split between two feeds.
// Overlong forms, surrogates (U+D800-U+DFFF) and code points above U+10FFFF fail.
class Utf8Validator {
 public:
  // False once the bytes so far cannot begin valid UTF-8; stays false until reset().
  bool feed(std::span<const std::uint8_t> bytes) noexcept;
  // True when no code point is left unfinished (and nothing failed).
  bool complete() const noexcept { return !failed_ && need_ == 0; }
  void reset() noexcept { *this = Utf8Validator{}; }

 private:
  std::uint8_t need_ = 0;  // continuation bytes still expected
  std::uint8_t lo_ = 0x80;  // bounds of the next continuation byte
  std::uint8_t hi_ = 0xBF;
  bool failed_ = false;
};

bool is_valid_utf8(std::span<const std::uint8_t> bytes) noexcept;
bool is_valid_utf8(std::string_view text) noexcept;

// ---------------------------------------------------------------------------------------
// Close frames (RFC 6455 §5.5.1, §7.4).

struct ClosePayload {
  CloseCode code = CloseCode::kNoStatus;  // kNoStatus for an empty payload
  std::string_view reason;                // UTF-8, a view into the parsed payload
};

// Parses a close frame's payload: empty, or a valid code (is_valid_close_code) and a
// UTF-8 reason. kProtocolError for one byte or a bad code, kInvalidPayload for a reason
// that is not UTF-8. Returns true with OUT filled, or false with ERROR set.
bool parse_close_payload(std::span<const std::uint8_t> payload, ClosePayload& out, CloseCode& error) noexcept;

// Writes CODE and as much of REASON as fits in 123 bytes (cut at a code point
// boundary) into OUT; returns the payload size.
std::size_t write_close_payload(std::span<std::uint8_t, kMaxControlPayload> out, CloseCode code,
                                std::string_view reason) noexcept;

// ---------------------------------------------------------------------------------------
// Reassembly of messages from frames (RFC 6455 §5.4, §5.5, §8.1).

enum class AssemblerEvent : std::uint8_t {
  kNone,     // nothing to act on yet (a fragment, or payload bytes taken)
  kMessage,  // a complete data message: text, payload
  kPing,     // answer with a pong carrying payload
  kPong,
  kClose,    // the peer closes: close_code, close_reason (answer with a close)
  kError,    // close the connection with close_code; every later call repeats it
};

struct AssemblerResult {
  AssemblerEvent event = AssemblerEvent::kNone;
  bool text = false;                       // kMessage: a text (UTF-8 checked) message
  std::span<const std::uint8_t> payload;   // kMessage, kPing, kPong, kClose (raw)
  CloseCode close_code = CloseCode::kNormal;  // kClose: the peer's; kError: ours to send
  std::string_view close_reason;           // kClose: the peer's reason
  const char* error = "";                  // kError: what went wrong, for logs
};

// Fed with frames whose headers parse_frame_header accepted and whose payloads were
// unmasked. It rejects a continuation without a start and a new data frame during an
// unfinished message (1002), messages over MAX_MESSAGE bytes (1009, decided from the
// headers before the payload arrives), text that is not UTF-8 (1007, as soon as the bad
// byte arrives), bad close payloads (1002/1007) and any frame after a close (1002).
// Control frames may come between the fragments of a message. Spans in a result stay
// valid until the next call. Calls out of order (more payload than the header announced,
// end_frame before all of it) fail with 1011 rather than crash. Memory: at most one
// message's bytes, released when the next message starts if it grew past 64 KiB.
class MessageAssembler {
 public:
  explicit MessageAssembler(std::uint64_t max_message) noexcept : max_message_(max_message) {}

  // Streaming use: begin_frame, add_payload for its bytes in order (any split), then
  // end_frame once HEADER.length bytes were added. begin_frame and add_payload return
  // kNone or kError; end_frame returns the frame's event.
  AssemblerResult begin_frame(const FrameHeader& header) noexcept;
  AssemblerResult add_payload(std::span<const std::uint8_t> bytes) noexcept;
  AssemblerResult end_frame() noexcept;

  // A whole frame at once. An unfragmented data message is returned without a copy
  // (result.payload points into PAYLOAD).
  AssemblerResult feed(const FrameHeader& header, std::span<const std::uint8_t> payload) noexcept;

  // Frees the message buffer unless a message is under way (an idle connection holds
  // no buffer). Invalidates spans of earlier results.
  void release_memory() noexcept;

  bool in_message() const noexcept { return in_message_; }
  std::uint64_t max_message() const noexcept { return max_message_; }

 private:
  AssemblerResult fail(CloseCode code, const char* why) noexcept;

  std::uint64_t max_message_;
  std::vector<std::uint8_t> message_;
  std::uint64_t message_size_ = 0;
  bool in_message_ = false;
  bool message_text_ = false;
  Utf8Validator utf8_;

  bool in_frame_ = false;
  FrameHeader frame_{};
  std::uint64_t frame_received_ = 0;
  std::array<std::uint8_t, kMaxControlPayload> control_{};

  bool closed_ = false;
  bool failed_ = false;
  CloseCode failure_ = CloseCode::kNormal;
  const char* failure_why_ = "";
};

}  // namespace httvps::tunnel
