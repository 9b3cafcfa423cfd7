#include "core/links.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "core/error.hpp"

using namespace httvps::links;

namespace {

constexpr const char* kToken = "htv_3fa9Qx-_Zk2LmN0pQrStUvWxYz0123456789abcdE";
constexpr const char* kPin = "sha256:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
constexpr const char* kUuid = "b831381d-6324-4d53-ad4f-8cda48b30811";

// The message of the Failure that CALL throws, or "" when it does not throw.
template <typename F>
std::string failure_of(F&& call) {
  try {
    call();
  } catch (const httvps::Failure& f) {
    CHECK(f.code() == httvps::ExitCode::kUsage);
    CHECK(f.field() == "uri");
    return f.what();
  }
  return "";
}

}  // namespace

TEST_CASE("httvps links round-trip through build and parse", "[links]") {
  HttvpsUri plain{.token = kToken, .gateway = {"vpn.example.com", 443}};
  HttvpsUri full{kToken, {"2001:db8::1", 8443}, "/t/x%20y", true, "front.example.net", kPin, true,
                 "Ünïcode label with spaces #1 ?&=/+%"};
  HttvpsUri cleartext{kToken, {"10.0.0.1", 80}, "/", false, "", "", false, "лаборатория 🛰"};
  for (const auto& u : {plain, full, cleartext}) {
    std::string link = build_httvps(u);
    INFO(link);
    CHECK(parse_httvps(link) == u);
  }
  CHECK(build_httvps(plain) == std::string("httvps://") + kToken + "@vpn.example.com:443/tunnel?security=tls");
  CHECK(build_httvps(full).find("@[2001:db8::1]:8443/t/x%20y?") != std::string::npos);
  CHECK(build_httvps(full).find("#%C3%9Cn%C3%AFcode%20label%20with%20spaces%20%231%20%3F%26%3D%2F%2B%25") !=
        std::string::npos);
}

TEST_CASE("httvps links take defaults for port, path and security", "[links]") {
  HttvpsUri u = parse_httvps(std::string("  HTTVPS://") + kToken + "@vpn.example.com\n");
  CHECK(u.gateway.port == 443);
  CHECK(u.path == "/tunnel");
  CHECK(u.tls);
  CHECK_FALSE(u.insecure);
  CHECK(u.label.empty());
  u = parse_httvps(std::string("httvps://") + kToken + "@[::1]?security=none&insecure=0#a+b");
  CHECK(u.gateway.host == "::1");
  CHECK(u.gateway.port == 443);
  CHECK_FALSE(u.tls);
  CHECK(u.label == "a+b");
  u = parse_httvps(std::string("httvps://") + kToken + "@h.example:9/?pin=sha256%3A" + (kPin + 7) + "&insecure=true");
  CHECK(u.path == "/");
  CHECK(u.pin == kPin);
  CHECK(u.insecure);
}

