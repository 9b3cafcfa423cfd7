#pragma once
// Fixed-window rate limits kept in PostgreSQL, so that short-lived CGI processes on many
// hosts share them. A bucket names what is limited ("vd:prefix:htv_3fa9c1d2").

#include <cstdint>
#include <string>

#include "core/db.hpp"
#include "core/error.hpp"

namespace httvps::access {

struct RateLimit {
  std::string bucket;
  std::int64_t limit = 10;          // hits per window
  std::int64_t window_seconds = 60;
};

struct RateState {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_at = 0;  // unix seconds when the window ends
  std::int64_t hits = 0;      // hits counted in this window so far
  bool exceeded = false;         // no hit is left in this window
  bool hits_over_limit = false;  // the window holds more hits than the limit (the last hit was one too many)
};

// The state of LIMIT at NOW without counting a hit.
RateState peek(db::Connection& conn, const RateLimit& limit, std::int64_t now);
// Counts one hit and returns the state after it.
RateState hit(db::Connection& conn, const RateLimit& limit, std::int64_t now);

// Failure(kRateLimited) carrying Retry-After and the X-RateLimit-* headers of STATE.
Failure rate_limited(const RateState& state, std::int64_t now, const std::string& what);

}  // namespace httvps::access
