#include "core/links.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/crypto.hpp"
#include "core/error.hpp"

namespace httvps::links {
namespace {

constexpr std::size_t kMaxLink = 8192;
constexpr std::size_t kMaxText = 256;  // labels, tags, passwords, vless paths (decoded bytes)
constexpr std::size_t kMaxPath = 256;  // httvps paths (URI form)
constexpr std::size_t kMaxHost = 253;

constexpr std::array<std::string_view, 5> kSsMethods = {"chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm",
                                                         "aes-192-gcm", "xchacha20-ietf-poly1305"};

// Who is complaining: the kind of link (usage errors on field "uri") or the config key.
struct Where {
  std::string_view prefix;
  ExitCode code = ExitCode::kUsage;
};

Failure fail(const Where& w, const std::string& message) {
  std::string text = std::string(w.prefix) + ": " + message;
  if (w.code == ExitCode::kUsage) return usage_error(std::move(text), "uri");
  return Failure(w.code, std::move(text));
}

// Quotes untrusted text for a message: at most 64 bytes, anything but printable ASCII as '?'.
std::string shown(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (s.size() > 64 ? "...'" : "'");
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
bool is_unreserved(char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

// C0 controls, DEL, and C1 controls written in UTF-8 (U+0080..U+009F).
bool has_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      return true;
    }
  }
  return false;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0) return false;
    std::uint32_t cp = c & (0x7fu >> len);  // the payload bits of the lead byte
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::optional<std::string> try_percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return std::nullopt;
    out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
    i += 2;
  }
  return out;
}

std::string decode(const Where& w, std::string_view s, const char* part) {
  auto out = try_percent_decode(s);
  if (!out) throw fail(w, std::string(part) + " has a malformed percent-escape");
  return *out;
}

// Labels, tags, passwords, vless paths: bounded, UTF-8, no control characters.
void check_text(const Where& w, std::string_view value, const char* part) {
  if (value.size() > kMaxText) {
    throw fail(w, std::string(part) + " is longer than " + std::to_string(kMaxText) + " bytes");
  }
  if (!valid_utf8(value)) throw fail(w, std::string(part) + " is not valid UTF-8");
  if (has_control(value)) throw fail(w, std::string(part) + " contains a control character");
}

bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxHost) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (is_alnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

bool is_ipv6(std::string_view s) {
  if (s.size() > 45) return false;
  in6_addr addr{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

void check_host(const Where& w, std::string_view host) {
  if (host.empty()) throw fail(w, "missing host");
  if (host.find(':') != std::string_view::npos) {
    if (!is_ipv6(host)) throw fail(w, "host " + shown(host) + " is not an IPv6 address");
  } else if (!is_dns_name(host)) {
    throw fail(w, "host " + shown(host) + " is not a valid host name");
  }
}

void check_port(const Where& w, int port) {
  if (port < 1 || port > 65535) throw fail(w, "port '" + std::to_string(port) + "' is out of range");
}

int parse_port(const Where& w, std::string_view text) {
  if (text.empty()) throw fail(w, "missing port after ':'");
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw fail(w, "port " + shown(text) + " is not a number");
  }
  int port = 0;
  for (char c : text.substr(0, 6)) port = port * 10 + (c - '0');
  if (text.size() > 5 || port < 1 || port > 65535) throw fail(w, "port " + shown(text) + " is out of range");
  return port;
}

// HOST[:PORT] with HOST a name, IPv4 or [IPv6]; BARE_IPV6 lets the legacy ss form write
// "::1:8388" (the last colon starts the port).
Endpoint parse_endpoint(const Where& w, std::string_view text, std::optional<int> default_port, bool bare_ipv6) {
  if (text.empty()) throw fail(w, "missing host");
  Endpoint e;
  std::optional<std::string_view> port_text;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw fail(w, "unbalanced '[' in the host");
    e.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw fail(w, "unexpected " + shown(rest) + " after the IPv6 address");
      port_text = rest.substr(1);
    }
    if (e.host.empty()) throw fail(w, "missing host");
    if (!is_ipv6(e.host)) throw fail(w, "host " + shown(e.host) + " in brackets is not an IPv6 address");
  } else {
    if (text.find(']') != std::string_view::npos) throw fail(w, "unbalanced ']' in the host");
    if (text.find('[') != std::string_view::npos) throw fail(w, "unexpected '[' in the host");
    auto colons = std::count(text.begin(), text.end(), ':');
    auto colon = colons > 1 ? text.rfind(':') : text.find(':');
    if (colons > 1 && !bare_ipv6) throw fail(w, "IPv6 host " + shown(text) + " must be in brackets");
    e.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (port_text) e.port = parse_port(w, *port_text);
  else if (default_port) e.port = *default_port;
  else throw fail(w, "missing port");
  check_host(w, e.host);
  return e;
}

std::string host_for_uri(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

std::string authority(const Endpoint& e) { return host_for_uri(e.host) + ":" + std::to_string(e.port); }

// A link cut into its parts: what follows "scheme://" up to '?', the query and the fragment.
struct Parts {
  std::string_view main;
  std::string_view query;
  std::string_view fragment;
};

Parts split_link(const Where& w, std::string_view text, std::string_view scheme) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  if (text.size() > kMaxLink) throw fail(w, "link is longer than " + std::to_string(kMaxLink) + " characters");
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) throw fail(w, "control character at position " + std::to_string(i));
  }
  std::string prefix = std::string(scheme) + "://";
  if (text.size() < prefix.size() || lower(text.substr(0, prefix.size())) != prefix) {
    throw fail(w, "link does not start with '" + prefix + "'");
  }
  text.remove_prefix(prefix.size());
  Parts p;
  auto hash = text.find('#');
  if (hash != std::string_view::npos) {
    p.fragment = text.substr(hash + 1);
    text = text.substr(0, hash);
  }
  auto question = text.find('?');
  if (question != std::string_view::npos) {
    p.query = text.substr(question + 1);
    text = text.substr(0, question);
  }
  p.main = text;
  return p;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=%2F" into decoded values; empty segments are skipped, a repeated key is refused.
