#include "tunnel/socks5.hpp"

#include <catch2/catch.hpp>

using namespace httvps::tunnel;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes prefix(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); }

const Bytes kIpv4Request{5, 1, 0, 1, 93, 184, 216, 34, 0x01, 0xBB};

}  // namespace

TEST_CASE("socks5 greeting offering no-auth is accepted with method 0x00", "[socks5]") {
  const Bytes greeting{5, 2, 0x02, 0x00};
  const auto g = parse_greeting(greeting);
  CHECK(g.status == Socks5Status::kOk);
  CHECK(g.consumed == 4);
  CHECK(g.reply == Bytes{5, 0x00});
}

TEST_CASE("socks5 greeting with 255 methods is accepted when one of them is no-auth", "[socks5]") {
  Bytes greeting{5, 255};
  for (int i = 0; i < 255; ++i) greeting.push_back(static_cast<std::uint8_t>(254 - i));  // 0x00 comes last
  const auto g = parse_greeting(greeting);
  CHECK(g.status == Socks5Status::kOk);
  CHECK(g.consumed == kSocks5MaxGreetingSize);
}

TEST_CASE("socks5 greeting without no-auth is answered 0xFF", "[socks5]") {
  const auto g = parse_greeting(Bytes{5, 2, 0x01, 0x02});
  CHECK(g.status == Socks5Status::kError);
  CHECK(g.reply == Bytes{5, 0xFF});
}

TEST_CASE("socks5 greeting with zero methods is answered 0xFF", "[socks5]") {
  const auto g = parse_greeting(Bytes{5, 0});
  CHECK(g.status == Socks5Status::kError);
  CHECK(g.reply == Bytes{5, 0xFF});
}

TEST_CASE("socks5 greeting from another protocol is refused without a reply", "[socks5]") {
  for (const Bytes& other : {Bytes{4, 1, 0, 80}, Bytes{'G', 'E', 'T', ' '}, Bytes{0}}) {
    const auto g = parse_greeting(other);
    CHECK(g.status == Socks5Status::kError);
    CHECK(g.reply.empty());
  }
}

TEST_CASE("socks5 greeting needs more bytes at every split point", "[socks5]") {
  const Bytes greeting{5, 3, 0x01, 0x02, 0x00};
  for (std::size_t n = 0; n < greeting.size(); ++n) {
    INFO(n);
    CHECK(parse_greeting(prefix(greeting, n)).status == Socks5Status::kNeedMore);
  }
  CHECK(parse_greeting(greeting).status == Socks5Status::kOk);
}

TEST_CASE("socks5 greeting leaves a pipelined request unconsumed", "[socks5]") {
  const Bytes greeting{5, 1, 0x00};
  const Bytes both = cat(greeting, kIpv4Request);
  const auto g = parse_greeting(both);
  REQUIRE(g.status == Socks5Status::kOk);
  REQUIRE(g.consumed == greeting.size());
  const auto r = parse_request(std::span(both).subspan(g.consumed));
  CHECK(r.status == Socks5Status::kOk);
  CHECK(r.target.host == "93.184.216.34");
}

TEST_CASE("socks5 connect to an ipv4 address is parsed", "[socks5]") {
  const auto r = parse_request(kIpv4Request);
  REQUIRE(r.status == Socks5Status::kOk);
  CHECK(r.consumed == kIpv4Request.size());
  CHECK(r.target.type == Socks5AddressType::kIpv4);
  CHECK(r.target.host == "93.184.216.34");
  CHECK(r.target.port == 443);
  CHECK(r.target.address == Bytes(kIpv4Request.begin() + 3, kIpv4Request.end()));
}

TEST_CASE("socks5 connect to an ipv6 address is parsed", "[socks5]") {
  const Bytes req{5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1F, 0x90};
  const auto r = parse_request(req);
  REQUIRE(r.status == Socks5Status::kOk);
  CHECK(r.consumed == 22);
  CHECK(r.target.type == Socks5AddressType::kIpv6);
  CHECK(r.target.host == "2001:db8::1");
  CHECK(r.target.port == 8080);
  CHECK(r.target.address == encode_address("2001:db8::1", 8080).value());
}

