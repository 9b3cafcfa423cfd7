#include "tunnel/ws_frame.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

namespace httvps::tunnel {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kKeepMessageCapacity = 64 * 1024;

// ---- HTTP/1.1 header blocks -------------------------------------------------------------

char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) noexcept { return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar); }

// Field content: visible bytes, obs-text, space and tab; no CR, LF, NUL or other controls.
bool is_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

bool is_visible(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

// Calls F(element) for each element of a comma-separated list, OWS trimmed, empty ones
// skipped (RFC 7230 §7); stops early when F returns true, and returns whether it did.
template <class F>
bool any_list_element(std::string_view list, F&& f) noexcept {
  while (true) {
    auto comma = list.find(',');
    std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty() && f(element)) return true;
    if (comma == std::string_view::npos) return false;
    list.remove_prefix(comma + 1);
  }
}

bool list_has_token(std::string_view list, std::string_view token) noexcept {
  return any_list_element(list, [token](std::string_view e) { return iequals(e, token); });
}

// Finds the end of the header block (CRLF CRLF) within the first MAX_BYTES of BUFFER.
HandshakeStatus find_head_end(std::string_view buffer, std::size_t max_bytes, std::size_t& end,
                              std::string& error) noexcept {
  std::size_t limit = std::min(buffer.size(), max_bytes);
  auto pos = buffer.substr(0, limit).find("\r\n\r\n");
  if (pos != std::string_view::npos) {
    end = pos + 4;
    return HandshakeStatus::kOk;
  }
  if (buffer.size() >= max_bytes) {
    error = "header block exceeds " + std::to_string(max_bytes) + " bytes";
    return HandshakeStatus::kBad;
  }
  return HandshakeStatus::kIncomplete;
}

// Splits HEAD (the block up to and including its final CRLF CRLF) into the start line
// and calls FIELD(name, value) per header field. False with ERROR on malformed syntax.
template <class F>
bool parse_head(std::string_view head, std::string_view& start_line, F&& field, std::string& error) noexcept {
  head.remove_suffix(2);  // the empty line's CRLF; every line now ends in CRLF
  auto eol = head.find("\r\n");
  start_line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  if (!is_field_value(start_line)) {
    error = "control bytes in the start line";
    return false;
  }
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    if (colon == std::string_view::npos || !is_token(name)) {
      error = "malformed header field";
      return false;
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) {
      error = "control bytes in header field '" + std::string(name) + "'";
      return false;
    }
    if (!field(name, value)) return false;
  }
  return true;
}

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// 16 bytes in padded base64 are 22 symbols and "==".
bool is_websocket_key(std::string_view key) noexcept {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) { return base64_value(c) >= 0; });
}

std::string join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out(a);
  out += ", ";
  out += b;
  return out;
}

