#include <catch2/catch.hpp>

#include "gateway/hello.hpp"
#include "gateway/metrics.hpp"
#include "gateway/validator.hpp"

using namespace httvps::gateway;

TEST_CASE("parse_hello accepts what clients send") {
  std::string error;
  auto h = parse_hello(R"({"token":"htv_abcd","hwid":"pixel","client":"httvps-client/0.1","window":65536,"new":1})", error);
  REQUIRE(h);
  CHECK(h->token == "htv_abcd");
  CHECK(h->hwid == "pixel");
  CHECK(h->client == "httvps-client/0.1");
  CHECK(h->window == 65536u);
  auto minimal = parse_hello(R"({"token":"htv_abcd","hwid":null})", error);
  REQUIRE(minimal);
  CHECK(minimal->hwid.empty());
  CHECK_FALSE(minimal->window);
}

TEST_CASE("parse_hello names what is wrong") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"", "not a JSON object"},
      {"[1]", "not a JSON object"},
      {"{\"token\":1}", "token must be a string"},
      {"{}", "token must be a string"},
      {"{\"token\":\"abc\"}", "token must have 4 to 200 characters"},
      {"{\"token\":\"abcd\",\"hwid\":\"\"}", "hwid must be a string"},
      {"{\"token\":\"abcd\",\"hwid\":5}", "hwid must be a string"},
      {"{\"token\":\"abcd\",\"window\":1000}", "window must be an integer"},
      {"{\"token\":\"abcd\",\"window\":-1}", "window must be an integer"},
      {"{\"token\":\"abcd\",\"window\":16777217}", "window must be an integer"},
      {"{\"token\":\"abcd\",\"client\":[]}", "client must be a string"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    CHECK_FALSE(parse_hello(c.text, error));
    CHECK_THAT(error, Catch::Contains(c.error));
  }
}

TEST_CASE("parse_validate_answer reads an allowed answer and checks its nodes") {
  const std::string body = R"({"cache_ttl":60,"verdict":"allowed","reason":"ok","detail":"allowed","device_id":3,
    "user_id":2,"username":"alice","device":"phone",
    "limits":{"bytes_remaining":1000,"speed_limit_bps":null,"expires_at":"2026-12-22T08:24:17Z"},
    "nodes":[{"id":1,"name":"fra-1","kind":"shadowsocks","host":"127.0.0.1","port":8388,
              "method":"chacha20-ietf-poly1305","password":"secret"},
             {"id":2,"name":"bad-cipher","kind":"shadowsocks","host":"127.0.0.1","port":8388,"method":"rc4-md5","password":"x"},
             {"id":3,"name":"no-port","kind":"shadowsocks","host":"127.0.0.1","method":"aes-256-gcm","password":"x"},
             {"id":4,"name":"vless","kind":"vless","host":"127.0.0.1","port":1,"method":"","password":"x"},
             {"id":5,"name":"ams-1","kind":"outline","host":"::1","port":9000,"method":"aes-256-gcm","password":"p"}]})";
  std::vector<std::string> dropped;
  auto v = parse_validate_answer(200, body, dropped);
  REQUIRE(v);
  CHECK(v->allowed);
  CHECK(v->cache_ttl == 60);
  CHECK(v->bytes_remaining == 1000);
  CHECK_FALSE(v->speed_limit_bps);
  CHECK(v->username == "alice");
  REQUIRE(v->nodes.size() == 2);
  CHECK(v->nodes[0].name == "fra-1");
  CHECK(v->nodes[0].hop.shadowsocks);
  CHECK(v->nodes[0].hop.key.size() == 32);
  CHECK(v->nodes[0].hop.address.to_string() == "127.0.0.1:8388");
  CHECK(v->nodes[1].hop.address.to_string() == "[::1]:9000");
  CHECK(dropped.size() == 3);
}

TEST_CASE("parse_validate_answer tells refusals from failures") {
  std::vector<std::string> dropped;
  auto refused = parse_validate_answer(
      403, R"({"code":"refused","verdict":"refused","reason":"device_revoked","detail":"revoked","cache_ttl":10})",
      dropped);
  REQUIRE(refused);
  CHECK_FALSE(refused->allowed);
  CHECK(refused->reason == "device_revoked");
  // The gateway itself refused, a server error, a lie about the verdict, garbage: no answer.
  CHECK_FALSE(parse_validate_answer(403, R"({"code":"forbidden","detail":"this gateway is disabled"})", dropped));
  CHECK_FALSE(parse_validate_answer(503, R"({"code":"temp_failure"})", dropped));
  CHECK_FALSE(parse_validate_answer(401, R"({"code":"unauthorized"})", dropped));
  CHECK_FALSE(parse_validate_answer(200, R"({"verdict":"refused"})", dropped));
  CHECK_FALSE(parse_validate_answer(200, "not json", dropped));
}

TEST_CASE("metrics render as Prometheus text") {
  Metrics m;
  m.connections_total = 3;
  m.bytes_up = 100;
  m.refusal("quota");
  m.refusal("quota");
  m.upstream_failure("fra\"1");
  m.handshake(std::chrono::milliseconds(3));
  std::string text = m.render();
  CHECK_THAT(text, Catch::Contains("httvps_gateway_connections_total 3\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_bytes_up_total 100\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_refusals_total{reason=\"quota\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_upstream_failures_total{node=\"fra\\\"1\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_handshake_seconds_bucket{le=\"0.005\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_handshake_seconds_bucket{le=\"0.0025\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("httvps_gateway_handshake_seconds_count 1\n"));
}
