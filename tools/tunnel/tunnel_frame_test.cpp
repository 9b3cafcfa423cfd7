#include "tunnel/tunnel_frame.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "tunnel/test_bytes.hpp"

using namespace httvps::tunnel;
using namespace std::chrono_literals;

namespace {

using testing::Bytes;
using testing::bytes;

// A raw header, so that tests can build what the writer refuses to.
Bytes header(int type, int flags, std::uint32_t stream, std::uint32_t length, int reserved = 0) {
  Bytes out = bytes({type, flags, reserved >> 8, reserved & 0xFF});
  for (std::uint32_t v : {stream, length}) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  return out;
}

FrameError refusal(const Bytes& in) {
  TunnelFrame f;
  FrameError e = FrameError::kNone;
  REQUIRE(parse_tunnel_frame(in, f, e) == ParseStatus::kError);
  return e;
}

const FrameType kAllTypes[] = {FrameType::kHello,  FrameType::kWelcome,    FrameType::kRefuse, FrameType::kOpen,
                               FrameType::kOpened, FrameType::kOpenFailed, FrameType::kData,   FrameType::kCredit,
                               FrameType::kFin,    FrameType::kReset,      FrameType::kGoaway, FrameType::kLimits};

// A payload every type accepts.
Bytes sample_payload(FrameType t) {
  switch (t) {
    case FrameType::kOpened:
    case FrameType::kFin: return {};
    case FrameType::kCredit: return bytes({0, 1, 0, 0});
    case FrameType::kOpenFailed:
    case FrameType::kReset: return bytes({2, 'n', 'o'});
    case FrameType::kOpen: return bytes({1, 192, 0, 2, 1, 1, 187});
    default: return bytes("{}");
  }
}

}  // namespace

// ---- Header ------------------------------------------------------------------------------

TEST_CASE("a tunnel frame header is 12 big-endian bytes", "[tunnel-frame]") {
  Bytes out;
  REQUIRE(append_tunnel_frame(out, FrameType::kData, 0, 0x01020304, bytes("hi")));
  CHECK(out == bytes({0x20, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 2, 'h', 'i'}));
  TunnelFrame f;
  REQUIRE(parse_tunnel_frame(out, f) == ParseStatus::kOk);
  CHECK(f.type == FrameType::kData);
  CHECK(f.known());
  CHECK(f.flags == 0);
  CHECK(f.stream_id == 0x01020304);
  CHECK(payload_text(f) == "hi");
  CHECK(f.size == 14);
}

TEST_CASE("every frame type written with a valid payload parses back equal", "[tunnel-frame]") {
  for (FrameType t : kAllTypes) {
    INFO(frame_type_name(t));
    std::uint32_t stream = is_connection_frame_type(t) ? 0 : 7;
    Bytes payload = sample_payload(t);
    Bytes out;
    REQUIRE(append_tunnel_frame(out, t, default_flags(t), stream, payload));
    TunnelFrame f;
    REQUIRE(parse_tunnel_frame(out, f) == ParseStatus::kOk);
    CHECK(f.type == t);
    CHECK(f.flags == default_flags(t));
    CHECK(f.stream_id == stream);
    CHECK(Bytes(f.payload.begin(), f.payload.end()) == payload);
    CHECK(f.size == out.size());
  }
  CHECK(default_flags(FrameType::kLimits) == kFlagIgnorable);
  CHECK(frame_type_name(FrameType::kOpenFailed) == "OPEN_FAILED");
  CHECK(frame_type_name(static_cast<FrameType>(0x77)) == "unknown");
}

TEST_CASE("frames follow each other within one message", "[tunnel-frame]") {
  Bytes message;
  REQUIRE(append_tunnel_frame(message, FrameType::kData, 0, 1, bytes("abc")));
  REQUIRE(append_tunnel_frame(message, FrameType::kFin, 0, 1, {}));
  REQUIRE(append_json_frame(message, FrameType::kLimits, R"({"speed_limit_bps":null})"));
  std::vector<FrameType> seen;
  std::span<const std::uint8_t> rest = message;
  while (!rest.empty()) {
    TunnelFrame f;
    REQUIRE(parse_tunnel_frame(rest, f) == ParseStatus::kOk);
    seen.push_back(f.type);
    rest = rest.subspan(f.size);
  }
  CHECK(seen == std::vector<FrameType>{FrameType::kData, FrameType::kFin, FrameType::kLimits});
}

