#include "core/domain/access.hpp"

#include <catch2/catch.hpp>

using namespace httvps::domain;

namespace {

// An active user on a 30-day, 10 GB, 2-device plan, halfway through, with 4 GB used.
AccessFacts base() {
  AccessFacts f;
  f.now = 1'800'000'000;
  f.user_status = "active";
  f.started_at = f.now - 15 * 86400;
  f.expires_at = f.now + 15 * 86400;
  f.period_started_at = *f.started_at;
  f.used_bytes = 4'000'000'000;
  f.data_limit = 10'000'000'000;
  f.duration = 30 * 86400;
  f.device_limit = 2;
  f.speed_limit_bps = 20'000'000;
  return f;
}

}  // namespace

TEST_CASE("the decision table: every status and every refusal reason", "[domain][access]") {
  struct Case {
    const char* name;
    void (*change)(AccessFacts&);
    bool allowed;
    Reason reason;
  };
  const Case cases[] = {
      {"an active user within every limit", [](AccessFacts&) {}, true, Reason::kOk},
      {"a disabled user", [](AccessFacts& f) { f.user_status = "disabled"; }, false, Reason::kUserDisabled},
      {"a revoked credential", [](AccessFacts& f) { f.credential_revoked = true; }, false, Reason::kCredentialRevoked},
      {"a revoked device", [](AccessFacts& f) { f.device_revoked = true; }, false, Reason::kDeviceRevoked},
      {"a limited user whose usage is still over", [](AccessFacts& f) { f.user_status = "limited"; f.used_bytes = *f.data_limit; },
       false, Reason::kQuota},
      {"a limited user below the limit again (limit raised)", [](AccessFacts& f) { f.user_status = "limited"; },
       true, Reason::kOk},
      {"an expired user past the end", [](AccessFacts& f) { f.user_status = "expired"; f.expires_at = f.now - 1; },
       false, Reason::kExpired},
      {"an expired user whose expiry was extended", [](AccessFacts& f) { f.user_status = "expired"; }, true, Reason::kOk},
      {"an on_hold user", [](AccessFacts& f) { f.user_status = "on_hold"; f.started_at.reset(); f.expires_at.reset(); },
       true, Reason::kOk},
      {"a device beyond the plan's device limit", [](AccessFacts& f) { f.device_rank = 3; }, false, Reason::kDeviceLimit},
      {"the last device within the limit", [](AccessFacts& f) { f.device_rank = 2; }, true, Reason::kOk},
      {"a region without a node", [](AccessFacts& f) { f.region_has_node = false; }, false, Reason::kNoNode},
      {"a device bound to another hwid", [](AccessFacts& f) { f.device_hwid = "A"; f.presented_hwid = "B"; },
       false, Reason::kHwidMismatch},
      {"a bound device that presents no hwid", [](AccessFacts& f) { f.device_hwid = "A"; }, false, Reason::kHwidMismatch},
      {"a bound device that presents its hwid", [](AccessFacts& f) { f.device_hwid = "A"; f.presented_hwid = "A"; },
       true, Reason::kOk},
      {"unlimited everything", [](AccessFacts& f) { f.data_limit.reset(); f.expires_at.reset(); f.device_limit.reset(); f.device_rank = 50; },
       true, Reason::kOk},
      {"a revoked device of a disabled user reports the revocation",
       [](AccessFacts& f) { f.device_revoked = true; f.user_status = "disabled"; }, false, Reason::kDeviceRevoked},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    AccessFacts f = base();
    c.change(f);
    AccessDecision d = decide_access(f);
    CHECK(d.allowed == c.allowed);
    CHECK(d.reason == c.reason);
    CHECK_FALSE(d.detail.empty());
  }
}

TEST_CASE("expiry bites at the exact second", "[domain][access]") {
  AccessFacts f = base();
  f.expires_at = f.now + 1;
  CHECK(decide_access(f).allowed);
  f.expires_at = f.now;
  CHECK(decide_access(f).reason == Reason::kExpired);
}

