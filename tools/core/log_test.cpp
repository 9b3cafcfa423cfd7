#include "core/log.hpp"

#include <catch2/catch.hpp>

using namespace httvps::log;

TEST_CASE("secret-named fields are masked in log records", "[log]") {
  nlohmann::json fields = {{"token", "htv_3fa9c1d2e5f6a7b8c9d0"},
                           {"user", "alice"},
                           {"nested", {{"password", "hunter2hunter2hunter2"}, {"count", 3}}},
                           {"api_key", "sk_live_1234567890abcdef"},
                           {"idempotency_key", "batch-17"}};
  nlohmann::json out = redact(fields);
  CHECK(out["token"] == "htv_3fa9…");
  CHECK(out["user"] == "alice");
  CHECK(out["nested"]["password"] == "hunter2h…");
  CHECK(out["nested"]["count"] == 3);
  CHECK(out["api_key"] == "sk_live_…");
  CHECK(out["idempotency_key"] == "batch-17");
}

TEST_CASE("short secrets are masked entirely", "[log]") {
  CHECK(mask_secret("abc") == "…");
  CHECK(mask_secret("") == "…");
}

TEST_CASE("field names that hold secrets are recognised", "[log]") {
  for (const char* n : {"token", "Password", "gateway_secret", "Authorization", "credential", "secrets_key", "key"}) {
    INFO(n);
    CHECK(is_secret_field(n));
  }
  for (const char* n : {"username", "keys_total", "session_key", "idempotency_key", "device_id"}) {
    INFO(n);
    CHECK_FALSE(is_secret_field(n));
  }
}

TEST_CASE("log levels parse and refuse unknown names", "[log]") {
  CHECK(parse_level("debug") == Level::kDebug);
  CHECK(parse_level("warning") == Level::kWarn);
  CHECK_THROWS(parse_level("loud"));
}