TEST_CASE("reserved header bytes are ignored when received and zero when sent", "[tunnel-frame]") {
  Bytes in = header(0x20, 0, 1, 1, 0xBEEF);
  in.push_back('x');
  TunnelFrame f;
  REQUIRE(parse_tunnel_frame(in, f) == ParseStatus::kOk);
  Bytes out;
  REQUIRE(append_tunnel_frame(out, f.type, f.flags, f.stream_id, f.payload));
  CHECK(out[2] == 0);
  CHECK(out[3] == 0);
}

TEST_CASE("a frame cut short needs more bytes", "[tunnel-frame]") {
  Bytes out;
  REQUIRE(append_tunnel_frame(out, FrameType::kData, 0, 1, bytes("payload")));
  for (std::size_t n = 0; n < out.size(); ++n) {
    TunnelFrame f;
    INFO(n);
    CHECK(parse_tunnel_frame(std::span(out).first(n), f) == ParseStatus::kNeedMore);
  }
}

TEST_CASE("payloads are limited to 1 MiB, refused from the header alone", "[tunnel-frame]") {
  CHECK(refusal(header(0x20, 0, 1, kMaxTunnelPayload + 1)) == FrameError::kTooLong);
  CHECK(refusal(header(0x20, 0, 1, 0xFFFFFFFF)) == FrameError::kTooLong);
  TunnelFrame f;
  CHECK(parse_tunnel_frame(header(0x20, 0, 1, kMaxTunnelPayload), f) == ParseStatus::kNeedMore);
  Bytes big(kMaxTunnelPayload, 0x5A);
  Bytes out;
  CHECK(append_tunnel_frame(out, FrameType::kData, 0, 1, big));
  CHECK(parse_tunnel_frame(out, f) == ParseStatus::kOk);
  CHECK(kMaxTunnelMessage == out.size());
  big.push_back(0);
  out.clear();
  CHECK_FALSE(append_tunnel_frame(out, FrameType::kData, 0, 1, big));
  CHECK(out.empty());
}

TEST_CASE("an unknown frame type is skipped with IGNORABLE and refused without", "[tunnel-frame]") {
  Bytes in = header(0x7E, kFlagIgnorable | 0x01, 12345, 3);
  in.insert(in.end(), {1, 2, 3});
  TunnelFrame f;
  REQUIRE(parse_tunnel_frame(in, f) == ParseStatus::kOk);
  CHECK_FALSE(f.known());
  CHECK(f.size == 15);
  CHECK(refusal(header(0x7E, 0x01, 0, 0)) == FrameError::kUnknownType);
  CHECK(refusal(header(0x00, 0, 0, 0)) == FrameError::kUnknownType);
}

TEST_CASE("flags other than IGNORABLE are refused on v1 frame types", "[tunnel-frame]") {
  for (int flag : {0x01, 0x02, 0x40, 0x7F}) {
    INFO(flag);
    CHECK(refusal(header(0x20, flag, 1, 0)) == FrameError::kBadFlags);
    CHECK(refusal(header(0x41, kFlagIgnorable | flag, 0, 0)) == FrameError::kBadFlags);
  }
  TunnelFrame f;
  CHECK(parse_tunnel_frame(header(0x20, kFlagIgnorable, 1, 0), f) == ParseStatus::kOk);
}

TEST_CASE("connection frames live on stream 0 and stream frames on 1 to 2^31-1", "[tunnel-frame]") {
  for (FrameType t : kAllTypes) {
    INFO(frame_type_name(t));
    auto type = static_cast<int>(t);
    auto len = static_cast<std::uint32_t>(sample_payload(t).size());
    if (is_connection_frame_type(t)) {
      CHECK(refusal(header(type, 0, 1, len)) == FrameError::kBadStream);
      CHECK(check_tunnel_header(t, 0, 0, len) == FrameError::kNone);
    } else {
      CHECK(refusal(header(type, 0, 0, len)) == FrameError::kBadStream);
      CHECK(refusal(header(type, 0, 0x80000000u, len)) == FrameError::kBadStream);
      CHECK(refusal(header(type, 0, 0xFFFFFFFFu, len)) == FrameError::kBadStream);
      CHECK(check_tunnel_header(t, 0, kMaxStreamId, len) == FrameError::kNone);
    }
  }
}