Params parse_query(const Where& w, std::string_view query) {
  Params out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view segment = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (segment.empty()) continue;
    auto eq = segment.find('=');
    std::string key(segment.substr(0, eq));
    std::string part = "parameter " + shown(key);
    std::string value = eq == std::string_view::npos ? std::string() : decode(w, segment.substr(eq + 1), part.c_str());
    if (has_control(value)) throw fail(w, part + " contains a control character");
    for (const auto& [k, v] : out) {
      if (k == key) throw fail(w, part + " appears twice");
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

// ---- httvps ----

const Where kHttvps{"httvps link"};

void check_path(const Where& w, std::string_view path) {
  bool ok = !path.empty() && path.front() == '/' && path.size() <= kMaxPath;
  for (std::size_t i = 0; ok && i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      ok = i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2]);
      i += 2;
    } else {
      ok = is_unreserved(c) || std::string_view("!$&'()*+,;=:@/").find(c) != std::string_view::npos;
    }
  }
  if (!ok) throw fail(w, "path " + shown(path) + " is not an absolute URI path of at most 256 characters");
}

void check_pin(const Where& w, std::string_view pin) {
  constexpr std::string_view kPrefix = "sha256:";
  bool ok = pin.size() == kPrefix.size() + 43 && pin.substr(0, kPrefix.size()) == kPrefix;
  if (ok) {
    std::string_view b64 = pin.substr(kPrefix.size());
    ok = std::all_of(b64.begin(), b64.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_'; }) &&
         crypto::base64url_encode(crypto::base64_decode(b64)) == b64;
  }
  if (!ok) throw fail(w, "pin " + shown(pin) + " is not 'sha256:' followed by 43 base64url characters");
}

void validate(const Where& w, const HttvpsUri& u) {
  if (u.token.empty()) throw fail(w, "missing token");
  if (u.token.size() < 4 || u.token.size() > 200) throw fail(w, "token must be 4 to 200 characters long");
  if (!std::all_of(u.token.begin(), u.token.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_'; })) {
    throw fail(w, "token contains a character outside [A-Za-z0-9_-]");
  }
  check_host(w, u.gateway.host);
  check_port(w, u.gateway.port);
  check_path(w, u.path);
  if (!u.tls && (!u.sni.empty() || !u.pin.empty() || u.insecure)) {
    throw fail(w, "sni, pin and insecure need security=tls");
  }
  if (!u.sni.empty() && !is_dns_name(u.sni)) throw fail(w, "sni " + shown(u.sni) + " is not a valid host name");
  if (!u.pin.empty()) check_pin(w, u.pin);
  check_text(w, u.label, "label");
}

// ---- ss ----

const Where kSs{"ss link"};

void validate(const Where& w, const SsLink& s) {
  if (std::find(kSsMethods.begin(), kSsMethods.end(), s.method) == kSsMethods.end()) {
    throw fail(w, "unknown method " + shown(s.method));
  }
  if (s.password.empty()) throw fail(w, "missing password");
  check_text(w, s.password, "password");
  check_host(w, s.server.host);
  check_port(w, s.server.port);
  check_text(w, s.tag, "tag");
}

// "method:password" into its halves.
void split_credentials(const Where& w, std::string_view creds, SsLink& s, const char* what) {
  auto colon = creds.find(':');
  if (colon == std::string_view::npos) throw fail(w, std::string(what) + " does not decode to 'method:password'");
  s.method = lower(creds.substr(0, colon));
  s.password = std::string(creds.substr(colon + 1));
}

std::string base64(const Where& w, std::string_view text, const char* what) {
  try {
    return crypto::base64_decode(text);
  } catch (const Failure&) {
    throw fail(w, std::string(what) + " is not valid base64");
  }
}

// ---- vless ----

const Where kVless{"vless link"};

void validate(const Where& w, const VlessLink& v) {
  if (!is_uuid(v.uuid)) throw fail(w, "uuid is not in 8-4-4-4-12 hex form");
  check_host(w, v.server.host);
  check_port(w, v.server.port);
  if (v.type != "tcp" && v.type != "ws") {
    throw fail(w, "transport type " + shown(v.type) + " is not supported (tcp or ws)");
  }
  if (v.type != "ws" && (!v.path.empty() || !v.host_header.empty())) throw fail(w, "path and host need type=ws");
  if (!v.path.empty() && v.path.front() != '/') throw fail(w, "path " + shown(v.path) + " does not start with '/'");
  check_text(w, v.path, "path");
  if (!v.host_header.empty() && !is_dns_name(v.host_header)) {
    throw fail(w, "host header " + shown(v.host_header) + " is not a valid host name");
  }
  if (v.security != "none" && v.security != "tls") {
    throw fail(w, "security " + shown(v.security) + " is not supported (none or tls)");
  }
  if (v.security != "tls" && !v.sni.empty()) throw fail(w, "sni needs security=tls");
  if (!v.sni.empty() && !is_dns_name(v.sni)) throw fail(w, "sni " + shown(v.sni) + " is not a valid host name");
  check_text(w, v.tag, "tag");
}

// What follows HOST:PORT in ss and vless links: nothing or a lone '/'.
void check_no_path(const Where& w, std::string_view path) {
  if (!path.empty() && path != "/") throw fail(w, "unexpected path " + shown(path) + " after the port");
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  auto out = try_percent_decode(text);
  if (!out) throw usage_error("malformed percent-escape in " + shown(text));
  return *out;
}

bool is_uuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !is_hex(text[i])) return false;
  }
  return true;
}