const char* reason_phrase(std::uint16_t status) noexcept {
  switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::uint64_t read_be(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Stores VALUE in SLOT, refusing a header field that appears twice.
// Appends "Sec-WebSocket-Protocol: PROTOCOL" when one is named (request and response alike).
void append_protocol_field(std::string& out, std::string_view protocol) {
  if (protocol.empty()) return;
  out += "Sec-WebSocket-Protocol: ";
  out += protocol;
  out += "\r\n";
}

bool set_once(std::string_view& slot, std::string_view name, std::string_view value, std::string& error) {
  if (slot.data() != nullptr) {
    error = "repeated header field '" + std::string(name) + "'";
    return false;
  }
  slot = value;
  return true;
}

}  // namespace

bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// ---- Handshake ---------------------------------------------------------------------------

std::string websocket_accept(std::string_view key) noexcept {
  std::string input(key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr) != 1) return {};
  unsigned char text[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int n = EVP_EncodeBlock(text, digest, static_cast<int>(digest_size));
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

std::string generate_websocket_key() noexcept {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return {};
  unsigned char text[25];
  int n = EVP_EncodeBlock(text, raw, sizeof raw);
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

HandshakeStatus parse_upgrade_request(std::string_view buffer, std::size_t max_bytes, UpgradeRequest& out,
                                      std::size_t& consumed, std::string& error) noexcept {
  out = UpgradeRequest{};
  std::size_t end = 0;
  if (auto st = find_head_end(buffer, max_bytes, end, error); st != HandshakeStatus::kOk) return st;

  std::string_view start_line;
  std::string_view host, key, version, origin;
  std::string upgrade, connection;
  bool body = false;
  auto field = [&](std::string_view name, std::string_view value) {
    auto once = [&](std::string_view& slot) { return set_once(slot, name, value, error); };
    if (iequals(name, "host")) return once(host);
    if (iequals(name, "sec-websocket-key")) return once(key);
    if (iequals(name, "sec-websocket-version")) return once(version);
    if (iequals(name, "origin")) return once(origin);
    if (iequals(name, "upgrade")) upgrade = join(upgrade, value);
    else if (iequals(name, "connection")) connection = join(connection, value);
    else if (iequals(name, "sec-websocket-protocol")) out.protocols = join(out.protocols, value);
    else if (iequals(name, "transfer-encoding")) body = true;
    else if (iequals(name, "content-length"))
      body = body || value.empty() || value.find_first_not_of('0') != value.npos;
    return true;
  };
  if (!parse_head(buffer.substr(0, end), start_line, field, error)) return HandshakeStatus::kBad;

  auto sp1 = start_line.find(' ');
  auto sp2 = start_line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    error = "malformed request line";
    return HandshakeStatus::kBad;
  }
  std::string_view method = start_line.substr(0, sp1);
  std::string_view target = start_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view http = start_line.substr(sp2 + 1);
  if (method != "GET") {
    error = "method is not GET";
  } else if (http != "HTTP/1.1") {
    error = "not an HTTP/1.1 request";
  } else if (!is_visible(target) || target.front() != '/') {
    error = "request target is not a path";
  } else if (host.data() == nullptr) {
    error = "missing Host";
  } else if (!is_visible(host)) {
    error = "malformed Host";
  } else if (!list_has_token(upgrade, "websocket")) {
    error = "Upgrade does not name websocket";
  } else if (!list_has_token(connection, "upgrade")) {
    error = "Connection does not name upgrade";
  } else if (version != "13") {
    if (version.data() == nullptr) {
      error = "missing Sec-WebSocket-Version";
    } else {
      error = "Sec-WebSocket-Version is not 13";
      out.refusal_status = 426;
    }
  } else if (key.data() == nullptr) {
    error = "missing Sec-WebSocket-Key";
  } else if (!is_websocket_key(key)) {
    error = "Sec-WebSocket-Key is not 16 bytes in base64";
  } else if (body) {
    error = "upgrade request with a body";
  } else {
    out.path = target;
    out.host = host;
    out.key = key;
    out.origin = origin;
    consumed = end;
    return HandshakeStatus::kOk;
  }
  return HandshakeStatus::kBad;
}

bool offers_protocol(std::string_view header, std::string_view name) noexcept {
  return !name.empty() && any_list_element(header, [name](std::string_view e) { return e == name; });
}

std::string build_upgrade_response(std::string_view key, std::string_view protocol) noexcept {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += websocket_accept(key);
  out += "\r\n";
  append_protocol_field(out, protocol);
  out += "\r\n";
  return out;
}

std::string build_error_response(std::uint16_t status, std::string_view body) noexcept {
  std::string text(body);
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  text += '\n';
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Length: " + std::to_string(text.size()) + "\r\n";
  out += "Connection: close\r\n";
  if (status == 426) out += "Sec-WebSocket-Version: 13\r\n";
  out += "\r\n";
  out += text;
  return out;
}

std::string build_upgrade_request(std::string_view host, std::string_view path, std::string_view key,
                                  std::string_view protocol) noexcept {
  if (!is_visible(host) || !is_visible(path) || path.front() != '/' || !is_websocket_key(key)) return {};
  if (!protocol.empty() && (!is_field_value(protocol) || trim_ows(protocol).size() != protocol.size())) return {};
  std::string out = "GET ";
  out += path;
  out += " HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  out += key;
  out += "\r\nSec-WebSocket-Version: 13\r\n";
  append_protocol_field(out, protocol);
  out += "\r\n";
  return out;
}

HandshakeStatus parse_upgrade_response(std::string_view buffer, std::size_t max_bytes, std::string_view key,
                                       std::string_view protocol, UpgradeResponse& out, std::size_t& consumed,
                                       std::string& error) noexcept {
  out = UpgradeResponse{};
  std::size_t end = 0;
  if (auto st = find_head_end(buffer, max_bytes, end, error); st != HandshakeStatus::kOk) return st;

  std::string_view status_line, accept, selected;
  std::string upgrade, connection;
  bool extensions = false;
  auto field = [&](std::string_view name, std::string_view value) {
    auto once = [&](std::string_view& slot) { return set_once(slot, name, value, error); };
    if (iequals(name, "sec-websocket-accept")) return once(accept);
    if (iequals(name, "sec-websocket-protocol")) return once(selected);
    if (iequals(name, "upgrade")) upgrade = join(upgrade, value);
    else if (iequals(name, "connection")) connection = join(connection, value);
    else if (iequals(name, "sec-websocket-extensions")) extensions = true;
    return true;
  };
  if (!parse_head(buffer.substr(0, end), status_line, field, error)) return HandshakeStatus::kBad;

  constexpr std::string_view kVersion = "HTTP/1.1 ";
  bool digits = status_line.size() >= kVersion.size() + 3 &&
                std::all_of(status_line.begin() + kVersion.size(), status_line.begin() + kVersion.size() + 3,
                            [](char c) { return c >= '0' && c <= '9'; });
  if (!status_line.starts_with(kVersion) || !digits ||
      (status_line.size() > kVersion.size() + 3 && status_line[kVersion.size() + 3] != ' ')) {
    error = "malformed status line";
    return HandshakeStatus::kBad;
  }
  for (std::size_t i = 0; i < 3; ++i) {
    out.status = static_cast<std::uint16_t>(out.status * 10 + (status_line[kVersion.size() + i] - '0'));
  }
  if (out.status != 101) {
    error = "gateway answered " + std::string(status_line.substr(kVersion.size()));
  } else if (!list_has_token(upgrade, "websocket")) {
    error = "Upgrade does not name websocket";
  } else if (!list_has_token(connection, "upgrade")) {
    error = "Connection does not name upgrade";
  } else if (accept.data() == nullptr || accept != websocket_accept(key)) {
    error = "wrong Sec-WebSocket-Accept";
  } else if (extensions) {
    error = "gateway selected an extension that was not offered";
  } else if (protocol.empty() && selected.data() != nullptr) {
    error = "gateway selected a subprotocol that was not offered";
  } else if (!protocol.empty() && selected.data() == nullptr) {
    error = "gateway selected no subprotocol";
  } else if (!protocol.empty() && (!is_token(selected) || !offers_protocol(protocol, selected))) {
    error = "gateway selected subprotocol '" + std::string(selected) + "', which was not offered";
  } else {
    out.protocol = selected;
    consumed = end;
    return HandshakeStatus::kOk;
  }
  return HandshakeStatus::kBad;
}

// ---- Frames ------------------------------------------------------------------------------

ParseStatus parse_frame_header(std::span<const std::uint8_t> in, const FramePolicy& policy, FrameHeader& out,
                               CloseCode& error) noexcept {
  auto fail = [&error](CloseCode code) {
    error = code;
    return ParseStatus::kError;
  };
  if (in.empty()) return ParseStatus::kNeedMore;
  const std::uint8_t b0 = in[0];
  out.fin = (b0 & 0x80) != 0;
  out.opcode = b0 & 0x0F;
  if ((b0 & 0x70) != 0) return fail(CloseCode::kProtocolError);  // RSV1-3: no extension negotiated
  if (!is_known_opcode(out.opcode)) return fail(CloseCode::kProtocolError);
  const bool control = is_control_opcode(out.opcode);
  if (control && !out.fin) return fail(CloseCode::kProtocolError);
  if (in.size() < 2) return ParseStatus::kNeedMore;

  const std::uint8_t b1 = in[1];
  out.masked = (b1 & 0x80) != 0;
  if (out.masked != policy.require_masked) return fail(CloseCode::kProtocolError);
  const std::uint8_t len7 = b1 & 0x7F;
  if (control && len7 > kMaxControlPayload) return fail(CloseCode::kProtocolError);
  const std::size_t extra = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  if (in.size() < 2 + extra) return ParseStatus::kNeedMore;
  if (extra == 0) {
    out.length = len7;
  } else {
    out.length = read_be(in.data() + 2, extra);
    if (extra == 8 && (out.length >> 63) != 0) return fail(CloseCode::kProtocolError);
    if (out.length < (extra == 2 ? 126u : 0x10000u)) return fail(CloseCode::kProtocolError);  // not minimal
  }
  if (out.length > policy.max_payload) return fail(CloseCode::kMessageTooBig);
  out.header_size = 2 + extra + (out.masked ? 4 : 0);
  if (in.size() < out.header_size) return ParseStatus::kNeedMore;
  out.mask = {};
  if (out.masked) std::memcpy(out.mask.data(), in.data() + 2 + extra, 4);
  return ParseStatus::kOk;
}

void apply_mask(std::span<std::uint8_t> data, std::array<std::uint8_t, 4> mask, std::uint64_t offset) noexcept {
  std::uint8_t pattern[8];
  for (std::size_t i = 0; i < 8; ++i) pattern[i] = mask[(offset + i) & 3];
  std::uint64_t word;
  std::memcpy(&word, pattern, 8);
  std::uint8_t* p = data.data();
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    std::uint64_t v[4];
    std::memcpy(v, p + i, 32);
    v[0] ^= word;
    v[1] ^= word;
    v[2] ^= word;
    v[3] ^= word;
    std::memcpy(p + i, v, 32);
  }
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, 8);
    v ^= word;
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i) p[i] ^= pattern[i & 7];
}

