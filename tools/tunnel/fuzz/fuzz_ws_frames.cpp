// Fuzz target: bytes as a WebSocket peer sends them. Byte 0 seeds the split points and
// the limits; the rest is a stream of frames, fed in random pieces through
// parse_frame_header, apply_mask and MessageAssembler, once as a server (masked frames)
// and once as a client (unmasked). Nothing may crash, and:
//   - a header prefix needs more bytes or fails with the same code as the whole header;
//     an accepted header is rewritten byte for byte by write_frame_header;
//   - unmasking in pieces equals a byte-wise XOR;
//   - the streaming assembler (pieces) and feed() (whole frames) agree on every event;
//   - a message is the concatenation of its fragments, within the size limit, and text
//     messages are UTF-8 by an independent decoder;
// The same bytes also go through the handshake parsers of both sides: an accepted
// request is answered with a 101 that the client side accepts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tunnel/ws_frame.hpp"

using namespace httvps::tunnel;

namespace {

using Bytes = std::vector<std::uint8_t>;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// RFC 3629 by decoding each code point, independently of Utf8Validator.
bool reference_utf8(std::span<const std::uint8_t> b) {
  std::size_t i = 0;
  while (i < b.size()) {
    std::uint32_t c = b[i];
    std::size_t len = 1;
    std::uint32_t min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, c &= 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > b.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (b[i + k] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

struct Rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

void same(const AssemblerResult& a, const AssemblerResult& b) {
  check(a.event == b.event);
  switch (a.event) {
    case AssemblerEvent::kError:
      check(a.close_code == b.close_code);
      break;
    case AssemblerEvent::kMessage:
      check(a.text == b.text);
      [[fallthrough]];
    case AssemblerEvent::kPing:
    case AssemblerEvent::kPong:
      check(std::equal(a.payload.begin(), a.payload.end(), b.payload.begin(), b.payload.end()));
      break;
    case AssemblerEvent::kClose:
      check(a.close_code == b.close_code && a.close_reason == b.close_reason);
      break;
    case AssemblerEvent::kNone:
      break;
  }
}

void check_header(std::span<const std::uint8_t> buf, const FramePolicy& policy, ParseStatus status,
                  const FrameHeader& h, CloseCode code) {
  const std::size_t whole =
      status == ParseStatus::kOk ? h.header_size : std::min<std::size_t>(buf.size(), kMaxFrameHeader);
  for (std::size_t k = 0; k < whole; ++k) {
    FrameHeader p;
    CloseCode c = CloseCode::kNormal;
    ParseStatus s = parse_frame_header(buf.first(k), policy, p, c);
    check(s == ParseStatus::kNeedMore || (status == ParseStatus::kError && s == ParseStatus::kError && c == code));
  }
  if (status != ParseStatus::kOk) return;
  std::array<std::uint8_t, kMaxFrameHeader> out{};
  std::size_t n = write_frame_header(out, h.fin, h.opcode, h.length, h.masked ? &h.mask : nullptr);
  check(n == h.header_size && std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), buf.begin()));
}

void run(std::span<const std::uint8_t> stream, std::uint8_t seed, bool server) {
  const bool small = (seed & 1) != 0;
  const FramePolicy policy{server, small ? 1000u : 1u << 20};
  const std::uint64_t max_message = small ? 2500 : (1u << 20) + 12;
  MessageAssembler streaming(max_message);
  MessageAssembler whole(max_message);
  Rng rng{0x9E3779B9u ^ (std::uint32_t{seed} * 0x01000193u) ^ (server ? 1u : 2u)};
  const std::uint32_t max_piece = 1 + (seed >> 1) % 64;

  bool in_payload = false;
  FrameHeader h;
  std::uint64_t offset = 0;
  Bytes frame_payload;  // unmasked payload of the current frame, for `whole`
  Bytes message;        // the expected message: its fragments so far
  std::size_t arrived = 0;  // stream[taken, arrived) is received and not yet taken
  std::size_t taken = 0;
  while (arrived < stream.size()) {
    arrived += std::min<std::size_t>(1 + rng.next() % max_piece, stream.size() - arrived);
    while (true) {
      if (!in_payload) {
        auto buffer = stream.subspan(taken, arrived - taken);
        CloseCode code = CloseCode::kNormal;
        ParseStatus status = parse_frame_header(buffer, policy, h, code);
        check_header(buffer, policy, status, h, code);
        if (status == ParseStatus::kNeedMore) break;
        if (status == ParseStatus::kError) {
          check(code == CloseCode::kProtocolError || code == CloseCode::kMessageTooBig);
          return;
        }
        check(h.length <= policy.max_payload && h.masked == server);
        AssemblerResult r = streaming.begin_frame(h);
        if (r.event == AssemblerEvent::kError) {
          same(r, whole.begin_frame(h));
          return;
        }
        check(r.event == AssemblerEvent::kNone);
        taken += h.header_size;
        in_payload = true;
        offset = 0;
        frame_payload.clear();
      }
      // Payload: take what has arrived, in up to two slices so that unmasking restarts
      // at odd offsets.
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(arrived - taken, h.length - offset));
      std::size_t first = n == 0 ? 0 : rng.next() % (n + 1);
      for (std::size_t part : {first, n - first}) {
        auto slice = stream.subspan(taken, part);
        taken += part;
        Bytes chunk(slice.begin(), slice.end());
        Bytes expected = chunk;
        for (std::size_t i = 0; i < expected.size(); ++i) expected[i] ^= h.mask[(offset + i) % 4];
        apply_mask(chunk, h.mask, offset);
        check(chunk == expected);
        if (streaming.add_payload(chunk).event == AssemblerEvent::kError) return;
        frame_payload.insert(frame_payload.end(), chunk.begin(), chunk.end());
        offset += part;
      }
      if (offset < h.length) break;
      in_payload = false;
      if (!is_control_opcode(h.opcode)) message.insert(message.end(), frame_payload.begin(), frame_payload.end());
      AssemblerResult a = streaming.end_frame();
      AssemblerResult b = whole.feed(h, frame_payload);
      same(a, b);
      if (a.event == AssemblerEvent::kError) {
        check(a.close_code == CloseCode::kInvalidPayload || a.close_code == CloseCode::kProtocolError);
        return;
      }
      if (a.event == AssemblerEvent::kMessage) {
        check(message.size() <= max_message);
        check(std::equal(a.payload.begin(), a.payload.end(), message.begin(), message.end()));
        if (a.text) check(reference_utf8(a.payload));
        message.clear();
      }
      if (a.event == AssemblerEvent::kClose) {
        const auto code = static_cast<std::uint16_t>(a.close_code);
        check(a.close_code == CloseCode::kNoStatus || is_valid_close_code(code));
      }
    }
  }
}

void handshakes(std::span<const std::uint8_t> data) {
  std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  UpgradeRequest request;
  std::size_t consumed = 0;
  std::string error;
  HandshakeStatus st = parse_upgrade_request(text, kMaxHandshakeBytes, request, consumed, error);
  check(st != HandshakeStatus::kBad || !error.empty());
  if (st == HandshakeStatus::kOk) {
    check(consumed <= text.size() && consumed <= kMaxHandshakeBytes);
    check(request.key.size() == 24 && !request.host.empty() && request.path.front() == '/');
    std::string answer = build_upgrade_response(request.key, "httvps.v1");
    UpgradeResponse response;
    std::size_t used = 0;
    check(parse_upgrade_response(answer, kMaxHandshakeBytes, request.key, "httvps.v1", response, used, error) ==
          HandshakeStatus::kOk);
    check(used == answer.size() && response.protocol == "httvps.v1");
    std::string again = build_upgrade_request(request.host, request.path, request.key, "httvps.v1");
    check(!again.empty());
    UpgradeRequest reparsed;
    check(parse_upgrade_request(again, kMaxHandshakeBytes, reparsed, used, error) == HandshakeStatus::kOk);
    check(reparsed.host == request.host && reparsed.path == request.path && reparsed.key == request.key);
  }
  UpgradeResponse response;
  st = parse_upgrade_response(text, kMaxHandshakeBytes, "dGhlIHNhbXBsZSBub25jZQ==", "httvps.v2, httvps.v1", response,
                              consumed, error);
  check(st != HandshakeStatus::kBad || !error.empty());
  if (st == HandshakeStatus::kOk) {
    check(consumed <= text.size() && response.status == 101);
    check(response.protocol == "httvps.v1" || response.protocol == "httvps.v2");
  }
  (void)offers_protocol(text, "httvps.v1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> stream(data + 1, size - 1);
  run(stream, data[0], true);
  run(stream, data[0], false);

  // UTF-8: the incremental validator, split anywhere, agrees with the decoder.
  const bool valid = reference_utf8(stream);
  check(is_valid_utf8(stream) == valid);
  Utf8Validator v;
  std::size_t split = stream.empty() ? 0 : data[0] % (stream.size() + 1);
  bool ok = v.feed(stream.first(split));
  ok = v.feed(stream.subspan(split)) && ok;
  check((ok && v.complete()) == valid);

  handshakes(stream);
  return 0;
}