TEST_CASE("httvps links refuse malformed input naming the part", "[links]") {
  const std::string t = std::string("httvps://") + kToken;
  struct Case {
    std::string link;
    const char* message;
  };
  const Case cases[] = {
      {"https://x@h", "httvps link: link does not start with 'httvps://'"},
      {"httvps://vpn.example.com:443/tunnel", "httvps link: missing 'TOKEN@' before the host"},
      {"httvps://abc@h", "httvps link: token must be 4 to 200 characters long"},
      {"httvps://" + std::string(201, 'a') + "@h", "httvps link: token must be 4 to 200 characters long"},
      {"httvps://htv_a.b@h", "httvps link: token contains a character outside [A-Za-z0-9_-]"},
      {"httvps://htv_a:b@h", "httvps link: token contains a character outside [A-Za-z0-9_-]"},
      {t + "@", "httvps link: missing host"},
      {t + "@:443", "httvps link: missing host"},
      {t + "@h:70000", "httvps link: port '70000' is out of range"},
      {t + "@h:0", "httvps link: port '0' is out of range"},
      {t + "@h:44a", "httvps link: port '44a' is not a number"},
      {t + "@h:+443", "httvps link: port '+443' is not a number"},
      {t + "@h:", "httvps link: missing port after ':'"},
      {t + "@[::1:443", "httvps link: unbalanced '[' in the host"},
      {t + "@::1]:443", "httvps link: unbalanced ']' in the host"},
      {t + "@::1:443", "httvps link: IPv6 host '::1:443' must be in brackets"},
      {t + "@[::1]x", "httvps link: unexpected 'x' after the IPv6 address"},
      {t + "@[vpn.example.com]:443", "httvps link: host 'vpn.example.com' in brackets is not an IPv6 address"},
      {t + "@[]:443", "httvps link: missing host"},
      {t + "@bad_host!:443", "httvps link: host 'bad_host!' is not a valid host name"},
      {t + "@a..b", "httvps link: host 'a..b' is not a valid host name"},
      {t + "@h/%zz", "httvps link: path '/%zz' is not an absolute URI path of at most 256 characters"},
      {t + "@h?security=ssl", "httvps link: security 'ssl' is not tls or none"},
      {t + "@h?security=none&sni=x.example", "httvps link: sni, pin and insecure need security=tls"},
      {t + "@h?security=none&insecure=1", "httvps link: sni, pin and insecure need security=tls"},
      {t + "@h?insecure=yes", "httvps link: insecure 'yes' is not 1 or 0"},
      {t + "@h?pin=sha256:abc", "httvps link: pin 'sha256:abc' is not 'sha256:' followed by 43 base64url characters"},
      {t + "@h?pin=md5:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
       "httvps link: pin 'md5:47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU' is not 'sha256:' followed by 43 base64url "
       "characters"},
      {t + "@h?sni=a%20b", "httvps link: sni 'a b' is not a valid host name"},
      {t + "@h?mux=1", "httvps link: unknown parameter 'mux'"},
      {t + "@h?sni=a.example&sni=b.example", "httvps link: parameter 'sni' appears twice"},
      {t + "@h?sni=%0a", "httvps link: parameter 'sni' contains a control character"},
      {t + "@h#bad%escape", "httvps link: label has a malformed percent-escape"},
      {t + "@h#%E2%80", "httvps link: label is not valid UTF-8"},
      {t + "@h#tab%09", "httvps link: label contains a control character"},
      {t + "@h#c1%C2%9B", "httvps link: label contains a control character"},
      {t + "@h\x01/tunnel", "httvps link: control character at position 56"},
      {t + "@h#" + std::string(257, 'x'), "httvps link: label is longer than 256 bytes"},
      {t + "@h/" + std::string(9000, 'x'), "httvps link: link is longer than 8192 characters"},
  };
  for (const auto& c : cases) {
    INFO(c.link);
    CHECK(failure_of([&] { parse_httvps(c.link); }) == c.message);
  }
}

TEST_CASE("httvps error messages never quote the token", "[links]") {
  std::string secret = "htv_secret.value";
  std::string message = failure_of([&] { parse_httvps("httvps://" + secret + "@h"); });
  CHECK_FALSE(message.empty());
  CHECK(message.find("secret") == std::string::npos);
}

TEST_CASE("httvps builders refuse an invalid struct", "[links]") {
  HttvpsUri u{.token = kToken, .gateway = {"vpn.example.com", 443}};
  auto refused = [](HttvpsUri bad) { return failure_of([&] { build_httvps(bad); }); };
  HttvpsUri bad = u;
  bad.gateway.port = 70000;
  CHECK(refused(bad) == "httvps link: port '70000' is out of range");
  bad = u;
  bad.gateway.host = "";
  CHECK(refused(bad) == "httvps link: missing host");
  bad = u;
  bad.path = "tunnel";
  CHECK(refused(bad) == "httvps link: path 'tunnel' is not an absolute URI path of at most 256 characters");
  bad = u;
  bad.path = "/a?b";
  CHECK(refused(bad) == "httvps link: path '/a?b' is not an absolute URI path of at most 256 characters");
  bad = u;
  bad.label = "line\nbreak";
  CHECK(refused(bad) == "httvps link: label contains a control character");
  bad = u;
  bad.token = "";
  CHECK(refused(bad) == "httvps link: missing token");
  bad = u;
  bad.gateway.host = "[::1]";
  CHECK(refused(bad) == "httvps link: host '[::1]' is not an IPv6 address");
}