std::size_t write_frame_header(std::span<std::uint8_t, kMaxFrameHeader> out, bool fin, std::uint8_t opcode,
                               std::uint64_t length, const std::array<std::uint8_t, 4>* mask) noexcept {
  if (!is_known_opcode(opcode) || (length >> 63) != 0) return 0;
  if (is_control_opcode(opcode) && (!fin || length > kMaxControlPayload)) return 0;
  out[0] = static_cast<std::uint8_t>((fin ? 0x80 : 0) | opcode);
  const std::uint8_t mask_bit = mask != nullptr ? 0x80 : 0;
  std::size_t n = 2;
  if (length < 126) {
    out[1] = static_cast<std::uint8_t>(mask_bit | length);
  } else {
    const std::size_t bytes = length <= 0xFFFF ? 2 : 8;
    out[1] = static_cast<std::uint8_t>(mask_bit | (bytes == 2 ? 126 : 127));
    for (std::size_t i = 0; i < bytes; ++i) out[2 + i] = static_cast<std::uint8_t>(length >> (8 * (bytes - 1 - i)));
    n += bytes;
  }
  if (mask != nullptr) {
    std::memcpy(out.data() + n, mask->data(), 4);
    n += 4;
  }
  return n;
}

// ---- UTF-8 -------------------------------------------------------------------------------

