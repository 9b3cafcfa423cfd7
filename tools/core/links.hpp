#pragma once
// Share links a device gets: httvps:// (httvps-client), ss:// (Shadowsocks, SIP002), vless://
// (Xray/V2Ray) and the Outline access-key document. Pure functions, no I/O.
//
// Every parser throws Failure(kUsage, field "uri") with a message that starts with the kind
// of link and names the part at fault ("ss link: port '70000' is out of range"); secrets
// (tokens, passwords) are never quoted in messages. Every builder validates its struct with
// the same rules and throws the same way, so an invalid link is never printed. Whatever a
// parser returns, the matching builder accepts, and parsing the built link gives it back.
//
// Rules shared by all kinds:
//  - the scheme is case-insensitive; surrounding spaces and line breaks are ignored; a link
//    is at most 8192 characters;
//  - no control characters (C0, DEL, C1) anywhere, neither raw nor percent-decoded;
//  - HOST is a DNS name or IPv4 address (letters, digits, '-', '_', dot-separated labels of
//    at most 63 characters) or an IPv6 address, which the link writes in brackets and
//    Endpoint::host holds without them;
//  - PORT is 1 to 5 digits, 1..65535;
//  - labels, tags and passwords are valid UTF-8 of at most 256 bytes; percent-decoding
//    does not turn '+' into a space.

#include <string>
#include <string_view>
#include <vector>

namespace httvps::links {

struct Endpoint {
  std::string host{};  // DNS name, IPv4, or IPv6 without brackets
  int port = 0;
  bool operator==(const Endpoint&) const = default;
};

// httvps:// -- what httvps-client accepts:
//
//   httvps://TOKEN@HOST[:PORT][/PATH]?security=tls|none[&sni=NAME][&pin=sha256:B64URL][&insecure=1]#LABEL
//
//  - TOKEN: the device's gateway token ("htv_" + base64url), 4..200 chars of [A-Za-z0-9_-];
//  - PORT: 443 when absent;
//  - PATH: kept in its URI form (pchar and '/', valid %XX escapes), at most 256 chars;
//    "/tunnel" when absent;
//  - security: tls when absent; sni, pin and insecure need security=tls;
//  - sni: the TLS server name when it differs from HOST (a DNS name);
//  - pin: SHA-256 of the gateway certificate's SubjectPublicKeyInfo, "sha256:" followed by
//    its 43-character unpadded base64url form;
//  - insecure: 1 (or true) skips certificate verification; 0/false or absent does not;
//  - LABEL: percent-encoded UTF-8; the builder keeps RFC 3986 unreserved chars as they are.
//  Unknown or repeated parameters are refused: an older client must not silently drop a
//  setting that may matter for security.
struct HttvpsUri {
  std::string token{};
  Endpoint gateway{};
  std::string path = "/tunnel";
  bool tls = true;
  std::string sni{};
  std::string pin{};
  bool insecure = false;
  std::string label{};
  bool operator==(const HttvpsUri&) const = default;
};
std::string build_httvps(const HttvpsUri& uri);
HttvpsUri parse_httvps(std::string_view text);

// Converts the configured public.gateway_url ("wss://host[:port][/path]" or "ws://...")
// into the gateway part of an HttvpsUri: gateway, tls (from the scheme) and path ("/tunnel"
// when absent). Default ports 443 (wss) and 80 (ws). No userinfo, query or fragment.
// Throws Failure(kConfig) naming public.gateway_url on a bad URL.
HttvpsUri gateway_from_url(std::string_view url);

// ss:// in SIP002 form (https://shadowsocks.org/doc/sip002.html), as built:
//
//   ss://BASE64URL(METHOD ":" PASSWORD)@HOST:PORT/#TAG      (no padding; "#TAG" when non-empty)
//
// The parser also accepts: the userinfo as plain "method:percent-encoded-password" (as
// SIP002 allows for AEAD-2022), standard base64 with or without padding, no '/' before the
// query or fragment, and the legacy whole-base64 form ss://BASE64(method:password@host:port)#tag
// (where an IPv6 host may also be bare). Methods (case-insensitive on parse, lowercase in the
// struct): chacha20-ietf-poly1305, aes-256-gcm, aes-128-gcm, aes-192-gcm,
// xchacha20-ietf-poly1305. A non-empty plugin parameter is refused (unsupported); other
// query parameters (such as Outline's "outline=1") are ignored. The password is non-empty.
struct SsLink {
  std::string method{};
  std::string password{};
  Endpoint server{};
  std::string tag{};
  bool operator==(const SsLink&) const = default;
};
std::string build_ss(const SsLink& link);
SsLink parse_ss(std::string_view text);

// vless:// (the de-facto format of Xray/V2Ray clients), as built:
//
//   vless://UUID@HOST:PORT?encryption=none&type=tcp|ws[&path=P][&host=H]&security=none|tls[&sni=S]#TAG
//
// Parameter values are percent-encoded ("path=%2Fws"). On parse: encryption must be none
// (or absent); type is tcp (also spelt "raw") or ws, tcp when absent; path (must start with
// '/', at most 256 bytes) and host (a DNS name) need type=ws; security is none or tls, none
// when absent; sni needs tls; a non-empty flow is refused (unsupported); other parameters
// (fp, alpn, headerType, ...) are ignored; repeated parameters are refused. The UUID is held
// in lowercase.
struct VlessLink {
  std::string uuid{};
  Endpoint server{};
  std::string type = "tcp";
  std::string path{};
  std::string host_header{};
  std::string security = "none";
  std::string sni{};
  std::string tag{};
  bool operator==(const VlessLink&) const = default;
};
std::string build_vless(const VlessLink& link);
VlessLink parse_vless(std::string_view text);

// Outline's dynamic access key document (what ssconf:// clients fetch), compact JSON:
// {"server":HOST,"server_port":PORT,"password":PASSWORD,"method":METHOD}. Validates LINK
// like build_ss. The tag is not part of the document.
std::string outline_json(const SsLink& link);

// Percent-encodes every byte except the RFC 3986 unreserved ones (A-Z a-z 0-9 - . _ ~),
// with upper-case hex digits.
std::string percent_encode(std::string_view text);
// Decodes %XX escapes (either case); other bytes, '+' included, pass through. Throws
// Failure(kUsage) on a '%' not followed by two hex digits.
std::string percent_decode(std::string_view text);

// True for 8-4-4-4-12 hex digits, case-insensitive.
bool is_uuid(std::string_view text);
// A random (version 4, RFC 4122 variant) UUID in lowercase, from crypto::random_bytes.
std::string random_uuid_v4();

}  // namespace httvps::links
