#include "tunnel/ws_frame.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tunnel/test_bytes.hpp"

using namespace httvps::tunnel;

namespace {

using testing::Bytes;
using testing::bytes;

std::string text(std::span<const std::uint8_t> b) { return std::string(b.begin(), b.end()); }

constexpr FramePolicy kServer{true, 1 << 20};
constexpr FramePolicy kClient{false, 1 << 20};
constexpr std::array<std::uint8_t, 4> kRfcMask{0x37, 0xfa, 0x21, 0x3d};

// A whole frame as a peer would send it.
Bytes frame(bool fin, std::uint8_t opcode, const Bytes& payload, const std::array<std::uint8_t, 4>* mask) {
  std::array<std::uint8_t, kMaxFrameHeader> header{};
  std::size_t n = write_frame_header(header, fin, opcode, payload.size(), mask);
  REQUIRE(n > 0);
  Bytes out(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(n));
  Bytes body = payload;
  if (mask != nullptr) apply_mask(body, *mask, 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes masked(bool fin, std::uint8_t opcode, const Bytes& payload) { return frame(fin, opcode, payload, &kRfcMask); }

CloseCode header_error(const Bytes& in, const FramePolicy& policy) {
  FrameHeader h;
  CloseCode code = CloseCode::kNormal;
  INFO("frame header refused");
  REQUIRE(parse_frame_header(in, policy, h, code) == ParseStatus::kError);
  return code;
}

// Drives a byte stream through parse_frame_header, apply_mask and a MessageAssembler,
// the way the gateway does; returns the events (messages as "text:"/"binary:" + bytes).
std::vector<std::string> run(const Bytes& stream, const FramePolicy& policy, std::uint64_t max_message = 1 << 20) {
  MessageAssembler assembler(max_message);
  std::vector<std::string> events;
  std::size_t at = 0;
  while (at < stream.size()) {
    FrameHeader h;
    CloseCode code = CloseCode::kNormal;
    auto rest = std::span(stream).subspan(at);
    auto st = parse_frame_header(rest, policy, h, code);
    if (st == ParseStatus::kError) {
      events.push_back("header error " + std::to_string(static_cast<int>(code)));
      break;
    }
    if (st == ParseStatus::kNeedMore || rest.size() < h.header_size + h.length) {
      events.push_back("need more");
      break;
    }
    Bytes payload(rest.begin() + static_cast<std::ptrdiff_t>(h.header_size),
                  rest.begin() + static_cast<std::ptrdiff_t>(h.header_size + h.length));
    if (h.masked) apply_mask(payload, h.mask, 0);
    at += h.header_size + h.length;
    AssemblerResult r = assembler.feed(h, payload);
    switch (r.event) {
      case AssemblerEvent::kNone: break;
      case AssemblerEvent::kMessage: events.push_back((r.text ? "text:" : "binary:") + text(r.payload)); break;
      case AssemblerEvent::kPing: events.push_back("ping:" + text(r.payload)); break;
      case AssemblerEvent::kPong: events.push_back("pong:" + text(r.payload)); break;
      case AssemblerEvent::kClose:
        events.push_back("close " + std::to_string(static_cast<int>(r.close_code)) + ":" + std::string(r.close_reason));
        break;
      case AssemblerEvent::kError:
        events.push_back("error " + std::to_string(static_cast<int>(r.close_code)));
        return events;
    }
  }
  return events;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const std::string kRfcRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

std::string replace(std::string s, std::string_view from, std::string_view to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

// ---- Handshake --------------------------------------------------------------------------

TEST_CASE("websocket_accept answers the key of RFC 6455 section 1.3", "[ws-handshake]") {
  CHECK(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("generated websocket keys are 16 random bytes in base64", "[ws-handshake]") {
  std::string a = generate_websocket_key();
  std::string b = generate_websocket_key();
  CHECK(a.size() == 24);
  CHECK(a != b);
  CHECK_FALSE(build_upgrade_request("h", "/", a, "").empty());
}

TEST_CASE("the upgrade request of RFC 6455 section 1.3 parses", "[ws-handshake]") {
  std::string buffer = kRfcRequest + "\x82\x80";  // a frame follows the handshake
  UpgradeRequest req;
  std::size_t consumed = 0;
  std::string error;
  REQUIRE(parse_upgrade_request(buffer, kMaxHandshakeBytes, req, consumed, error) == HandshakeStatus::kOk);
  CHECK(consumed == kRfcRequest.size());
  CHECK(req.path == "/chat");
  CHECK(req.host == "server.example.com");
  CHECK(req.key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(req.origin == "http://example.com");
  CHECK(req.protocols == "chat, superchat");
  CHECK(offers_protocol(req.protocols, "superchat"));
  CHECK_FALSE(offers_protocol(req.protocols, "httvps.v1"));
}

TEST_CASE("an upgrade request is incomplete until its header block ends", "[ws-handshake]") {
  for (std::size_t n = 0; n < kRfcRequest.size(); ++n) {
    UpgradeRequest req;
    std::size_t consumed = 0;
    std::string error;
    INFO(n);
    CHECK(parse_upgrade_request(std::string_view(kRfcRequest).substr(0, n), kMaxHandshakeBytes, req, consumed,
                                error) == HandshakeStatus::kIncomplete);
  }
}

TEST_CASE("upgrade header names and tokens are case-insensitive and repeated lists join", "[ws-handshake]") {
  std::string r = replace(kRfcRequest, "Upgrade: websocket", "upgrade: WebSocket");
  r = replace(r, "Connection: Upgrade", "CONNECTION: keep-alive, UPGRADE");
  r = replace(r, "Sec-WebSocket-Protocol: chat, superchat",
              "sec-websocket-protocol: chat\r\nSec-WebSocket-Protocol: httvps.v1");
  UpgradeRequest req;
  std::size_t consumed = 0;
  std::string error;
  REQUIRE(parse_upgrade_request(r, kMaxHandshakeBytes, req, consumed, error) == HandshakeStatus::kOk);
  CHECK(req.protocols == "chat, httvps.v1");
  CHECK(offers_protocol(req.protocols, "httvps.v1"));
}

TEST_CASE("parse_upgrade_request refuses every malformed upgrade", "[ws-handshake]") {
  struct Case {
    std::string request;
    std::uint16_t status;
  };
  const std::string k = kRfcRequest;
  const Case cases[] = {
      {replace(k, "GET", "POST"), 400},
      {replace(k, "HTTP/1.1", "HTTP/1.0"), 400},
      {replace(k, "GET /chat HTTP/1.1", "GET /chat  HTTP/1.1"), 400},
      {replace(k, "GET /chat HTTP/1.1", "GET http://x/chat HTTP/1.1"), 400},
      {replace(k, "GET /chat HTTP/1.1", "GET /chat"), 400},
      {replace(k, "Host: server.example.com\r\n", ""), 400},
      {replace(k, "Host: server.example.com\r\n", "Host: a\r\nHost: b\r\n"), 400},
      {replace(k, "Host: server.example.com", "Host: server example"), 400},
      {replace(k, "Host: server.example.com", "Host:"), 400},
      {replace(k, "Upgrade: websocket", "Upgrade: h2c"), 400},
      {replace(k, "Upgrade: websocket\r\n", ""), 400},
      {replace(k, "Connection: Upgrade", "Connection: keep-alive"), 400},
      {replace(k, "Sec-WebSocket-Version: 13\r\n", ""), 400},
      {replace(k, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), 426},
      {replace(k, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400},
      {replace(k, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ"), 400},
      {replace(k, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQo="), 400},
      {replace(k, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j*Q=="), 400},
      {replace(k, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="),
       400},
      {replace(k, "Origin: ", "Content-Length: 5\r\nOrigin: "), 400},
      {replace(k, "Origin: ", "Transfer-Encoding: chunked\r\nOrigin: "), 400},
      {replace(k, "Upgrade: websocket", "Upgrade : websocket"), 400},
      {replace(k, "Origin: http://example.com\r\n", "Origin: http://example.com\r\n  continued\r\n"), 400},
      {replace(k, "Origin: http://example.com", "Origin: http://exa\x01mple.com"), 400},
      {replace(k, "Origin: http://example.com", "Origin: http://exa\nmple.com"), 400},
      {replace(k, "Origin: http://example.com\r\n", "no colon here\r\n"), 400},
  };
  for (const auto& c : cases) {
    INFO(c.request);
    UpgradeRequest req;
    std::size_t consumed = 0;
    std::string error;
    CHECK(parse_upgrade_request(c.request, kMaxHandshakeBytes, req, consumed, error) == HandshakeStatus::kBad);
    CHECK_FALSE(error.empty());
    CHECK(req.refusal_status == c.status);
  }
}

TEST_CASE("an upgrade request may carry an empty body length", "[ws-handshake]") {
  std::string r = replace(kRfcRequest, "Origin: ", "Content-Length: 0\r\nOrigin: ");
  UpgradeRequest req;
  std::size_t consumed = 0;
  std::string error;
  CHECK(parse_upgrade_request(r, kMaxHandshakeBytes, req, consumed, error) == HandshakeStatus::kOk);
}

TEST_CASE("a header block over the byte limit is refused, complete or not", "[ws-handshake]") {
  UpgradeRequest req;
  std::size_t consumed = 0;
  std::string error;
  CHECK(parse_upgrade_request(kRfcRequest, kRfcRequest.size() - 1, req, consumed, error) == HandshakeStatus::kBad);
  CHECK(error.find("exceeds") != std::string::npos);
  CHECK(parse_upgrade_request(kRfcRequest, kRfcRequest.size(), req, consumed, error) == HandshakeStatus::kOk);
  std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a');
  CHECK(parse_upgrade_request(endless, 64, req, consumed, error) == HandshakeStatus::kBad);
  CHECK(parse_upgrade_request(endless, 4096, req, consumed, error) == HandshakeStatus::kIncomplete);
  // Bare LF line ends never complete a header block.
  std::string lf = "GET / HTTP/1.1\nHost: x\n\n";
  CHECK(parse_upgrade_request(lf, lf.size(), req, consumed, error) == HandshakeStatus::kBad);
}

TEST_CASE("offers_protocol matches whole list elements exactly", "[ws-handshake]") {
  CHECK(offers_protocol("httvps.v1", "httvps.v1"));
  CHECK(offers_protocol("httvps.v2 ,\thttvps.v1", "httvps.v1"));
  CHECK(offers_protocol(",,httvps.v1,", "httvps.v1"));
  CHECK_FALSE(offers_protocol("HTTVPS.V1", "httvps.v1"));
  CHECK_FALSE(offers_protocol("httvps.v10", "httvps.v1"));
  CHECK_FALSE(offers_protocol("", "httvps.v1"));
  CHECK_FALSE(offers_protocol("x", ""));
}

TEST_CASE("the 101 response accepts the key and names the subprotocol", "[ws-handshake]") {
  std::string r = build_upgrade_response("dGhlIHNhbXBsZSBub25jZQ==", "httvps.v1");
  CHECK(r ==
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: httvps.v1\r\n\r\n");
  CHECK(build_upgrade_response("dGhlIHNhbXBsZSBub25jZQ==", "").find("Sec-WebSocket-Protocol") == std::string::npos);
}

TEST_CASE("error responses carry a text body and 426 names version 13", "[ws-handshake]") {
  std::string bad = build_error_response(400, "missing Host");
  CHECK(bad.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(bad.find("Content-Length: 13\r\n") != std::string::npos);
  CHECK(bad.find("Connection: close\r\n") != std::string::npos);
  CHECK(bad.ends_with("\r\n\r\nmissing Host\n"));
  CHECK(bad.find("Sec-WebSocket-Version") == std::string::npos);
  std::string upgrade = build_error_response(426, "a\r\nb");
  CHECK(upgrade.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
  CHECK(upgrade.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  CHECK(upgrade.ends_with("\r\n\r\na  b\n"));
}

TEST_CASE("the client's upgrade request round-trips through the server's parser", "[ws-handshake]") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  std::string request = build_upgrade_request("gw.example.com:443", "/tunnel?x=1", key, "httvps.v1");
  UpgradeRequest req;
  std::size_t consumed = 0;
  std::string error;
  REQUIRE(parse_upgrade_request(request, kMaxHandshakeBytes, req, consumed, error) == HandshakeStatus::kOk);
  CHECK(consumed == request.size());
  CHECK(req.host == "gw.example.com:443");
  CHECK(req.path == "/tunnel?x=1");
  CHECK(req.key == key);
  CHECK(req.protocols == "httvps.v1");
}

TEST_CASE("build_upgrade_request refuses bytes that would inject headers", "[ws-handshake]") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  CHECK(build_upgrade_request("gw\r\nX: 1", "/", key, "httvps.v1").empty());
  CHECK(build_upgrade_request("gw", "/a b", key, "httvps.v1").empty());
  CHECK(build_upgrade_request("gw", "tunnel", key, "httvps.v1").empty());
  CHECK(build_upgrade_request("gw", "/", "short", "httvps.v1").empty());
  CHECK(build_upgrade_request("gw", "/", key, "httvps.v1\r\nX: 1").empty());
  CHECK(build_upgrade_request("", "/", key, "httvps.v1").empty());
}

TEST_CASE("the client accepts the 101 that answers its key and protocol", "[ws-handshake]") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  std::string response = build_upgrade_response(key, "httvps.v1") + std::string("\x82\x00", 2);
  UpgradeResponse out;
  std::size_t consumed = 0;
  std::string error;
  REQUIRE(parse_upgrade_response(response, kMaxHandshakeBytes, key, "httvps.v2, httvps.v1", out, consumed, error) ==
          HandshakeStatus::kOk);
  CHECK(out.status == 101);
  CHECK(out.protocol == "httvps.v1");
  CHECK(consumed == response.size() - 2);
  for (std::size_t n = 0; n < consumed; ++n) {
    CHECK(parse_upgrade_response(response.substr(0, n), kMaxHandshakeBytes, key, "httvps.v1", out, consumed, error) ==
          HandshakeStatus::kIncomplete);
  }
}

TEST_CASE("the client refuses a refusal, a wrong accept and a wrong subprotocol", "[ws-handshake]") {
  std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  std::string good = build_upgrade_response(key, "httvps.v1");
  struct Case {
    std::string response;
    std::string protocol;
    std::uint16_t status;
  };
  const Case cases[] = {
      {build_error_response(403, "no"), "httvps.v1", 403},
      {replace(good, "101 Switching Protocols", "200 OK"), "httvps.v1", 200},
      {replace(good, "HTTP/1.1 101", "HTTP/1.0 101"), "httvps.v1", 0},
      {replace(good, "HTTP/1.1 101 Switching Protocols", "HTTP/1.1 1x1"), "httvps.v1", 0},
      {replace(good, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "s3pPLMBiTxaQ9kYGzzhZRbK+xOp="), "httvps.v1", 101},
      {replace(good, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""), "httvps.v1", 101},
      {replace(good, "Upgrade: websocket\r\n", ""), "httvps.v1", 101},
      {replace(good, "Connection: Upgrade", "Connection: close"), "httvps.v1", 101},
      {replace(good, "Sec-WebSocket-Protocol: httvps.v1\r\n", ""), "httvps.v1", 101},
      {replace(good, "Sec-WebSocket-Protocol: httvps.v1", "Sec-WebSocket-Protocol: chat"), "httvps.v1", 101},
      {replace(good, "Protocol: httvps.v1", "Protocol: httvps.v1, chat"), "httvps.v1, chat", 101},
      {good, "", 101},
      {replace(good, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"), "httvps.v1", 101},
  };
  for (const auto& c : cases) {
    INFO(c.response);
    UpgradeResponse out;
    std::size_t consumed = 0;
    std::string error;
    CHECK(parse_upgrade_response(c.response, kMaxHandshakeBytes, key, c.protocol, out, consumed, error) ==
          HandshakeStatus::kBad);
    CHECK(out.status == c.status);
    CHECK_FALSE(error.empty());
  }
  UpgradeResponse out;
  std::size_t consumed = 0;
  std::string error;
  parse_upgrade_response(build_error_response(503, "draining"), kMaxHandshakeBytes, key, "httvps.v1", out, consumed,
                         error);
  CHECK(error == "gateway answered 503 Service Unavailable");
}

// ---- Frames -----------------------------------------------------------------------------

TEST_CASE("RFC 6455 section 5.7: a single-frame unmasked text message", "[ws-frame]") {
  Bytes in = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  FrameHeader h;
  CloseCode code;
  REQUIRE(parse_frame_header(in, kClient, h, code) == ParseStatus::kOk);
  CHECK(h.fin);
  CHECK(h.opcode == kOpText);
  CHECK_FALSE(h.masked);
  CHECK(h.length == 5);
  CHECK(h.header_size == 2);
  CHECK(frame(true, kOpText, bytes("Hello"), nullptr) == in);
  CHECK(run(in, kClient) == std::vector<std::string>{"text:Hello"});
}

TEST_CASE("RFC 6455 section 5.7: a single-frame masked text message", "[ws-frame]") {
  Bytes in = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  FrameHeader h;
  CloseCode code;
  REQUIRE(parse_frame_header(in, kServer, h, code) == ParseStatus::kOk);
  CHECK(h.masked);
  CHECK(h.mask == kRfcMask);
  CHECK(h.header_size == 6);
  CHECK(masked(true, kOpText, bytes("Hello")) == in);
  CHECK(run(in, kServer) == std::vector<std::string>{"text:Hello"});
}

TEST_CASE("RFC 6455 section 5.7: a fragmented unmasked text message", "[ws-frame]") {
  Bytes in = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  CHECK(concat({frame(false, kOpText, bytes("Hel"), nullptr), frame(true, kOpContinuation, bytes("lo"), nullptr)}) ==
        in);
  CHECK(run(in, kClient) == std::vector<std::string>{"text:Hello"});
}

TEST_CASE("RFC 6455 section 5.7: an unmasked ping and a masked pong", "[ws-frame]") {
  Bytes ping = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  Bytes pong = bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  CHECK(frame(true, kOpPing, bytes("Hello"), nullptr) == ping);
  CHECK(masked(true, kOpPong, bytes("Hello")) == pong);
  CHECK(run(ping, kClient) == std::vector<std::string>{"ping:Hello"});
  CHECK(run(pong, kServer) == std::vector<std::string>{"pong:Hello"});
}

TEST_CASE("RFC 6455 section 5.7: 256-byte and 64 KiB binary messages use 16- and 64-bit lengths", "[ws-frame]") {
  std::array<std::uint8_t, kMaxFrameHeader> out{};
  REQUIRE(write_frame_header(out, true, kOpBinary, 256, nullptr) == 4);
  CHECK(Bytes(out.begin(), out.begin() + 4) == bytes({0x82, 0x7E, 0x01, 0x00}));
  REQUIRE(write_frame_header(out, true, kOpBinary, 65536, nullptr) == 10);
  CHECK(Bytes(out.begin(), out.begin() + 10) == bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  REQUIRE(write_frame_header(out, true, kOpBinary, 65536, &kRfcMask) == 14);

  Bytes small(256, 0xAB);
  Bytes big(65536, 0xCD);
  for (const Bytes* payload : {&small, &big}) {
    Bytes in = frame(true, kOpBinary, *payload, nullptr);
    FrameHeader h;
    CloseCode code;
    REQUIRE(parse_frame_header(in, kClient, h, code) == ParseStatus::kOk);
    CHECK(h.length == payload->size());
    CHECK(h.header_size == (payload->size() == 256 ? 4u : 10u));
    CHECK(run(in, kClient) == std::vector<std::string>{"binary:" + text(*payload)});
  }
}

TEST_CASE("length encodings switch at 126 and 65536 bytes", "[ws-frame]") {
  std::array<std::uint8_t, kMaxFrameHeader> out{};
  CHECK(write_frame_header(out, true, kOpBinary, 125, nullptr) == 2);
  CHECK(write_frame_header(out, true, kOpBinary, 126, nullptr) == 4);
  CHECK(write_frame_header(out, true, kOpBinary, 65535, nullptr) == 4);
  CHECK(write_frame_header(out, true, kOpBinary, 65536, nullptr) == 10);
  CHECK(write_frame_header(out, true, kOpBinary, (1ull << 63) - 1, nullptr) == 10);
}

TEST_CASE("write_frame_header refuses headers RFC 6455 forbids", "[ws-frame]") {
  std::array<std::uint8_t, kMaxFrameHeader> out{};
  CHECK(write_frame_header(out, true, 0x3, 0, nullptr) == 0);
  CHECK(write_frame_header(out, true, 0xB, 0, nullptr) == 0);
  CHECK(write_frame_header(out, false, kOpPing, 0, nullptr) == 0);
  CHECK(write_frame_header(out, true, kOpClose, 126, nullptr) == 0);
  CHECK(write_frame_header(out, true, kOpBinary, 1ull << 63, nullptr) == 0);
}

TEST_CASE("every prefix of a frame header needs more bytes", "[ws-frame]") {
  for (std::uint64_t length : {0ull, 125ull, 126ull, 70000ull}) {
    Bytes header(kMaxFrameHeader);
    std::size_t n = write_frame_header(std::span<std::uint8_t, kMaxFrameHeader>(header.data(), kMaxFrameHeader), true,
                                       kOpBinary, length, &kRfcMask);
    header.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      FrameHeader h;
      CloseCode code;
      INFO(length << " " << k);
      CHECK(parse_frame_header(std::span(header).first(k), kServer, h, code) == ParseStatus::kNeedMore);
    }
  }
}

TEST_CASE("reserved bits fail the frame: no extension is negotiated", "[ws-frame]") {
  for (int rsv : {0x40, 0x20, 0x10}) {
    CHECK(header_error(bytes({0x82 | rsv, 0x00}), kClient) == CloseCode::kProtocolError);
    CHECK(header_error(bytes({0x82 | rsv}), kClient) == CloseCode::kProtocolError);  // decided from byte 1
  }
}

TEST_CASE("reserved opcodes fail the frame", "[ws-frame]") {
  for (int op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    INFO(op);
    CHECK(header_error(bytes({0x80 | op, 0x00}), kClient) == CloseCode::kProtocolError);
  }
}

TEST_CASE("control frames must not be fragmented nor longer than 125 bytes", "[ws-frame]") {
  for (int op : {kOpClose, kOpPing, kOpPong}) {
    INFO(op);
    CHECK(header_error(bytes({op, 0x00}), kClient) == CloseCode::kProtocolError);
    CHECK(header_error(bytes({0x80 | op, 126, 0x00, 126}), kClient) == CloseCode::kProtocolError);
    CHECK(header_error(bytes({0x80 | op, 127}), kClient) == CloseCode::kProtocolError);
    FrameHeader h;
    CloseCode code;
    CHECK(parse_frame_header(bytes({0x80 | op, 125}), kClient, h, code) == ParseStatus::kOk);
  }
}

TEST_CASE("a server requires masked frames and a client refuses them", "[ws-frame]") {
  CHECK(header_error(bytes({0x82, 0x00}), kServer) == CloseCode::kProtocolError);
  CHECK(header_error(bytes({0x82, 0x80}), kClient) == CloseCode::kProtocolError);
}

TEST_CASE("lengths must use the shortest encoding and 63 bits", "[ws-frame]") {
  CHECK(header_error(bytes({0x82, 126, 0x00, 125}), kClient) == CloseCode::kProtocolError);
  CHECK(header_error(bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}), kClient) == CloseCode::kProtocolError);
  CHECK(header_error(bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5}), kClient) == CloseCode::kProtocolError);
  FramePolicy unlimited{false, ~0ull};
  CHECK(header_error(bytes({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}), unlimited) == CloseCode::kProtocolError);
  FrameHeader h;
  CloseCode code;
  CHECK(parse_frame_header(bytes({0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), unlimited, h, code) ==
        ParseStatus::kOk);
  CHECK(h.length == (1ull << 63) - 1);
}

TEST_CASE("a frame over max_payload is refused with 1009 before its payload arrives", "[ws-frame]") {
  FramePolicy policy{true, 1000};
  CHECK(header_error(bytes({0x82, 0xFE, 0x03, 0xE9}), policy) == CloseCode::kMessageTooBig);
  FrameHeader h;
  CloseCode code;
  CHECK(parse_frame_header(bytes({0x82, 0xFE, 0x03, 0xE8, 1, 2, 3, 4}), policy, h, code) == ParseStatus::kOk);
}

TEST_CASE("apply_mask matches a byte-wise XOR at every offset and length", "[ws-frame]") {
  std::array<std::uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n < 80; ++n) {
      Bytes data(n + 1);
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
      Bytes expected = data;
      for (std::size_t i = 0; i < n; ++i) expected[1 + i] ^= mask[(offset + i) % 4];
      apply_mask(std::span(data).subspan(1, n), mask, offset);  // unaligned start
      INFO(offset << " " << n);
      CHECK(data == expected);
    }
  }
}

TEST_CASE("a payload unmasked in pieces equals one unmasked at once", "[ws-frame]") {
  Bytes original(1000);
  for (std::size_t i = 0; i < original.size(); ++i) original[i] = static_cast<std::uint8_t>(i);
  Bytes whole = original;
  apply_mask(whole, kRfcMask, 0);
  for (std::size_t split : {1u, 3u, 4u, 13u, 500u, 999u}) {
    Bytes pieces = original;
    apply_mask(std::span(pieces).first(split), kRfcMask, 0);
    apply_mask(std::span(pieces).subspan(split), kRfcMask, split);
    CHECK(pieces == whole);
  }
  apply_mask(whole, kRfcMask, 0);
  CHECK(whole == original);
}

// ---- UTF-8 ------------------------------------------------------------------------------

TEST_CASE("UTF-8 validation accepts RFC 3629 text at the edges of each range", "[utf8]") {
  for (std::string_view s : {"", "Hello", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", "\xC2\x80", "\xDF\xBF",
                             "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80", "\xEF\xBF\xBF", "\xF0\x90\x80\x80",
                             "\xF4\x8F\xBF\xBF"}) {
    INFO(s);
    CHECK(is_valid_utf8(s));
  }
}

TEST_CASE("UTF-8 validation refuses overlongs, surrogates, stray bytes and truncation", "[utf8]") {
  for (std::string_view s :
       {"\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF",
        "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFE", "\xFF", "\xE2\x82",
        "\xC2", "abc\xC2 ", "\xF0\x90\x80", "12345678\xED\xA0\x80"}) {
    INFO(s.size());
    CHECK_FALSE(is_valid_utf8(s));
  }
}

TEST_CASE("UTF-8 validation is incremental across any split", "[utf8]") {
  std::string_view s = "a\xF0\x9F\x98\x80 \xE2\x82\xAC \xCE\xBA end";
  for (std::size_t split = 0; split <= s.size(); ++split) {
    Utf8Validator v;
    auto b = std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    CHECK(v.feed(b.first(split)));
    CHECK(v.feed(b.subspan(split)));
    CHECK(v.complete());
  }
  Utf8Validator v;
  CHECK(v.feed(bytes({0xE2, 0x82})));
  CHECK_FALSE(v.complete());
  CHECK_FALSE(v.feed(bytes({0x41})));
  CHECK_FALSE(v.feed(bytes({0x41})));  // stays failed
  v.reset();
  CHECK(v.feed(bytes({0x41})));
}

// ---- Close frames -----------------------------------------------------------------------

TEST_CASE("close payloads carry a valid code and a UTF-8 reason", "[ws-close]") {
  ClosePayload out;
  CloseCode error = CloseCode::kNormal;
  CHECK(parse_close_payload({}, out, error));
  CHECK(out.code == CloseCode::kNoStatus);
  Bytes bye = bytes({0x03, 0xE8, 'b', 'y', 'e'});
  REQUIRE(parse_close_payload(bye, out, error));
  CHECK(out.code == CloseCode::kNormal);
  CHECK(out.reason == "bye");
  REQUIRE(parse_close_payload(bytes({0x0F, 0xA2}), out, error));
  CHECK(out.code == CloseCode::kTunnelProtocol);
  CHECK_FALSE(parse_close_payload(bytes({0x03}), out, error));
  CHECK(error == CloseCode::kProtocolError);
  CHECK_FALSE(parse_close_payload(bytes({0x03, 0xE8, 0xC0, 0x80}), out, error));
  CHECK(error == CloseCode::kInvalidPayload);
}

TEST_CASE("close codes that must never be sent are refused", "[ws-close]") {
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    INFO(code);
    CHECK_FALSE(is_valid_close_code(static_cast<std::uint16_t>(code)));
    ClosePayload out;
    CloseCode error = CloseCode::kNormal;
    CHECK_FALSE(parse_close_payload(bytes({code >> 8, code & 0xFF}), out, error));
    CHECK(error == CloseCode::kProtocolError);
  }
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4001, 4004, 4999}) {
    INFO(code);
    CHECK(is_valid_close_code(static_cast<std::uint16_t>(code)));
  }
}

TEST_CASE("write_close_payload cuts a long reason at a character boundary", "[ws-close]") {
  std::array<std::uint8_t, kMaxControlPayload> out{};
  CHECK(write_close_payload(out, CloseCode::kGoingAway, "draining") == 10);
  CHECK(out[0] == 0x03);
  CHECK(out[1] == 0xE9);
  std::string reason = "x";
  for (int i = 0; i < 100; ++i) reason += "\xE2\x82\xAC";  // 3-byte euro signs
  std::size_t n = write_close_payload(out, CloseCode::kNormal, reason);
  CHECK(n == 2 + 121);  // "x" + 40 euro signs; the 41st would end at 124
  ClosePayload parsed;
  CloseCode error;
  CHECK(parse_close_payload(std::span(out).first(n), parsed, error));
}

// ---- MessageAssembler -------------------------------------------------------------------

TEST_CASE("control frames may come between the fragments of a message", "[ws-assembler]") {
  Bytes in = concat({masked(false, kOpBinary, bytes("ab")), masked(true, kOpPing, bytes("p")),
                     masked(false, kOpContinuation, bytes("cd")), masked(true, kOpPong, bytes("")),
                     masked(true, kOpContinuation, bytes("e"))});
  CHECK(run(in, kServer) == std::vector<std::string>{"ping:p", "pong:", "binary:abcde"});
}

TEST_CASE("a continuation frame without a message to continue is a protocol error", "[ws-assembler]") {
  CHECK(run(masked(true, kOpContinuation, bytes("x")), kServer) == std::vector<std::string>{"error 1002"});
  Bytes in = concat({masked(true, kOpText, bytes("a")), masked(true, kOpContinuation, bytes("b"))});
  CHECK(run(in, kServer) == std::vector<std::string>{"text:a", "error 1002"});
}

TEST_CASE("a new data frame inside an unfinished message is a protocol error", "[ws-assembler]") {
  Bytes in = concat({masked(false, kOpText, bytes("a")), masked(true, kOpBinary, bytes("b"))});
  CHECK(run(in, kServer) == std::vector<std::string>{"error 1002"});
}

TEST_CASE("a message over the limit fails with 1009 when the header shows it", "[ws-assembler]") {
  Bytes in = concat({masked(false, kOpBinary, Bytes(6, 1)), masked(true, kOpContinuation, Bytes(5, 2))});
  CHECK(run(in, kServer, 10) == std::vector<std::string>{"error 1009"});
  Bytes fits = concat({masked(false, kOpBinary, Bytes(6, 'a')), masked(true, kOpContinuation, Bytes(4, 'b'))});
  CHECK(run(fits, kServer, 10) == std::vector<std::string>{"binary:aaaaaabbbb"});
  CHECK(run(masked(true, kOpBinary, Bytes(11, 1)), kServer, 10) == std::vector<std::string>{"error 1009"});
}

TEST_CASE("text split inside a character across fragments is valid", "[ws-assembler]") {
  Bytes in = concat({masked(false, kOpText, bytes({'a', 0xE2})), masked(false, kOpContinuation, bytes({0x82})),
                     masked(true, kOpContinuation, bytes({0xAC}))});
  CHECK(run(in, kServer) == std::vector<std::string>{"text:a\xE2\x82\xAC"});
}

TEST_CASE("invalid UTF-8 in a text message fails with 1007 at the bad fragment", "[ws-assembler]") {
  MessageAssembler a(1 << 20);
  FrameHeader h{false, kOpText, false, {}, 2, 2};
  CHECK(a.feed(h, bytes({'o', 'k'})).event == AssemblerEvent::kNone);
  FrameHeader bad{false, kOpContinuation, false, {}, 2, 2};
  auto r = a.feed(bad, bytes({0xED, 0xA0}));  // a surrogate: known bad before the message ends
  CHECK(r.event == AssemblerEvent::kError);
  CHECK(r.close_code == CloseCode::kInvalidPayload);
  // Truncated at the end of the message.
  CHECK(run(masked(true, kOpText, bytes({'a', 0xE2, 0x82})), kServer) == std::vector<std::string>{"error 1007"});
  CHECK(run(concat({masked(false, kOpText, bytes({0xE2})), masked(true, kOpContinuation, bytes({0x82}))}), kServer) ==
        std::vector<std::string>{"error 1007"});
  // Overlong.
  CHECK(run(masked(true, kOpText, bytes({0xC0, 0xAF})), kServer) == std::vector<std::string>{"error 1007"});
  // Binary messages are not checked.
  CHECK(run(masked(true, kOpBinary, bytes({0xC0, 0xAF})), kServer) == std::vector<std::string>{"binary:\xC0\xAF"});
}

TEST_CASE("a close frame reports the peer's code and reason, and nothing may follow it", "[ws-assembler]") {
  Bytes close = masked(true, kOpClose, bytes({0x0F, 0xA3, 'q', 'u', 'o', 't', 'a'}));
  CHECK(run(close, kServer) == std::vector<std::string>{"close 4003:quota"});
  CHECK(run(concat({close, masked(true, kOpPing, {})}), kServer) ==
        std::vector<std::string>{"close 4003:quota", "error 1002"});
  CHECK(run(masked(true, kOpClose, {}), kServer) == std::vector<std::string>{"close 1005:"});
  CHECK(run(masked(true, kOpClose, bytes({0x03, 0xED})), kServer) == std::vector<std::string>{"error 1002"});
  CHECK(run(masked(true, kOpClose, bytes({0x03})), kServer) == std::vector<std::string>{"error 1002"});
  CHECK(run(masked(true, kOpClose, bytes({0x03, 0xE8, 0xFF})), kServer) == std::vector<std::string>{"error 1007"});
}

TEST_CASE("an assembler error is sticky", "[ws-assembler]") {
  MessageAssembler a(1 << 20);
  FrameHeader cont{true, kOpContinuation, false, {}, 0, 2};
  CHECK(a.feed(cont, {}).close_code == CloseCode::kProtocolError);
  FrameHeader ok{true, kOpBinary, false, {}, 0, 2};
  auto r = a.feed(ok, {});
  CHECK(r.event == AssemblerEvent::kError);
  CHECK(r.close_code == CloseCode::kProtocolError);
  CHECK(a.begin_frame(ok).event == AssemblerEvent::kError);
}

TEST_CASE("an unfragmented message is handed back without a copy", "[ws-assembler]") {
  MessageAssembler a(1 << 20);
  Bytes payload = bytes("abc");
  FrameHeader h{true, kOpBinary, false, {}, 3, 2};
  auto r = a.feed(h, payload);
  REQUIRE(r.event == AssemblerEvent::kMessage);
  CHECK(r.payload.data() == payload.data());
  CHECK(r.payload.size() == 3);
}

TEST_CASE("streaming payload pieces assemble like whole frames", "[ws-assembler]") {
  MessageAssembler a(1 << 20);
  FrameHeader first{false, kOpText, false, {}, 5, 2};
  REQUIRE(a.begin_frame(first).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("He")).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("")).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("llo")).event == AssemblerEvent::kNone);
  CHECK(a.end_frame().event == AssemblerEvent::kNone);
  CHECK(a.in_message());
  FrameHeader ping{true, kOpPing, false, {}, 2, 2};
  REQUIRE(a.begin_frame(ping).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("p")).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("q")).event == AssemblerEvent::kNone);
  auto pong = a.end_frame();
  CHECK(pong.event == AssemblerEvent::kPing);
  CHECK(text(pong.payload) == "pq");
  FrameHeader last{true, kOpContinuation, false, {}, 1, 2};
  REQUIRE(a.begin_frame(last).event == AssemblerEvent::kNone);
  CHECK(a.add_payload(bytes("!")).event == AssemblerEvent::kNone);
  auto r = a.end_frame();
  REQUIRE(r.event == AssemblerEvent::kMessage);
  CHECK(r.text);
  CHECK(text(r.payload) == "Hello!");
  CHECK_FALSE(a.in_message());
  a.release_memory();
}

TEST_CASE("misusing the streaming calls is an internal error, not a crash", "[ws-assembler]") {
  FrameHeader h{true, kOpBinary, false, {}, 2, 2};
  {
    MessageAssembler a(1 << 20);
    CHECK(a.add_payload(bytes("x")).close_code == CloseCode::kInternalError);
  }
  {
    MessageAssembler a(1 << 20);
    a.begin_frame(h);
    CHECK(a.add_payload(bytes("xyz")).close_code == CloseCode::kInternalError);
  }
  {
    MessageAssembler a(1 << 20);
    a.begin_frame(h);
    a.add_payload(bytes("x"));
    CHECK(a.end_frame().close_code == CloseCode::kInternalError);
  }
  {
    MessageAssembler a(1 << 20);
    CHECK(a.end_frame().close_code == CloseCode::kInternalError);
  }
  {
    MessageAssembler a(1 << 20);
    CHECK(a.feed(h, bytes("x")).close_code == CloseCode::kInternalError);
  }
  {
    MessageAssembler a(1 << 20);
    FrameHeader bogus{true, 0x3, false, {}, 0, 2};
    CHECK(a.feed(bogus, {}).close_code == CloseCode::kProtocolError);
    MessageAssembler b(1 << 20);
    FrameHeader long_ping{true, kOpPing, false, {}, 126, 2};
    CHECK(b.begin_frame(long_ping).close_code == CloseCode::kProtocolError);
  }
}
