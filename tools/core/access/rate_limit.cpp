#include "core/access/rate_limit.hpp"

#include <algorithm>

namespace httvps::access {
namespace {

std::int64_t window_start(const RateLimit& l, std::int64_t now) { return now - now % l.window_seconds; }

RateState state_of(const RateLimit& l, std::int64_t now, std::int64_t hits) {
  RateState s;
  s.limit = l.limit;
  s.remaining = std::max<std::int64_t>(0, l.limit - hits);
  s.reset_at = window_start(l, now) + l.window_seconds;
  s.hits = hits;
  s.exceeded = hits >= l.limit;
  s.hits_over_limit = hits > l.limit;
  return s;
}

}  // namespace

RateState peek(db::Connection& conn, const RateLimit& l, std::int64_t now) {
  auto rows = conn.exec("rate_limit_hits", {l.bucket, static_cast<long long>(window_start(l, now))});
  return state_of(l, now, rows[0].int64("hits"));
}

RateState hit(db::Connection& conn, const RateLimit& l, std::int64_t now) {
  auto rows = conn.exec("rate_limit_hit", {l.bucket, static_cast<long long>(window_start(l, now))});
  // Old windows are pruned now and then by whoever happens to count a hit.
  if (now % 97 == 0) conn.exec("rate_limit_prune");
  return state_of(l, now, rows[0].int64("hits"));
}

Failure rate_limited(const RateState& s, std::int64_t now, const std::string& what) {
  std::int64_t retry = std::max<std::int64_t>(1, s.reset_at - now);
  Failure f(ExitCode::kRateLimited, "too many failed attempts for " + what + "; retry in " + std::to_string(retry) + " s");
  f.with_retry_after(static_cast<int>(retry));
  f.with_header("X-RateLimit-Limit", std::to_string(s.limit));
  f.with_header("X-RateLimit-Remaining", std::to_string(s.remaining));
  f.with_header("X-RateLimit-Reset", std::to_string(s.reset_at));
  return f;
}

}  // namespace httvps::access
