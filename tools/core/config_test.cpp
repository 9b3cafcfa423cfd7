#include "core/config.hpp"

#include <catch2/catch.hpp>

#include "core/error.hpp"

using namespace httvps;
using Vars = std::map<std::string, std::string>;

namespace {
std::string failure_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.what();
  }
  return "(no failure)";
}
}  // namespace

TEST_CASE("a TOML file sets known keys", "[config]") {
  Config c;
  apply_toml(c, "[database]\nurl = \"host=/tmp dbname=x\"\nconnect_timeout = 9\n[log]\nlevel = \"debug\"\n", "t.toml");
  CHECK(c.database_url == "host=/tmp dbname=x");
  CHECK(c.database_connect_timeout == 9);
  CHECK(c.log_level == "debug");
}

TEST_CASE("an unknown key is an error naming file, line and column", "[config]") {
  Config c;
  std::string m = failure_message([&] { apply_toml(c, "[log]\nlevel = \"info\"\n  levle = \"x\"\n", "/etc/h.toml"); });
  CHECK(m == "/etc/h.toml:3:3: unknown key 'log.levle'");
}

TEST_CASE("an unknown section is an error naming its position", "[config]") {
  Config c;
  std::string m = failure_message([&] { apply_toml(c, "\n[gatway]\nx = 1\n", "h.toml"); });
  CHECK(m == "h.toml:2:2: unknown section 'gatway'");
}

TEST_CASE("a value of the wrong type is an error naming the key and position", "[config]") {
  Config c;
  std::string m = failure_message([&] { apply_toml(c, "[database]\nconnect_timeout = \"5\"\n", "h.toml"); });
  CHECK(m == "h.toml:2:19: 'database.connect_timeout' must be an integer");
  m = failure_message([&] { apply_toml(c, "[log]\nlevel = 3\n", "h.toml"); });
  CHECK(m == "h.toml:2:9: 'log.level' must be a string");
}

TEST_CASE("TOML syntax errors carry their position", "[config]") {
  Config c;
  std::string m = failure_message([&] { apply_toml(c, "[log\nlevel = 1\n", "h.toml"); });
  CHECK(m.rfind("h.toml:1:", 0) == 0);
}

TEST_CASE("environment variables override the file and flags override both", "[config]") {
  Config c;
  apply_toml(c, "[database]\nurl = \"from-file\"\n[log]\nlevel = \"warn\"\n", "h.toml");
  Environment env(Vars{{"HTTVPS_DATABASE_URL", "from-env"}, {"HTTVPS_LOG_LEVEL", "error"}, {"HTTVPS_CONFIG", "ignored"}});
  apply_environment(c, env);
  CHECK(c.database_url == "from-env");
  CHECK(c.log_level == "error");
  apply_overrides(c, {{"database.url", "from-flag"}});
  CHECK(c.database_url == "from-flag");
  CHECK(c.log_level == "error");
}

TEST_CASE("a bad environment value names the variable", "[config]") {
  Config c;
  Environment env(Vars{{"HTTVPS_CGI_MAX_BODY_BYTES", "lots"}});
  CHECK(failure_message([&] { apply_environment(c, env); }) ==
        "environment variable HTTVPS_CGI_MAX_BODY_BYTES must be an integer");
}

TEST_CASE("a flag naming an unknown key is a usage error", "[config]") {
  Config c;
  try {
    apply_overrides(c, {{"nope.key", "1"}});
    FAIL("no failure");
  } catch (const Failure& e) {
    CHECK(e.code() == ExitCode::kUsage);
  }
}

TEST_CASE("cross-field validation refuses impossible settings", "[config]") {
  Config c;
  CHECK_NOTHROW(validate(c));
  c.log_format = "xml";
  CHECK_THROWS_AS(validate(c), Failure);
  c = Config{};
  c.cgi_max_body_bytes = 10;
  CHECK_THROWS_AS(validate(c), Failure);
  c = Config{};
  c.secrets_key = "a";
  c.secrets_key_file = "b";
  CHECK_THROWS_AS(validate(c), Failure);
}

TEST_CASE("every key has an environment variable name", "[config]") {
  CHECK(env_name_for("database.url") == "HTTVPS_DATABASE_URL");
  CHECK(env_name_for("cgi.max_body_bytes") == "HTTVPS_CGI_MAX_BODY_BYTES");
  CHECK(config_keys().size() >= 10);
}

TEST_CASE("a named config file that does not exist is an error", "[config]") {
  Environment env;
  CHECK_THROWS_AS(locate_config_file(std::string("/nonexistent/h.toml"), env), Failure);
  Environment with_var(Vars{{"HTTVPS_CONFIG", "/nonexistent/h.toml"}});
  CHECK_THROWS_AS(locate_config_file(std::nullopt, with_var), Failure);
}

TEST_CASE("describe masks secret values", "[config]") {
  Config c;
  c.database_url = "postgresql://app:supersecretpassword@db/httvps";
  for (const auto& [k, v] : describe(c)) {
    if (k == "database.url") CHECK(v.find("supersecret") == std::string::npos);
  }
}

TEST_CASE("public URLs are checked with the configuration", "[config]") {
  Config c;
  c.public_api_url = "ftp://example.org";
  CHECK_THROWS_WITH(validate(c), Catch::Contains("public.api_url"));
  c = Config{};
  c.public_gateway_url = "wss://gw.example.org:99999/tunnel";
  CHECK_THROWS_WITH(validate(c), Catch::Contains("public.gateway_url"));
  c = Config{};
  c.public_gateway_url = "https://gw.example.org";
  CHECK_THROWS_AS(validate(c), Failure);
}

TEST_CASE("gateway keys are checked with the configuration", "[config]") {
  CHECK_NOTHROW(validate(Config{}));
  struct Case {
    void (*set)(Config&);
    const char* key;
  };
  const Case cases[] = {
      {[](Config& c) { c.gateway_listen = "8443"; }, "gateway.listen"},
      {[](Config& c) { c.gateway_admin_listen = "0.0.0.0:9810"; }, "gateway.admin_listen"},
      {[](Config& c) { c.gateway_admin_listen = "nope"; }, "gateway.admin_listen"},
      {[](Config& c) { c.gateway_tls_cert = "/x.pem"; }, "gateway.tls_key"},
      {[](Config& c) { c.gateway_path = "tunnel"; }, "gateway.path"},
      {[](Config& c) { c.gateway_path = "/a b"; }, "gateway.path"},
      {[](Config& c) { c.gateway_control_url = "ftp://x"; }, "gateway.control_url"},
      {[](Config& c) {
         c.gateway_credential = "htg_x";
         c.gateway_credential_file = "/f";
       },
       "gateway.credential"},
      {[](Config& c) { c.gateway_unreachable_policy = "allow"; }, "gateway.unreachable_policy"},
      {[](Config& c) { c.gateway_upstream = "socks"; }, "gateway.upstream"},
      {[](Config& c) { c.gateway_window = 1000; }, "gateway.window"},
      {[](Config& c) { c.gateway_max_streams = 0; }, "gateway.max_streams"},
      {[](Config& c) { c.gateway_threads = -1; }, "gateway.threads"},
  };
  for (const auto& tc : cases) {
    INFO(tc.key);
    Config c;
    tc.set(c);
    CHECK_THROWS_WITH(validate(c), Catch::Contains(tc.key));
  }
}