bool Utf8Validator::feed(std::span<const std::uint8_t> bytes) noexcept {
  if (failed_) return false;
  const std::uint8_t* p = bytes.data();
  const std::size_t n = bytes.size();
  std::size_t i = 0;
  while (i < n) {
    if (need_ == 0) {
      // ASCII runs, eight bytes at a time.
      while (i + 8 <= n) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if ((w & 0x8080808080808080ull) != 0) break;
        i += 8;
      }
      if (i == n) break;
      const std::uint8_t b = p[i++];
      if (b < 0x80) continue;
      lo_ = 0x80;
      hi_ = 0xBF;
      if (b < 0xC2) {  // stray continuation, or an overlong 2-byte form
        failed_ = true;
      } else if (b < 0xE0) {
        need_ = 1;
      } else if (b < 0xF0) {
        need_ = 2;
        if (b == 0xE0) lo_ = 0xA0;  // overlong
        if (b == 0xED) hi_ = 0x9F;  // surrogates
      } else if (b < 0xF5) {
        need_ = 3;
        if (b == 0xF0) lo_ = 0x90;  // overlong
        if (b == 0xF4) hi_ = 0x8F;  // above U+10FFFF
      } else {
        failed_ = true;
      }
      if (failed_) return false;
    } else {
      const std::uint8_t b = p[i++];
      if (b < lo_ || b > hi_) {
        failed_ = true;
        return false;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
    }
  }
  return true;
}