TEST_CASE("gateway URLs convert into the gateway part of an httvps link", "[links]") {
  struct Case {
    const char* url;
    const char* host;
    int port;
    const char* path;
    bool tls;
  };
  const Case cases[] = {
      {"wss://vpn.example.com/tunnel", "vpn.example.com", 443, "/tunnel", true},
      {"wss://vpn.example.com", "vpn.example.com", 443, "/tunnel", true},
      {"WSS://vpn.example.com:8443/ws/a", "vpn.example.com", 8443, "/ws/a", true},
      {"ws://10.0.0.1", "10.0.0.1", 80, "/tunnel", false},
      {"ws://[2001:db8::7]:8080/", "2001:db8::7", 8080, "/", false},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    HttvpsUri u = gateway_from_url(c.url);
    CHECK(u.gateway == Endpoint{c.host, c.port});
    CHECK(u.path == c.path);
    CHECK(u.tls == c.tls);
    CHECK(u.token.empty());
  }
}

TEST_CASE("gateway URLs that are not ws or wss URLs are configuration errors", "[links]") {
  struct Case {
    const char* url;
    const char* message;
  };
  const Case cases[] = {
      {"https://vpn.example.com/tunnel", "public.gateway_url: 'https://vpn.example.com/tunnel' does not start with wss:// or ws://"},
      {"", "public.gateway_url: '' does not start with wss:// or ws://"},
      {"wss://", "public.gateway_url: missing host"},
      {"wss://vpn.example.com:99999/", "public.gateway_url: port '99999' is out of range"},
      {"wss://u:p@vpn.example.com/", "public.gateway_url: must not contain user information"},
      {"wss://vpn.example.com/t?x=1", "public.gateway_url: 'wss://vpn.example.com/t?x=1' has a query or fragment"},
      {"wss://[::1/t", "public.gateway_url: unbalanced '[' in the host"},
  };
  for (const auto& c : cases) {
    INFO(c.url);
    try {
      gateway_from_url(c.url);
      FAIL("accepted");
    } catch (const httvps::Failure& f) {
      CHECK(f.code() == httvps::ExitCode::kConfig);
      CHECK(std::string(f.what()) == c.message);
    }
  }
}

TEST_CASE("ss links round-trip through build and parse", "[links]") {
  const SsLink cases[] = {
      {"chacha20-ietf-poly1305", "simple", {"ss.example.com", 8388}, "Tokyo"},
      {"aes-256-gcm", "p:a@s/s+w=o?r#d%", {"2001:db8::2", 443}, "tag with spaces, #hash and ?question"},
      {"aes-128-gcm", "пароль", {"192.0.2.7", 1}, "ナイト 🌙"},
      {"aes-192-gcm", "x", {"a-b_c.example", 65535}, ""},
      {"xchacha20-ietf-poly1305", "===", {"::ffff:192.0.2.1", 8388}, "+"},
  };
  for (const auto& s : cases) {
    std::string link = build_ss(s);
    INFO(link);
    CHECK(link.find('=') == std::string::npos);  // unpadded base64url
    CHECK(parse_ss(link) == s);
  }
  CHECK(build_ss(cases[0]) == "ss://Y2hhY2hhMjAtaWV0Zi1wb2x5MTMwNTpzaW1wbGU@ss.example.com:8388/#Tokyo");
}