std::string random_uuid_v4() {
  crypto::Bytes b = crypto::random_bytes(16);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::string build_httvps(const HttvpsUri& u) {
  validate(kHttvps, u);
  std::string out = "httvps://" + u.token + "@" + authority(u.gateway) + u.path;
  out += u.tls ? "?security=tls" : "?security=none";
  if (!u.sni.empty()) out += "&sni=" + u.sni;
  if (!u.pin.empty()) out += "&pin=" + u.pin;
  if (u.insecure) out += "&insecure=1";
  if (!u.label.empty()) out += "#" + percent_encode(u.label);
  return out;
}

HttvpsUri parse_httvps(std::string_view text) {
  const Where& w = kHttvps;
  Parts p = split_link(w, text, "httvps");
  HttvpsUri u;
  u.label = decode(w, p.fragment, "label");
  auto slash = p.main.find('/');
  std::string_view auth = p.main.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(p.main.substr(slash));
  auto at = auth.rfind('@');
  if (at == std::string_view::npos) throw fail(w, "missing 'TOKEN@' before the host");
  u.token = std::string(auth.substr(0, at));
  u.gateway = parse_endpoint(w, auth.substr(at + 1), 443, false);
  for (const auto& [key, value] : parse_query(w, p.query)) {
    if (key == "security") {
      if (value != "tls" && value != "none") throw fail(w, "security " + shown(value) + " is not tls or none");
      u.tls = value == "tls";
    } else if (key == "sni") {
      u.sni = value;
    } else if (key == "pin") {
      u.pin = value;
    } else if (key == "insecure") {
      if (value != "1" && value != "true" && value != "0" && value != "false") {
        throw fail(w, "insecure " + shown(value) + " is not 1 or 0");
      }
      u.insecure = value == "1" || value == "true";
    } else {
      throw fail(w, "unknown parameter " + shown(key));
    }
  }
  validate(w, u);
  return u;
}

HttvpsUri gateway_from_url(std::string_view url) {
  const Where w{"public.gateway_url", ExitCode::kConfig};
  if (has_control(url)) throw fail(w, "contains a control character");
  HttvpsUri u;
  std::string_view rest;
  if (lower(url.substr(0, 6)) == "wss://") {
    rest = url.substr(6);
  } else if (lower(url.substr(0, 5)) == "ws://") {
    rest = url.substr(5);
    u.tls = false;
  } else {
    throw fail(w, shown(url) + " does not start with wss:// or ws://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) throw fail(w, shown(url) + " has a query or fragment");
  auto slash = rest.find('/');
  std::string_view auth = rest.substr(0, slash);
  if (auth.find('@') != std::string_view::npos) throw fail(w, "must not contain user information");
  u.gateway = parse_endpoint(w, auth, u.tls ? 443 : 80, false);
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  check_path(w, u.path);
  return u;
}

std::string build_ss(const SsLink& s) {
  validate(kSs, s);
  std::string out = "ss://" + crypto::base64url_encode(s.method + ":" + s.password) + "@" + authority(s.server) + "/";
  if (!s.tag.empty()) out += "#" + percent_encode(s.tag);
  return out;
}

SsLink parse_ss(std::string_view text) {
  const Where& w = kSs;
  Parts p = split_link(w, text, "ss");
  SsLink s;
  s.tag = decode(w, p.fragment, "tag");
  auto at = p.main.rfind('@');
  if (at == std::string_view::npos) {
    // Legacy: ss://BASE64(method:password@host:port)#tag
    std::string_view body = p.main;
    if (!body.empty() && body.back() == '/') body.remove_suffix(1);
    if (body.empty()) throw fail(w, "missing 'userinfo@host:port'");
    std::string plain = base64(w, decode(w, body, "link"), "link without '@' (legacy form)");
    auto last = plain.rfind('@');
    if (last == std::string::npos) throw fail(w, "legacy form does not decode to 'method:password@host:port'");
    split_credentials(w, std::string_view(plain).substr(0, last), s, "legacy form");
    s.server = parse_endpoint(w, std::string_view(plain).substr(last + 1), std::nullopt, true);
  } else {
    std::string_view userinfo = p.main.substr(0, at);
    std::string_view rest = p.main.substr(at + 1);
    auto slash = rest.find('/');
    if (slash != std::string_view::npos) check_no_path(w, rest.substr(slash));
    s.server = parse_endpoint(w, rest.substr(0, slash), std::nullopt, false);
    if (userinfo.empty()) throw fail(w, "missing userinfo before '@'");
    auto colon = userinfo.find(':');
    if (colon != std::string_view::npos) {  // plain "method:percent-encoded-password"
      s.method = lower(decode(w, userinfo.substr(0, colon), "method"));
      s.password = decode(w, userinfo.substr(colon + 1), "password");
    } else {
      split_credentials(w, base64(w, decode(w, userinfo, "userinfo"), "userinfo"), s, "userinfo");
    }
  }
  for (const auto& [key, value] : parse_query(w, p.query)) {
    if (key == "plugin" && !value.empty()) throw fail(w, "plugins are not supported");
  }
  validate(w, s);
  return s;
}

std::string build_vless(const VlessLink& v) {
  validate(kVless, v);
  std::string out = "vless://" + lower(v.uuid) + "@" + authority(v.server) + "?encryption=none&type=" + v.type;
  if (!v.path.empty()) out += "&path=" + percent_encode(v.path);
  if (!v.host_header.empty()) out += "&host=" + percent_encode(v.host_header);
  out += "&security=" + v.security;
  if (!v.sni.empty()) out += "&sni=" + percent_encode(v.sni);
  if (!v.tag.empty()) out += "#" + percent_encode(v.tag);
  return out;
}

VlessLink parse_vless(std::string_view text) {
  const Where& w = kVless;
  Parts p = split_link(w, text, "vless");
  VlessLink v;
  v.tag = decode(w, p.fragment, "tag");
  auto at = p.main.rfind('@');
  if (at == std::string_view::npos) throw fail(w, "missing 'UUID@' before the host");
  v.uuid = lower(p.main.substr(0, at));
  if (!is_uuid(v.uuid)) throw fail(w, "uuid is not in 8-4-4-4-12 hex form");
  std::string_view rest = p.main.substr(at + 1);
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) check_no_path(w, rest.substr(slash));
  v.server = parse_endpoint(w, rest.substr(0, slash), std::nullopt, false);
  for (const auto& [key, value] : parse_query(w, p.query)) {
    if (key == "encryption") {
      if (!value.empty() && value != "none") {
        throw fail(w, "encryption " + shown(value) + " is not supported (only none)");
      }
    } else if (key == "type") {
      if (!value.empty()) v.type = value == "raw" ? "tcp" : value;
    } else if (key == "path") {
      v.path = value;
    } else if (key == "host") {
      v.host_header = value;
    } else if (key == "security") {
      if (!value.empty()) v.security = value;
    } else if (key == "sni") {
      v.sni = value;
    } else if (key == "flow" && !value.empty()) {
      throw fail(w, "flow " + shown(value) + " is not supported");
    }
  }
  validate(w, v);
  return v;
}

std::string outline_json(const SsLink& s) {
  validate(kSs, s);
  nlohmann::ordered_json doc;
  doc["server"] = s.server.host;
  doc["server_port"] = s.server.port;
  doc["password"] = s.password;
  doc["method"] = s.method;
  return doc.dump();
}

}  // namespace httvps::links