TEST_CASE("payload sizes the type cannot have are refused", "[tunnel-frame]") {
  CHECK(refusal(header(0x11, 0, 1, 1)) == FrameError::kBadLength);  // OPENED
  CHECK(refusal(header(0x30, 0, 1, 1)) == FrameError::kBadLength);  // FIN
  CHECK(refusal(header(0x21, 0, 1, 3)) == FrameError::kBadLength);  // CREDIT
  CHECK(refusal(header(0x21, 0, 1, 5)) == FrameError::kBadLength);
  CHECK(refusal(header(0x12, 0, 1, 0)) == FrameError::kBadLength);  // OPEN_FAILED
  CHECK(refusal(header(0x31, 0, 1, 0)) == FrameError::kBadLength);  // RESET
  CHECK(refusal(header(0x01, 0, 0, kMaxHelloPayload + 1)) == FrameError::kBadLength);
  CHECK(check_tunnel_header(FrameType::kHello, 0, 0, kMaxHelloPayload) == FrameError::kNone);
  CHECK_FALSE(describe(FrameError::kBadLength).empty());
}

TEST_CASE("the writer refuses every header the parser refuses", "[tunnel-frame]") {
  std::array<std::uint8_t, kTunnelHeaderSize> out{};
  CHECK(write_tunnel_header(out, FrameType::kData, 0, 0, 1) == 0);
  CHECK(write_tunnel_header(out, FrameType::kHello, 0, 3, 1) == 0);
  CHECK(write_tunnel_header(out, FrameType::kData, 0x01, 1, 1) == 0);
  CHECK(write_tunnel_header(out, FrameType::kCredit, 0, 1, 2) == 0);
  CHECK(write_tunnel_header(out, static_cast<FrameType>(0x50), 0, 1, 2) == 0);
  CHECK(write_tunnel_header(out, static_cast<FrameType>(0x50), kFlagIgnorable, 1, 2) == 12);
  Bytes message = bytes("x");
  CHECK_FALSE(append_tunnel_frame(message, FrameType::kFin, 0, 1, bytes("x")));
  CHECK(message == bytes("x"));
  CHECK_FALSE(append_json_frame(message, FrameType::kData, "{}"));
}

// ---- OPEN ----------------------------------------------------------------------------------