TEST_CASE("ss links parse the examples of SIP002 and the other accepted forms", "[links]") {
  struct Case {
    const char* link;
    SsLink expected;
  };
  const Case cases[] = {
      {"ss://YWVzLTEyOC1nY206dGVzdA@192.168.100.1:8888#Example1",
       {"aes-128-gcm", "test", {"192.168.100.1", 8888}, "Example1"}},
      {"ss://YWVzLTEyOC1nY206dGVzdA@192.168.100.1:8888/?unsupported-arguments=should-be-ignored#Dummy+profile+name",
       {"aes-128-gcm", "test", {"192.168.100.1", 8888}, "Dummy+profile+name"}},
      // standard alphabet with padding ('/' and '+' in the base64 of "aes-256-gcm:aa?aa>x")
      {"ss://YWVzLTI1Ni1nY206YWE/YWE+eA==@[2001:db8::1]:8388/", {"aes-256-gcm", "aa?aa>x", {"2001:db8::1", 8388}, ""}},
      {"ss://YWVzLTI1Ni1nY206YWE_YWE-eA%3D%3D@h.example:1", {"aes-256-gcm", "aa?aa>x", {"h.example", 1}, ""}},
      // plain userinfo, as SIP002 allows for AEAD-2022
      {"ss://AES-256-GCM:YctPZ6U7xPPcU%2Bgp3u%2B0tx%2FtRizJN9K8y%2BuKlW2qjlI%3D@192.168.100.1:8888#Example3",
       {"aes-256-gcm", "YctPZ6U7xPPcU+gp3u+0tx/tRizJN9K8y+uKlW2qjlI=", {"192.168.100.1", 8888}, "Example3"}},
      // Outline's keys carry "?outline=1"
      {"ss://Y2hhY2hhMjAtaWV0Zi1wb2x5MTMwNTpzZWNyZXQ@203.0.113.9:5555/?outline=1",
       {"chacha20-ietf-poly1305", "secret", {"203.0.113.9", 5555}, ""}},
      // legacy whole-base64 form: "aes-128-gcm:test@192.168.100.1:8888"
      {"ss://YWVzLTEyOC1nY206dGVzdEAxOTIuMTY4LjEwMC4xOjg4ODg=#Legacy%20one",
       {"aes-128-gcm", "test", {"192.168.100.1", 8888}, "Legacy one"}},
      // legacy with a password holding '@' and ':', and a bare IPv6 host: "aes-256-gcm:p@:w@::1:8388"
      {"ss://YWVzLTI1Ni1nY206cEA6d0A6OjE6ODM4OA", {"aes-256-gcm", "p@:w", {"::1", 8388}, ""}},
  };
  for (const auto& c : cases) {
    INFO(c.link);
    CHECK(parse_ss(c.link) == c.expected);
  }
}

