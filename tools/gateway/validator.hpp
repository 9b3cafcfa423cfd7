#pragma once
// The gateway's device check: POST /api/v1/validate-device with the gateway credential,
// answers cached for the cache_ttl they carry, and a policy for when the control plane
// cannot be reached (docs/gateway.md, "Device checks"). Calls run on a small pool of
// worker threads (cpp-httplib is blocking); results are posted back to the event loop that
// asked, so the data path never waits on the network.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/blocking_pool.hpp"
#include "net/endpoint.hpp"
#include "net/event_loop.hpp"

namespace httvps::gateway {

// One node from the answer, checked and resolved.
struct NodeRoute {
  std::int64_t id = 0;
  std::string name;
  net::Hop hop;
  std::int64_t multiplier_milli = 1000;  // usage_multiplier × 1000
};

struct Verdict {
  bool allowed = false;
  std::string reason;   // "ok", or why not: the validate-device reasons, or "unavailable"
  std::string detail;
  std::int64_t device_id = 0;
  std::int64_t user_id = 0;
  std::string username;
  std::string device;
  std::optional<std::int64_t> bytes_remaining;   // nullopt: unlimited
  std::optional<std::int64_t> speed_limit_bps;
  std::string expires_at;                        // RFC 3339, empty: never
  std::vector<NodeRoute> nodes;
  int cache_ttl = 0;
  bool stale = false;  // served from the cache past its TTL (unreachable_policy = cached)
  bool cached = false;  // served from the cache (fresh or stale), not asked just now
};

// Parses a validate-device answer (HTTP STATUS, BODY). nullopt when it is not an answer
// at all (5xx, 401, malformed JSON, a 403 other than "refused"): the control plane is then
// treated as unreachable. Nodes that fail their checks (no host, bad port, unknown cipher,
// empty password, unresolvable name) are dropped and reported in DROPPED.
std::optional<Verdict> parse_validate_answer(int status, const std::string& body, std::vector<std::string>& dropped);

struct ValidatorOptions {
  std::string control_url;   // base URL; the path /api/v1/validate-device is appended
  std::string credential;    // htg_…
  std::chrono::milliseconds timeout{3000};
  bool serve_stale = true;   // unreachable_policy = cached
  std::chrono::seconds stale_for{300};
  std::string gateway_name;  // sent as X-Request-Id prefix
  int threads = 2;
};

class Validator {
 public:
  using Callback = std::function<void(const Verdict&)>;
  // Observer of every completed call (for metrics): the outcome ("allowed", "refused",
  // "unreachable", "cache_hit", "stale") and the call's duration.
  using Observer = std::function<void(const std::string& outcome, std::chrono::nanoseconds took)>;

  Validator(ValidatorOptions options, Observer observer);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Checks TOKEN (and HWID, may be empty) and runs DONE on LOOP's thread with the verdict.
  // Answers from the cache are posted too, never run inline. FRESH skips the cache (a
  // re-validation asks the control plane; its answer refreshes the cache, and the
  // unreachable policy still applies).
  void check(net::EventLoop& loop, const std::string& token, const std::string& hwid, Callback done,
             bool fresh = false);

  // Drops every cached answer (tests, and SIGHUP).
  void clear_cache();

 private:
  struct Job {
    net::EventLoop* loop;
    std::string key;
    std::string token;
    std::string hwid;
    Callback done;
  };
  struct Entry {
    Verdict verdict;
    std::chrono::steady_clock::time_point fresh_until;
    std::chrono::steady_clock::time_point stale_until;
  };

  Verdict call(const Job& job);

  ValidatorOptions options_;
  Observer observer_;
  std::mutex mutex_;  // the cache and the sequence
  std::unordered_map<std::string, Entry> cache_;
  std::uint64_t sequence_ = 0;
  BlockingPool pool_;  // last: its threads stop before the members they use go
};

}  // namespace httvps::gateway