TEST_CASE("target addresses round-trip in SOCKS5 form", "[tunnel-open]") {
  struct Case {
    Bytes wire;
    std::string text;
  };
  Bytes domain = bytes({3, 11});
  for (char c : std::string_view("example.com")) domain.push_back(static_cast<std::uint8_t>(c));
  domain.insert(domain.end(), {0x01, 0xBB});
  const Case cases[] = {
      {bytes({1, 192, 0, 2, 1, 0, 80}), "192.0.2.1:80"},
      {domain, "example.com:443"},
      {bytes({4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF}), "[2001:db8::1]:65535"},
      {bytes({4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}), "[::1]:1"},
      {bytes({4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "[::]:1"},
      {bytes({4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1}), "[2001:db8::1:0:0:1]:1"},
      {bytes({4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}), "[2001:db8:0:1:1:1:1:1]:1"},
      {bytes({4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "[1::]:1"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    TargetAddress a;
    REQUIRE(parse_target_address(c.wire, a));
    CHECK(format_target_address(a) == c.text);
    Bytes back;
    REQUIRE(append_target_address(back, a));
    CHECK(back == c.wire);
  }
}

TEST_CASE("a 255-byte domain is the longest target", "[tunnel-open]") {
  TargetAddress a;
  a.type = AddressType::kDomain;
  a.domain = std::string(255, 'a');
  a.port = 443;
  Bytes wire;
  REQUIRE(append_target_address(wire, a));
  CHECK(wire.size() == 1 + 1 + 255 + 2);
  TargetAddress back;
  REQUIRE(parse_target_address(wire, back));
  CHECK(back.domain == a.domain);
  a.domain += 'a';
  CHECK_FALSE(append_target_address(wire, a));
}

TEST_CASE("malformed target addresses are protocol errors", "[tunnel-open]") {
  const Bytes cases[] = {
      {},
      bytes({1}),
      bytes({1, 192, 0, 2, 1, 0}),            // port cut short
      bytes({1, 192, 0, 2, 1, 0, 80, 0}),     // trailing byte
      bytes({1, 192, 0, 2, 1, 0, 0}),         // port 0
      bytes({2, 192, 0, 2, 1, 0, 80}),        // unknown type
      bytes({5, 192, 0, 2, 1, 0, 80}),
      bytes({3}),
      bytes({3, 0, 0, 80}),                   // empty domain
      bytes({3, 3, 'a', 'b', 0, 80}),         // length says 3, 2 given
      bytes({3, 2, 'a', 'b', 0, 80, 0}),      // trailing byte
      bytes({3, 2, 'a', 0, 0, 80}),           // NUL
      bytes({3, 2, 'a', 0xC3, 0, 80}),        // not ASCII
      bytes({3, 1, 'a', 0, 0}),               // port 0
      bytes({4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}),
  };
  for (const auto& c : cases) {
    INFO(c.size());
    TargetAddress a;
    CHECK_FALSE(parse_target_address(c, a));
  }
  TargetAddress bad;
  bad.port = 0;
  Bytes out;
  CHECK_FALSE(append_target_address(out, bad));
  bad.port = 1;
  bad.type = AddressType::kDomain;
  CHECK_FALSE(append_target_address(out, bad));  // empty domain
  bad.domain = std::string("a\0b", 3);
  CHECK_FALSE(append_target_address(out, bad));
  CHECK(out.empty());
}

// ---- CREDIT and reasons --------------------------------------------------------------------

TEST_CASE("CREDIT carries a u32 increment above zero", "[tunnel-credit]") {
  std::uint32_t inc = 0;
  REQUIRE(parse_credit(credit_payload(0x00040000), inc));
  CHECK(inc == 0x00040000);
  CHECK(credit_payload(0x01020304) == std::array<std::uint8_t, 4>{1, 2, 3, 4});
  CHECK_FALSE(parse_credit(bytes({0, 0, 0, 0}), inc));
  CHECK_FALSE(parse_credit(bytes({0, 0, 1}), inc));
  CHECK_FALSE(parse_credit(bytes({0, 0, 0, 1, 0}), inc));
  REQUIRE(parse_credit(bytes({0xFF, 0xFF, 0xFF, 0xFF}), inc));  // too much is StreamWindow's call
  CHECK(inc == 0xFFFFFFFF);
}

TEST_CASE("reason codes have the names of section 7 and unknown ones mean none", "[tunnel-reason]") {
  const char* names[] = {"none",        "protocol", "refused",      "unreachable",      "timeout",   "quota",
                         "not_allowed", "upstream", "flow_control", "too_many_streams", "going_away"};
  for (std::uint8_t code = 0; code <= 10; ++code) {
    CHECK(stream_reason_name(stream_reason_from_code(code)) == names[code]);
    CHECK(static_cast<std::uint8_t>(stream_reason_from_code(code)) == code);
  }
  CHECK(stream_reason_from_code(11) == StreamReason::kNone);
  CHECK(stream_reason_from_code(255) == StreamReason::kNone);
}

TEST_CASE("OPEN_FAILED and RESET payloads carry a code and optional UTF-8 text", "[tunnel-reason]") {
  Bytes wire;
  REQUIRE(append_reason_payload(wire, StreamReason::kNotAllowed, "loopback target"));
  CHECK(wire[0] == 6);
  ReasonPayload r;
  REQUIRE(parse_reason_payload(wire, r));
  CHECK(r.reason == StreamReason::kNotAllowed);
  CHECK(r.text == "loopback target");
  Bytes unknown = bytes({42});
  REQUIRE(parse_reason_payload(unknown, r));
  CHECK(r.reason == StreamReason::kNone);
  CHECK(r.code == 42);
  CHECK(r.text.empty());
  CHECK_FALSE(parse_reason_payload({}, r));
  CHECK_FALSE(parse_reason_payload(bytes({1, 0xC0, 0x80}), r));
  Bytes out;
  CHECK_FALSE(append_reason_payload(out, StreamReason::kProtocol, "\xED\xA0\x80"));
  CHECK(out.empty());
}

// ---- StreamWindow --------------------------------------------------------------------------

TEST_CASE("the send side spends credit and refuses to overspend", "[stream-window]") {
  StreamWindow w(1000, kDefaultWindow);
  CHECK(w.credit() == 1000);
  CHECK(w.consume(600));
  CHECK_FALSE(w.consume(401));
  CHECK(w.credit() == 400);
  CHECK(w.consume(400));
  CHECK(w.credit() == 0);
  CHECK(w.consume(0));
}

TEST_CASE("received credit may never exceed 2^31-1 outstanding and never be zero", "[stream-window]") {
  StreamWindow w(1000, kDefaultWindow);
  CHECK_FALSE(w.on_credit(0));
  CHECK(w.on_credit(kMaxOutstandingCredit - 1000));
  CHECK(w.credit() == kMaxOutstandingCredit);
  CHECK_FALSE(w.on_credit(1));
  CHECK(w.credit() == kMaxOutstandingCredit);
  CHECK(w.consume(10));
  CHECK_FALSE(w.on_credit(0xFFFFFFFF));
  CHECK(w.on_credit(10));
  StreamWindow capped(0xFFFFFFFF, kDefaultWindow);
  CHECK(capped.credit() == kMaxOutstandingCredit);
}

TEST_CASE("data beyond the granted window is a flow-control error", "[stream-window]") {
  StreamWindow w(0, 1000);
  CHECK(w.peer_credit() == 1000);
  CHECK(w.on_data(999));
  CHECK_FALSE(w.on_data(2));
  CHECK(w.buffered() == 999);
  CHECK(w.on_data(1));
  CHECK_FALSE(w.on_data(1));
  CHECK(w.peer_credit() == 0);
}

TEST_CASE("credit is granted once half the window has been passed on", "[stream-window]") {
  StreamWindow w(0, 1000);
  REQUIRE(w.on_data(1000));
  CHECK(w.bytes_consumed(300) == 0);
  CHECK(w.bytes_consumed(199) == 0);
  CHECK(w.bytes_consumed(1) == 500);
  CHECK(w.peer_credit() == 500);
  CHECK(w.bytes_consumed(499) == 0);
  CHECK(w.bytes_consumed(1) == 500);
  CHECK(w.bytes_consumed(1) == 0);  // nothing buffered: nothing to grant
  CHECK(w.peer_credit() == 1000);
  StreamWindow odd(0, 3);
  REQUIRE(odd.on_data(3));
  CHECK(odd.bytes_consumed(1) == 0);
  CHECK(odd.bytes_consumed(1) == 2);
  StreamWindow tiny(0, 1);
  REQUIRE(tiny.on_data(1));
  CHECK(tiny.bytes_consumed(1) == 1);
}

TEST_CASE("the receive window never over-grants, whatever the order of events", "[stream-window]") {
  std::mt19937 rng(6455);
  for (int run = 0; run < 50; ++run) {
    const std::uint32_t initial = kMinWindow + static_cast<std::uint32_t>(rng() % (4 * kMinWindow));
    StreamWindow w(0, initial);
    std::uint64_t granted = initial;  // everything the peer was ever allowed to send
    std::uint64_t received = 0;
    std::uint64_t passed_on = 0;
    std::uint64_t growth = 0;
    for (int step = 0; step < 2000; ++step) {
      switch (rng() % 4) {
        case 0:
        case 1: {
          std::uint32_t n = static_cast<std::uint32_t>(rng() % (w.peer_credit() + 2));
          bool ok = w.on_data(n);
          CHECK(ok == (n <= granted - received));
          if (ok) received += n;
          break;
        }
        case 2: {
          std::uint32_t n = static_cast<std::uint32_t>(rng() % (w.buffered() + 1));
          passed_on += n;
          granted += w.bytes_consumed(n);
          break;
        }
        default:
          if (w.full_window_consumed()) {
            std::uint32_t before = w.window();
            granted += w.grow(10ms, std::chrono::milliseconds(rng() % 30));
            CHECK(w.window() >= before);
            growth += w.window() - before;
          }
      }
      REQUIRE(w.peer_credit() == granted - received);
      REQUIRE(static_cast<std::uint64_t>(w.peer_credit()) + w.buffered() <= w.window());
      REQUIRE(w.buffered() == received - passed_on);
      REQUIRE(granted <= initial + passed_on + growth);  // never credit for bytes still held
      REQUIRE(w.window() <= kMaxWindow);
      REQUIRE(granted - received <= kMaxOutstandingCredit);
    }
  }
}

TEST_CASE("auto-tuning doubles the window when a full window took under two round trips", "[stream-window]") {
  StreamWindow w(0, kDefaultWindow);
  CHECK_FALSE(w.full_window_consumed());
  CHECK(w.grow(10ms, 1ms) == 0);  // no full window yet: nothing happens
  REQUIRE(w.on_data(kDefaultWindow));
  std::uint32_t granted = w.bytes_consumed(kDefaultWindow);
  CHECK(granted == kDefaultWindow);
  CHECK(w.full_window_consumed());
  CHECK(w.grow(10ms, 15ms) == kDefaultWindow);  // the growth is granted at once
  CHECK(w.window() == 2 * kDefaultWindow);
  CHECK(w.peer_credit() == 2 * kDefaultWindow);
  CHECK_FALSE(w.full_window_consumed());  // a new epoch
}

TEST_CASE("auto-tuning keeps the window when the window took two round trips or more", "[stream-window]") {
  for (auto [rtt, elapsed] : {std::pair{10ms, 20ms}, std::pair{10ms, 500ms}, std::pair{0ms, 0ms}}) {
    StreamWindow w(0, kDefaultWindow);
    REQUIRE(w.on_data(kDefaultWindow));
    w.bytes_consumed(kDefaultWindow);
    CHECK(w.grow(rtt, elapsed) == 0);
    CHECK(w.window() == kDefaultWindow);
    CHECK_FALSE(w.full_window_consumed());
  }
}

TEST_CASE("auto-tuning grants waiting credit with the growth", "[stream-window]") {
  StreamWindow w(0, 1000);
  REQUIRE(w.on_data(1000));
  CHECK(w.bytes_consumed(600) == 600);
  REQUIRE(w.on_data(600));
  CHECK(w.bytes_consumed(400) == 0);  // 400 wait: under half
  CHECK(w.full_window_consumed());
  CHECK(w.grow(10ms, 5ms) == 1400);
  CHECK(w.window() == 2000);
  CHECK(w.peer_credit() + w.buffered() == 2000);
}

TEST_CASE("auto-tuning stops at 16 MiB and never shrinks", "[stream-window]") {
  StreamWindow w(0, kDefaultWindow);
  std::uint32_t last = w.window();
  for (int i = 0; i < 12; ++i) {
    REQUIRE(w.on_data(w.peer_credit()));
    w.bytes_consumed(w.buffered());
    while (!w.full_window_consumed()) {
      REQUIRE(w.on_data(w.peer_credit()));
      w.bytes_consumed(w.buffered());
    }
    w.grow(10ms, 1ms);
    CHECK(w.window() >= last);
    CHECK(w.window() <= kMaxWindow);
    last = w.window();
  }
  CHECK(w.window() == kMaxWindow);
  StreamWindow odd(0, 10 * 1024 * 1024);
  REQUIRE(odd.on_data(odd.peer_credit()));
  odd.bytes_consumed(odd.buffered());
  CHECK(odd.grow(10ms, 1ms) == 6 * 1024 * 1024);  // to the cap, not past it
  CHECK(odd.window() == kMaxWindow);
  StreamWindow clamped(0, 0xFFFFFFFF);
  CHECK(clamped.window() == kMaxWindow);
  StreamWindow zero(0, 0);
  CHECK(zero.window() == 1);
}
