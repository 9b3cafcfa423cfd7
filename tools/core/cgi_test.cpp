#include "core/cgi.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace httvps;
using Vars = std::map<std::string, std::string>;

namespace {
Environment cgi_env(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> vars = {{"GATEWAY_INTERFACE", "CGI/1.1"}, {"REQUEST_METHOD", "post"},
                                             {"PATH_INFO", "/api/v1/x"}};
  for (auto& [k, v] : extra) vars[k] = v;
  return Environment(vars);
}
}  // namespace

TEST_CASE("a CGI request is read from the environment and stdin", "[cgi]") {
  std::istringstream body("{\"a\":1}");
  auto env = cgi_env({{"CONTENT_LENGTH", "7"},
                      {"CONTENT_TYPE", "application/json; charset=utf-8"},
                      {"QUERY_STRING", "format=json&name=a%20b+c&flag"},
                      {"HTTP_AUTHORIZATION", "Bearer x"},
                      {"HTTP_X_REQUEST_ID", "req-42"},
                      {"REMOTE_ADDR", "127.0.0.1"}});
  cgi::Request r = cgi::read_request(env, body, 1024);
  CHECK(r.method == "POST");
  CHECK(r.path == "/api/v1/x");
  CHECK(r.query_param("format") == "json");
  CHECK(r.query_param("name") == "a b c");
  CHECK(r.query_param("flag") == "");
  CHECK_FALSE(r.query_param("missing"));
  CHECK(r.header("authorization") == "Bearer x");
  CHECK(r.request_id == "req-42");
  CHECK(r.json_body()["a"] == 1);
}

TEST_CASE("a body over the limit is drained and refused", "[cgi]") {
  std::istringstream body(std::string(2000, 'x') + "rest");
  auto env = cgi_env({{"CONTENT_LENGTH", "2000"}});
  try {
    cgi::read_request(env, body, 1024);
    FAIL("no failure");
  } catch (const Failure& e) {
    CHECK(e.code() == ExitCode::kTooLarge);
  }
  std::string rest;
  body >> rest;
  CHECK(rest == "rest");  // exactly the body was consumed
}

TEST_CASE("malformed Content-Length, short bodies and bad escapes are usage errors", "[cgi]") {
  for (const char* len : {"abc", "-1", "12x", ""}) {
    std::istringstream body("hello");
    auto env = cgi_env({{"CONTENT_LENGTH", len}});
    if (std::string(len).empty()) {
      CHECK_NOTHROW(cgi::read_request(env, body, 1024));
      continue;
    }
    INFO(len);
    CHECK_THROWS_AS(cgi::read_request(env, body, 1024), Failure);
  }
  std::istringstream short_body("abc");
  CHECK_THROWS_AS(cgi::read_request(cgi_env({{"CONTENT_LENGTH", "10"}}), short_body, 1024), Failure);
  for (const char* q : {"a=%", "a=%z1", "a=%1"}) {
    std::istringstream body("");
    INFO(q);
    CHECK_THROWS_AS(cgi::read_request(cgi_env({{"QUERY_STRING", q}}), body, 1024), Failure);
  }
}

TEST_CASE("JSON bodies must be objects of the JSON content type", "[cgi]") {
  cgi::Request r;
  r.content_type = "text/plain";
  r.body = "{}";
  CHECK_THROWS_WITH(r.json_body(), Catch::Contains("application/json"));
  r.content_type = "application/json";
  r.body = "[1,2]";
  CHECK_THROWS_WITH(r.json_body(), Catch::Contains("JSON object"));
  r.body = "{\"a\": ";
  CHECK_THROWS_WITH(r.json_body(), Catch::Contains("not valid JSON (at byte"));
  r.body = "";
  CHECK_THROWS_WITH(r.json_body(), Catch::Contains("empty"));
}

TEST_CASE("malformed or oversized request ids are replaced by generated ones", "[cgi]") {
  CHECK(cgi::request_id_from(Environment(Vars{{"HTTP_X_REQUEST_ID", "abc-123"}})) == "abc-123");
  for (std::string bad : {std::string("a b"), std::string("x\ny"), std::string(200, 'a'), std::string("")}) {
    std::string id = cgi::request_id_from(Environment(Vars{{"HTTP_X_REQUEST_ID", bad}}));
    CHECK(id != bad);
    CHECK(id.size() == 32);
  }
}

TEST_CASE("problem responses carry status, code, field and request id", "[cgi]") {
  Failure f(ExitCode::kNotFound, "no plan named 'x'", "plan");
  cgi::Response r = cgi::problem_response(f, "rid-1", "/api/v1/plans/x");
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/problem+json");
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["status"] == 404);
  CHECK(body["code"] == "not_found");
  CHECK(body["field"] == "plan");
  CHECK(body["request_id"] == "rid-1");
  CHECK(body["detail"] == "no plan named 'x'");
  std::string wire = cgi::render(r);
  CHECK(wire.rfind("Status: 404 Not Found\r\nContent-Type: application/problem+json\r\n", 0) == 0);
}

TEST_CASE("rate-limit problems say when to retry", "[cgi]") {
  Failure f(ExitCode::kRateLimited, "slow down");
  f.with_retry_after(30);
  cgi::Response r = cgi::problem_response(f, "x", "/");
  CHECK(r.status == 429);
  CHECK(std::find(r.headers.begin(), r.headers.end(), std::make_pair(std::string("Retry-After"), std::string("30"))) !=
        r.headers.end());
}

TEST_CASE("only a set GATEWAY_INTERFACE makes a CGI run", "[cgi]") {
  CHECK(cgi::is_cgi(Environment(Vars{{"GATEWAY_INTERFACE", "CGI/1.1"}})));
  CHECK_FALSE(cgi::is_cgi(Environment(Vars{{"REQUEST_METHOD", "GET"}})));
}

TEST_CASE("token-bearing path segments are shortened for logs", "[cgi]") {
  CHECK(cgi::redact_path("/api/v1/sub/hts_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG") == "/api/v1/sub/hts_abcdefgh…");
  CHECK(cgi::redact_path("/api/v1/health") == "/api/v1/health");
  CHECK(cgi::redact_path("/api/v1/sub/hts_short") == "/api/v1/sub/hts_short");
  CHECK(cgi::redact_path("") == "");
}