TEST_CASE("quota bites at the exact last byte", "[domain][access]") {
  AccessFacts f = base();
  f.used_bytes = *f.data_limit - 1;
  AccessDecision d = decide_access(f);
  CHECK(d.allowed);
  CHECK(d.bytes_remaining == 1);
  f.used_bytes = *f.data_limit;
  CHECK(decide_access(f).reason == Reason::kQuota);
  f.data_limit = 0;
  f.used_bytes = 0;
  CHECK(decide_access(f).reason == Reason::kQuota);
}

TEST_CASE("an allowed answer carries the limits", "[domain][access]") {
  AccessFacts f = base();
  AccessDecision d = decide_access(f);
  CHECK(d.bytes_remaining == 6'000'000'000);
  CHECK(d.speed_limit_bps == 20'000'000);
  CHECK(d.expires_at == f.expires_at);
  CHECK(d.new_status.empty());
  CHECK_FALSE(d.start_subscription);
  CHECK_FALSE(d.reset_usage);
}

TEST_CASE("on_hold starts the clock at the first successful validation", "[domain][access]") {
  AccessFacts f = base();
  f.user_status = "on_hold";
  f.started_at.reset();
  f.expires_at.reset();
  f.period_started_at = f.now - 100 * 86400;  // created long ago, never used
  f.used_bytes = 0;
  AccessDecision d = decide_access(f);
  REQUIRE(d.allowed);
  CHECK(d.start_subscription);
  CHECK(d.started_at == f.now);
  CHECK(d.new_expires_at == f.now + 30 * 86400);
  CHECK(d.expires_at == f.now + 30 * 86400);
  CHECK(d.new_status == "active");
}

TEST_CASE("on_hold does not start the clock when the answer is a refusal", "[domain][access]") {
  AccessFacts f = base();
  f.user_status = "on_hold";
  f.started_at.reset();
  f.expires_at.reset();
  f.device_rank = 3;
  AccessDecision d = decide_access(f);
  CHECK_FALSE(d.allowed);
  CHECK_FALSE(d.start_subscription);  // side effects only on success
}

TEST_CASE("a due reset returns the period's usage to zero and re-enables a limited user", "[domain][access]") {
  AccessFacts f = base();
  f.reset = ResetStrategy::kDay;
  f.user_status = "limited";
  f.used_bytes = *f.data_limit;
  f.period_started_at = (f.now / 86400) * 86400 - 3600;  // yesterday, 23:00
  AccessDecision d = decide_access(f);
  REQUIRE(d.allowed);
  CHECK(d.reset_usage);
  CHECK(d.new_period_started_at == (f.now / 86400) * 86400);
  CHECK(d.bytes_remaining == *f.data_limit);
  CHECK(d.new_status == "active");
}

TEST_CASE("without a due reset a limited user stays refused", "[domain][access]") {
  AccessFacts f = base();
  f.reset = ResetStrategy::kMonth;
  f.used_bytes = *f.data_limit + 5;
  f.period_started_at = f.now - 10;
  CHECK(decide_access(f).reason == Reason::kQuota);
}

TEST_CASE("the cache lifetime never outlives the expiry or the next reset", "[domain][access]") {
  AccessFacts f = base();
  f.max_cache_seconds = 60;
  CHECK(decide_access(f).cache_seconds == 60);
  f.expires_at = f.now + 7;
  CHECK(decide_access(f).cache_seconds == 7);
  f = base();
  f.reset = ResetStrategy::kDay;
  f.now = (f.now / 86400) * 86400 + 86400 - 5;  // five seconds to midnight
  f.period_started_at = f.now - 100;
  CHECK(decide_access(f).cache_seconds == 5);
}

TEST_CASE("a first hwid binds the device", "[domain][access]") {
  AccessFacts f = base();
  f.presented_hwid = "hw-1";
  CHECK(decide_access(f).bind_hwid);
  f.presented_hwid.reset();
  CHECK_FALSE(decide_access(f).bind_hwid);
}

TEST_CASE("reason names are stable", "[domain][access]") {
  CHECK(reason_name(Reason::kQuota) == "quota");
  CHECK(reason_name(Reason::kInvalidToken) == "invalid_token");
  CHECK(reason_name(Reason::kDeviceLimit) == "device_limit");
  CHECK(reason_name(Reason::kHwidMismatch) == "hwid_mismatch");
}
