// Fuzz target: one WebSocket message of tunnel frames from a hostile peer. Frames are
// parsed back to back; nothing may crash, and:
//   - every parsed frame, written again, gives the same bytes (reserved bytes zeroed)
//     and parses to the same frame; a prefix of it needs more bytes;
//   - a refused header is refused by the writer too;
//   - OPEN addresses, CREDIT and reason payloads that parse re-encode to the same bytes;
//   - a StreamWindow driven by the DATA and CREDIT frames keeps its invariants.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tunnel/tunnel_frame.hpp"

using namespace httvps::tunnel;

namespace {

using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

void payloads(const TunnelFrame& f) {
  switch (f.type) {
    case FrameType::kOpen: {
      TargetAddress a;
      if (parse_target_address(f.payload, a)) {
        Bytes back;
        check(append_target_address(back, a) && equal(back, f.payload));
        check(!format_target_address(a).empty());
      }
      break;
    }
    case FrameType::kCredit: {
      std::uint32_t inc = 0;
      const bool ok = parse_credit(f.payload, inc);
      check(ok == ((f.payload[0] | f.payload[1] | f.payload[2] | f.payload[3]) != 0));
      if (ok) check(equal(credit_payload(inc), f.payload));
      break;
    }
    case FrameType::kOpenFailed:
    case FrameType::kReset: {
      ReasonPayload r;
      if (parse_reason_payload(f.payload, r)) {
        check(r.code == f.payload[0] && !stream_reason_name(r.reason).empty());
        if (r.code <= 10) {
          Bytes back;
          check(append_reason_payload(back, r.reason, r.text) && equal(back, f.payload));
        } else {
          check(r.reason == StreamReason::kNone);
        }
      }
      break;
    }
    default:
      (void)payload_text(f);
  }
}

void flow_control(StreamWindow& w, const TunnelFrame& f) {
  const std::uint32_t window = w.window();
  if (f.type == FrameType::kData) {
    const std::uint32_t credit = w.peer_credit();
    const std::uint32_t buffered = w.buffered();
    const auto n = static_cast<std::uint32_t>(f.payload.size());
    const bool ok = w.on_data(n);
    check(ok == (n <= credit));
    check(ok ? w.buffered() == buffered + n : (w.buffered() == buffered && w.peer_credit() == credit));
    (void)w.bytes_consumed(n / 2 + (f.stream_id & 0xFF));
    if (w.full_window_consumed()) {
      (void)w.grow(std::chrono::milliseconds(f.stream_id % 50), std::chrono::milliseconds(n % 100));
    }
    (void)w.consume(n);
  } else if (f.type == FrameType::kCredit) {
    std::uint32_t inc = 0;
    if (parse_credit(f.payload, inc)) {
      const std::uint32_t before = w.credit();
      const bool ok = w.on_credit(inc);
      check(ok == (std::uint64_t{before} + inc <= kMaxOutstandingCredit));
      check(w.credit() == (ok ? before + inc : before));
    }
  }
  check(std::uint64_t{w.peer_credit()} + w.buffered() <= w.window());
  check(w.window() >= window && w.window() <= kMaxWindow);
  check(w.credit() <= kMaxOutstandingCredit);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> rest(data, size);
  StreamWindow window(kMinWindow, kMinWindow);
  while (!rest.empty()) {
    TunnelFrame f;
    FrameError error = FrameError::kNone;
    ParseStatus status = parse_tunnel_frame(rest, f, error);
    if (status == ParseStatus::kNeedMore) break;
    if (status == ParseStatus::kError) {
      check(error != FrameError::kNone && !describe(error).empty());
      auto type = static_cast<FrameType>(rest[0]);
      auto be32 = [&rest](std::size_t at) {
        return (std::uint32_t{rest[at]} << 24) | (std::uint32_t{rest[at + 1]} << 16) |
               (std::uint32_t{rest[at + 2]} << 8) | std::uint32_t{rest[at + 3]};
      };
      const std::uint32_t stream = be32(4);
      const std::uint32_t length = be32(8);
      check(check_tunnel_header(type, rest[1], stream, length) == error);
      std::array<std::uint8_t, kTunnelHeaderSize> header{};
      check(write_tunnel_header(header, type, rest[1], stream, length) == 0);
      break;
    }
    check(f.size == kTunnelHeaderSize + f.payload.size() && f.size <= rest.size());
    check(f.payload.data() == rest.data() + kTunnelHeaderSize);
    TunnelFrame cut;
    check(parse_tunnel_frame(rest.first(f.size - 1), cut) == ParseStatus::kNeedMore);

    Bytes written;
    check(append_tunnel_frame(written, f.type, f.flags, f.stream_id, f.payload));
    check(written.size() == f.size && written[2] == 0 && written[3] == 0);
    Bytes original(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(f.size));
    original[2] = original[3] = 0;
    check(written == original);
    TunnelFrame again;
    check(parse_tunnel_frame(written, again) == ParseStatus::kOk);
    check(again.type == f.type && again.flags == f.flags && again.stream_id == f.stream_id && again.size == f.size &&
          equal(again.payload, f.payload));

    if (f.known()) {
      check((f.stream_id == 0) == is_connection_frame_type(f.type));
      payloads(f);
      flow_control(window, f);
    } else {
      check((f.flags & kFlagIgnorable) != 0 && frame_type_name(f.type) == "unknown");
    }
    rest = rest.subspan(f.size);
  }
  return 0;
}