TEST_CASE("ss links refuse malformed input naming the part", "[links]") {
  struct Case {
    const char* link;
    const char* message;
  };
  const Case cases[] = {
      {"vless://YWVzLTEyOC1nY206dGVzdA@h:1", "ss link: link does not start with 'ss://'"},
      {"ss://", "ss link: missing 'userinfo@host:port'"},
      {"ss://YWVzLTEyOC1nY206dGVzdA", "ss link: legacy form does not decode to 'method:password@host:port'"},
      {"ss://!!!!#x", "ss link: link without '@' (legacy form) is not valid base64"},
      {"ss://@h:1", "ss link: missing userinfo before '@'"},
      {"ss://YWVz*TEy@h:1", "ss link: userinfo is not valid base64"},
      {"ss://YWVzLTEyOC1nY20@h:1", "ss link: userinfo does not decode to 'method:password'"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@192.168.100.1:70000", "ss link: port '70000' is out of range"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@192.168.100.1", "ss link: missing port"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@[::1:8888", "ss link: unbalanced '[' in the host"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@::1:8888", "ss link: IPv6 host '::1:8888' must be in brackets"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@h:1/x", "ss link: unexpected path '/x' after the port"},
      {"ss://YWVzLTEyOC1nY206@h:1", "ss link: missing password"},
      {"ss://cmM0LW1kNTpwYXNzd2Q@192.168.100.1:8888/?plugin=obfs-local%3Bobfs%3Dhttp#Example2",
       "ss link: plugins are not supported"},
      {"ss://YmYtY2ZiOnRlc3Q@192.168.100.1:8888/", "ss link: unknown method 'bf-cfb'"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@h:1/?plugin=obfs-local%3Bobfs%3Dhttp", "ss link: plugins are not supported"},
      {"ss://2022-blake3-aes-256-gcm:YctPZ6U7xPPcU%2Bgp3u%2B0tx%2FtRizJN9K8y%2BuKlW2qjlI%3D@192.168.100.1:8888",
       "ss link: unknown method '2022-blake3-aes-256-gcm'"},
      {"ss://aes-128-gcm:%zz@h:1", "ss link: password has a malformed percent-escape"},
      {"ss://aes-128-gcm:a%00b@h:1", "ss link: password contains a control character"},
      {"ss://aes-128-gcm:a%FFb@h:1", "ss link: password is not valid UTF-8"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@h:1#%1b[31m", "ss link: tag contains a control character"},
      {"ss://YWVzLTEyOC1nY206dGVzdA@h:1#a\x7f", "ss link: control character at position 33"},
  };
  for (const auto& c : cases) {
    INFO(c.link);
    CHECK(failure_of([&] { parse_ss(c.link); }) == c.message);
  }
}

TEST_CASE("ss builders refuse an invalid struct and never quote the password", "[links]") {
  CHECK(failure_of([] { build_ss({"rc4-md5", "pw", {"h", 1}, ""}); }) == "ss link: unknown method 'rc4-md5'");
  CHECK(failure_of([] { build_ss({"aes-256-gcm", "", {"h", 1}, ""}); }) == "ss link: missing password");
  CHECK(failure_of([] { build_ss({"aes-256-gcm", "pw", {"h", 0}, ""}); }) == "ss link: port '0' is out of range");
  CHECK(failure_of([] { build_ss({"aes-256-gcm", "pw", {"h h", 1}, ""}); }) == "ss link: host 'h h' is not a valid host name");
  CHECK(failure_of([] { build_ss({"aes-256-gcm", "se\ncret", {"h", 1}, ""}); }) ==
        "ss link: password contains a control character");
  CHECK(failure_of([] { outline_json({"aes-256-gcm", "pw", {"h", 65536}, ""}); }) ==
        "ss link: port '65536' is out of range");
}

TEST_CASE("outline access keys are compact JSON in the documented order", "[links]") {
  SsLink s{"chacha20-ietf-poly1305", "p\"w\\ü", {"203.0.113.9", 5555}, "ignored"};
  CHECK(outline_json(s) ==
        "{\"server\":\"203.0.113.9\",\"server_port\":5555,\"password\":\"p\\\"w\\\\ü\",\"method\":\"chacha20-ietf-poly1305\"}");
}

TEST_CASE("vless links round-trip through build and parse", "[links]") {
  VlessLink tcp{.uuid = kUuid, .server = {"vless.example.com", 443}};
  VlessLink ws{kUuid, {"2001:db8::3", 8443}, "ws", "/ws?ed=2048&x=a b", "cdn.example.com", "tls", "sni.example.com",
               "Frankfurt #2 ?/+ ü"};
  VlessLink ws_plain{kUuid, {"192.0.2.1", 80}, "ws", "/", "", "none", "", ""};
  for (const auto& v : {tcp, ws, ws_plain}) {
    std::string link = build_vless(v);
    INFO(link);
    CHECK(parse_vless(link) == v);
  }
  CHECK(build_vless(tcp) == std::string("vless://") + kUuid + "@vless.example.com:443?encryption=none&type=tcp&security=none");
  CHECK(build_vless(ws) ==
        std::string("vless://") + kUuid +
            "@[2001:db8::3]:8443?encryption=none&type=ws&path=%2Fws%3Fed%3D2048%26x%3Da%20b&host=cdn.example.com"
            "&security=tls&sni=sni.example.com#Frankfurt%20%232%20%3F%2F%2B%20%C3%BC");
}

TEST_CASE("vless links from other generators parse with their extra parameters", "[links]") {
  VlessLink v = parse_vless(
      "vless://B831381D-6324-4D53-AD4F-8CDA48B30811@example.com:443/?type=raw&security=tls&sni=example.com"
      "&fp=chrome&alpn=h2%2Chttp%2F1.1&headerType=none&flow=#My%20node");
  CHECK(v.uuid == kUuid);
  CHECK(v.type == "tcp");
  CHECK(v.security == "tls");
  CHECK(v.sni == "example.com");
  CHECK(v.tag == "My node");
  v = parse_vless(std::string("vless://") + kUuid + "@h.example:80?type=ws&path=/ray&host=h.example");
  CHECK(v.path == "/ray");
  CHECK(v.host_header == "h.example");
  CHECK(v.security == "none");
}

TEST_CASE("vless links refuse malformed input naming the part", "[links]") {
  const std::string u = std::string("vless://") + kUuid;
  struct Case {
    std::string link;
    const char* message;
  };
  const Case cases[] = {
      {"vmess://x", "vless link: link does not start with 'vless://'"},
      {"vless://example.com:443", "vless link: missing 'UUID@' before the host"},
      {"vless://b831381d-6324-4d53-ad4f-8cda48b3081@h:1", "vless link: uuid is not in 8-4-4-4-12 hex form"},
      {"vless://b831381d-6324-4d53-ad4f-8cda48b3081g@h:1", "vless link: uuid is not in 8-4-4-4-12 hex form"},
      {"vless://b831381d63244d53ad4f8cda48b30811xxxx@h:1", "vless link: uuid is not in 8-4-4-4-12 hex form"},
      {u + "@h", "vless link: missing port"},
      {u + "@h:123456", "vless link: port '123456' is out of range"},
      {u + "@[2001:db8::1:443", "vless link: unbalanced '[' in the host"},
      {u + "@h:1?encryption=aes-128-gcm", "vless link: encryption 'aes-128-gcm' is not supported (only none)"},
      {u + "@h:1?type=grpc", "vless link: transport type 'grpc' is not supported (tcp or ws)"},
      {u + "@h:1?security=reality", "vless link: security 'reality' is not supported (none or tls)"},
      {u + "@h:1?flow=xtls-rprx-vision", "vless link: flow 'xtls-rprx-vision' is not supported"},
      {u + "@h:1?type=tcp&path=/x", "vless link: path and host need type=ws"},
      {u + "@h:1?type=ws&path=x", "vless link: path 'x' does not start with '/'"},
      {u + "@h:1?type=ws&host=a%20b", "vless link: host header 'a b' is not a valid host name"},
      {u + "@h:1?sni=h.example", "vless link: sni needs security=tls"},
      {u + "@h:1?type=ws&type=tcp", "vless link: parameter 'type' appears twice"},
      {u + "@h:1?type=ws&path=/%0d%0aX:1", "vless link: parameter 'path' contains a control character"},
      {u + "@h:1#%C0%AF", "vless link: tag is not valid UTF-8"},
  };
  for (const auto& c : cases) {
    INFO(c.link);
    CHECK(failure_of([&] { parse_vless(c.link); }) == c.message);
  }
  CHECK(failure_of([] { build_vless({.uuid = "not-a-uuid", .server = {"h", 1}}); }) == "vless link: uuid is not in 8-4-4-4-12 hex form");
  CHECK(failure_of([] { build_vless({.uuid = kUuid, .server = {"h", 1}, .type = "grpc"}); }) ==
        "vless link: transport type 'grpc' is not supported (tcp or ws)");
}

TEST_CASE("percent-encoding keeps unreserved characters and decoding refuses bad escapes", "[links]") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b/ü+%") == "a%20b%2F%C3%BC%2B%25");
  CHECK(percent_decode("a%20b%2f%C3%BC+") == "a b/ü+");
  for (const char* bad : {"%", "%2", "%zz", "a%g0"}) {
    INFO(bad);
    CHECK_THROWS_AS(percent_decode(bad), httvps::Failure);
  }
}

TEST_CASE("uuids are recognised in either case", "[links]") {
  CHECK(is_uuid(kUuid));
  CHECK(is_uuid("B831381D-6324-4D53-AD4F-8CDA48B30811"));
  for (const char* bad : {"", "b831381d-6324-4d53-ad4f-8cda48b3081", "b831381d-6324-4d53-ad4f-8cda48b308111",
                          "b831381d_6324-4d53-ad4f-8cda48b30811", "g831381d-6324-4d53-ad4f-8cda48b30811",
                          "b831381d-6324-4d53-ad4f8-cda48b30811"}) {
    INFO(bad);
    CHECK_FALSE(is_uuid(bad));
  }
}

TEST_CASE("random uuids are version 4 with the RFC 4122 variant and differ", "[links]") {
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    std::string u = random_uuid_v4();
    INFO(u);
    CHECK(is_uuid(u));
    CHECK(u[14] == '4');
    CHECK(std::string("89ab").find(u[19]) != std::string::npos);
    CHECK(u == parse_vless(build_vless({.uuid = u, .server = {"h", 1}})).uuid);
    seen.insert(u);
  }
  CHECK(seen.size() == 64);
}
