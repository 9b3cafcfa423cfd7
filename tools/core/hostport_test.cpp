#include "core/hostport.hpp"

#include <catch2/catch.hpp>

using httvps::parse_host_port;

TEST_CASE("parse_host_port accepts the forms configuration uses") {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  const Case good[] = {{"127.0.0.1:8443", "127.0.0.1", 8443},
                       {"[::1]:80", "::1", 80},
                       {"[2001:db8::1]:65535", "2001:db8::1", 65535},
                       {"gw.example.net:1", "gw.example.net", 1},
                       {"localhost:443", "localhost", 443}};
  for (const auto& c : good) {
    INFO(c.text);
    auto hp = parse_host_port(c.text);
    REQUIRE(hp);
    CHECK(hp->host == c.host);
    CHECK(hp->port == c.port);
    CHECK(httvps::format_host_port(*hp) == c.text);
  }
}

TEST_CASE("parse_host_port refuses malformed addresses") {
  const char* bad[] = {"",          "127.0.0.1",  ":80",         "host:",        "host:0",     "host:65536",
                       "host:080",  "host:+80",   "host: 80",    "ho st:80",     "::1:80",     "[::1]80",
                       "[::1]:",    "[]:80",      "[fe80::g]:1", "[1.2.3.4]:80", "a/b:80",     "host:99999999"};
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(parse_host_port(text));
  }
}