bool is_valid_utf8(std::span<const std::uint8_t> bytes) noexcept {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

bool is_valid_utf8(std::string_view text) noexcept {
  return is_valid_utf8(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

// ---- Close frames ------------------------------------------------------------------------

bool parse_close_payload(std::span<const std::uint8_t> payload, ClosePayload& out, CloseCode& error) noexcept {
  out = ClosePayload{};
  if (payload.empty()) return true;
  const auto code = static_cast<std::uint16_t>(read_be(payload.data(), std::min<std::size_t>(payload.size(), 2)));
  if (payload.size() < 2 || !is_valid_close_code(code)) {
    error = CloseCode::kProtocolError;
    return false;
  }
  auto reason = payload.subspan(2);
  if (!is_valid_utf8(reason)) {
    error = CloseCode::kInvalidPayload;
    return false;
  }
  out.code = static_cast<CloseCode>(code);
  out.reason = std::string_view(reinterpret_cast<const char*>(reason.data()), reason.size());
  return true;
}

std::size_t write_close_payload(std::span<std::uint8_t, kMaxControlPayload> out, CloseCode code,
                                std::string_view reason) noexcept {
  const auto value = static_cast<std::uint16_t>(code);
  out[0] = static_cast<std::uint8_t>(value >> 8);
  out[1] = static_cast<std::uint8_t>(value & 0xFF);
  std::size_t n = std::min(reason.size(), kMaxControlPayload - 2);
  while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  std::memcpy(out.data() + 2, reason.data(), n);
  return 2 + n;
}

// ---- MessageAssembler --------------------------------------------------------------------

AssemblerResult MessageAssembler::fail(CloseCode code, const char* why) noexcept {
  if (!failed_) {
    failed_ = true;
    failure_ = code;
    failure_why_ = why;
  }
  AssemblerResult r;
  r.event = AssemblerEvent::kError;
  r.close_code = failure_;
  r.error = failure_why_;
  return r;
}

AssemblerResult MessageAssembler::begin_frame(const FrameHeader& header) noexcept {
  if (failed_) return fail(failure_, failure_why_);
  if (in_frame_) return fail(CloseCode::kInternalError, "frame begun before the previous one ended");
  if (closed_) return fail(CloseCode::kProtocolError, "frame after a close frame");
  if (!is_known_opcode(header.opcode)) return fail(CloseCode::kProtocolError, "unknown opcode");
  if (is_control_opcode(header.opcode)) {
    if (!header.fin || header.length > kMaxControlPayload) {
      return fail(CloseCode::kProtocolError, "fragmented or oversized control frame");
    }
  } else {
    const bool continuation = header.opcode == kOpContinuation;
    if (continuation && !in_message_) {
      return fail(CloseCode::kProtocolError, "continuation frame without a message to continue");
    }
    if (!continuation && in_message_) {
      return fail(CloseCode::kProtocolError, "new data frame inside an unfinished message");
    }
    const std::uint64_t so_far = continuation ? message_size_ : 0;
    if (header.length > max_message_ - std::min(so_far, max_message_)) {
      return fail(CloseCode::kMessageTooBig, "message too big");
    }
    if (!continuation) {
      in_message_ = true;
      message_text_ = header.opcode == kOpText;
      message_size_ = 0;
      utf8_.reset();
      if (message_.capacity() > kKeepMessageCapacity) std::vector<std::uint8_t>().swap(message_);
      message_.clear();
    }
  }
  in_frame_ = true;
  frame_ = header;
  frame_received_ = 0;
  return {};
}

AssemblerResult MessageAssembler::add_payload(std::span<const std::uint8_t> bytes) noexcept {
  if (failed_) return fail(failure_, failure_why_);
  if (!in_frame_) return fail(CloseCode::kInternalError, "payload outside a frame");
  if (bytes.size() > frame_.length - frame_received_) {
    return fail(CloseCode::kInternalError, "more payload than the frame header announced");
  }
  if (bytes.empty()) return {};
  if (is_control_opcode(frame_.opcode)) {
    std::memcpy(control_.data() + frame_received_, bytes.data(), bytes.size());
  } else {
    if (message_text_ && !utf8_.feed(bytes)) return fail(CloseCode::kInvalidPayload, "text message is not UTF-8");
    message_.insert(message_.end(), bytes.begin(), bytes.end());
    message_size_ += bytes.size();
  }
  frame_received_ += bytes.size();
  return {};
}

AssemblerResult MessageAssembler::end_frame() noexcept {
  if (failed_) return fail(failure_, failure_why_);
  if (!in_frame_) return fail(CloseCode::kInternalError, "end of a frame that was not begun");
  if (frame_received_ != frame_.length) return fail(CloseCode::kInternalError, "frame ended before its payload");
  in_frame_ = false;
  AssemblerResult r;
  const std::span<const std::uint8_t> control(control_.data(), static_cast<std::size_t>(frame_.length));
  switch (frame_.opcode) {
    case kOpPing:
      r.event = AssemblerEvent::kPing;
      r.payload = control;
      return r;
    case kOpPong:
      r.event = AssemblerEvent::kPong;
      r.payload = control;
      return r;
    case kOpClose: {
      ClosePayload close;
      CloseCode error = CloseCode::kProtocolError;
      if (!parse_close_payload(control, close, error)) return fail(error, "malformed close frame");
      closed_ = true;
      r.event = AssemblerEvent::kClose;
      r.payload = control;
      r.close_code = close.code;
      r.close_reason = close.reason;
      return r;
    }
    default:
      break;
  }
  if (!frame_.fin) return r;
  if (message_text_ && !utf8_.complete()) {
    return fail(CloseCode::kInvalidPayload, "text message is not UTF-8");
  }
  in_message_ = false;
  r.event = AssemblerEvent::kMessage;
  r.text = message_text_;
  r.payload = std::span<const std::uint8_t>(message_.data(), message_.size());
  return r;
}

void MessageAssembler::release_memory() noexcept {
  if (!in_message_) std::vector<std::uint8_t>().swap(message_);
}

AssemblerResult MessageAssembler::feed(const FrameHeader& header, std::span<const std::uint8_t> payload) noexcept {
  if (failed_) return fail(failure_, failure_why_);
  if (payload.size() != header.length) return fail(CloseCode::kInternalError, "payload size differs from the header");
  if (auto r = begin_frame(header); r.event == AssemblerEvent::kError) return r;
  const bool whole_message = header.fin && (header.opcode == kOpText || header.opcode == kOpBinary);
  if (!whole_message) {
    if (auto r = add_payload(payload); r.event == AssemblerEvent::kError) return r;
    return end_frame();
  }
  // Unfragmented: hand the caller's bytes back without copying them.
  if (message_text_ && !is_valid_utf8(payload)) return fail(CloseCode::kInvalidPayload, "text message is not UTF-8");
  in_frame_ = false;
  in_message_ = false;
  AssemblerResult r;
  r.event = AssemblerEvent::kMessage;
  r.text = message_text_;
  r.payload = payload;
  return r;
}

}  // namespace httvps::tunnel