TEST_CASE("socks5 connect to a domain is parsed", "[socks5]") {
  const Bytes req = cat(Bytes{5, 1, 0, 3, 11}, Bytes{'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0, 80});
  const auto r = parse_request(req);
  REQUIRE(r.status == Socks5Status::kOk);
  CHECK(r.consumed == req.size());
  CHECK(r.target.type == Socks5AddressType::kDomain);
  CHECK(r.target.host == "example.com");
  CHECK(r.target.port == 80);
  CHECK(r.target.address == encode_address("example.com", 80).value());
}

TEST_CASE("socks5 connect to a 255-byte domain is parsed", "[socks5]") {
  Bytes req{5, 1, 0, 3, 255};
  req.insert(req.end(), 255, 'a');
  req.push_back(0x01);
  req.push_back(0x00);
  const auto r = parse_request(req);
  REQUIRE(r.status == Socks5Status::kOk);
  CHECK(r.consumed == kSocks5MaxRequestSize);
  CHECK(r.target.host == std::string(255, 'a'));
  CHECK(r.target.port == 256);
}

TEST_CASE("socks5 request with an empty domain is refused with a general failure", "[socks5]") {
  const auto r = parse_request(Bytes{5, 1, 0, 3, 0, 0, 80});
  CHECK(r.status == Socks5Status::kError);
  CHECK(r.error_reply == build_failure_reply(Socks5Reply::kGeneralFailure));
}

TEST_CASE("socks5 bind and udp associate are refused with reply 0x07", "[socks5]") {
  for (std::uint8_t cmd : {std::uint8_t{2}, std::uint8_t{3}, std::uint8_t{0}, std::uint8_t{0x42}}) {
    INFO(int(cmd));
    const auto r = parse_request(Bytes{5, cmd});  // decided before the address arrives
    CHECK(r.status == Socks5Status::kError);
    CHECK(r.error_reply == Bytes{5, 0x07, 0, 1, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("socks5 request with an unknown address type is refused with reply 0x08", "[socks5]") {
  for (std::uint8_t atyp : {std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{5}, std::uint8_t{0xFF}}) {
    INFO(int(atyp));
    const auto r = parse_request(Bytes{5, 1, 0, atyp});
    CHECK(r.status == Socks5Status::kError);
    CHECK(r.error_reply == Bytes{5, 0x08, 0, 1, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("socks5 request with the wrong version is refused with a general failure", "[socks5]") {
  const auto r = parse_request(Bytes{4, 1, 0, 80});
  CHECK(r.status == Socks5Status::kError);
  CHECK(r.error_reply == build_failure_reply(Socks5Reply::kGeneralFailure));
}

TEST_CASE("socks5 request needs more bytes at every split point of each address type", "[socks5]") {
  const Bytes domain = cat(Bytes{5, 1, 0, 3, 3, 'a', '.', 'b'}, Bytes{0, 53});
  const Bytes ipv6{5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 22};
  for (const Bytes& req : {kIpv4Request, domain, ipv6}) {
    for (std::size_t n = 0; n < req.size(); ++n) {
      INFO(n);
      CHECK(parse_request(prefix(req, n)).status == Socks5Status::kNeedMore);
    }
    CHECK(parse_request(req).status == Socks5Status::kOk);
  }
}

TEST_CASE("socks5 request leaves pipelined application data unconsumed", "[socks5]") {
  const Bytes data{'G', 'E', 'T', ' ', '/', '\r', '\n'};
  const Bytes in = cat(kIpv4Request, data);
  const auto r = parse_request(in);
  REQUIRE(r.status == Socks5Status::kOk);
  CHECK(r.consumed == kIpv4Request.size());
  CHECK(Bytes(in.begin() + static_cast<std::ptrdiff_t>(r.consumed), in.end()) == data);
}

TEST_CASE("socks5 request ignores the reserved byte", "[socks5]") {
  Bytes req = kIpv4Request;
  req[2] = 0x7F;
  CHECK(parse_request(req).status == Socks5Status::kOk);
}

TEST_CASE("socks5 success reply carries the bound address", "[socks5]") {
  CHECK(build_success_reply("10.0.0.2", 40000) == Bytes{5, 0, 0, 1, 10, 0, 0, 2, 0x9C, 0x40});
  CHECK(build_success_reply("::1", 1) ==
        Bytes{5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1});
  CHECK(build_success_reply("[::1]", 1) == build_success_reply("::1", 1));
  CHECK(build_success_reply("gw", 2) == Bytes{5, 0, 0, 3, 2, 'g', 'w', 0, 2});
  CHECK(build_success_reply("", 2) == Bytes{5, 0, 0, 1, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("socks5 failure replies exist for every code from 0x01 to 0x08", "[socks5]") {
  for (int code = 1; code <= 8; ++code) {
    INFO(code);
    CHECK(build_failure_reply(static_cast<Socks5Reply>(code)) ==
          Bytes{5, static_cast<std::uint8_t>(code), 0, 1, 0, 0, 0, 0, 0, 0});
  }
}

TEST_CASE("socks5 address encoding refuses empty and over-long names", "[socks5]") {
  CHECK_FALSE(encode_address("", 80).has_value());
  CHECK_FALSE(encode_address(std::string(256, 'a'), 80).has_value());
  CHECK(encode_address(std::string(255, 'a'), 80).has_value());
  CHECK(encode_address("1.2.3.4", 0x1234).value() == Bytes{1, 1, 2, 3, 4, 0x12, 0x34});
  CHECK(encode_address("1.2.3.4.5", 1).value()[0] == 0x03);  // not an address: a name
}
