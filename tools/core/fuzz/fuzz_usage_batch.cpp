// Fuzz target: the bodies gateways POST to /api/v1/usage and /api/v1/heartbeat, parsed as
// JSON and validated. Either a parse that keeps the documented bounds, or Failure(kUsage).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/usage/batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace httvps;
  constexpr std::int64_t kNow = 1795352405;
  auto body = nlohmann::json::parse(data, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  try {
    auto b = usage::parse_usage_batch(body, kNow, 7 * 86400);
    if (b.records.size() > usage::kMaxRecords || b.batch_seq < 0) __builtin_trap();
    for (const auto& r : b.records) {
      if (r.upload < 0 || r.upload > usage::kMaxBytes || r.download < 0 || r.download > usage::kMaxBytes) __builtin_trap();
      if (r.device_id < 1 || r.user_id < 1 || r.session.empty() || r.session.size() > 128) __builtin_trap();
      if (r.observed_at > kNow + usage::kMaxFutureSeconds) __builtin_trap();
    }
    (void)usage::records_for_insert(b).dump();
  } catch (const Failure& f) {
    if (f.code() != ExitCode::kUsage || f.field().empty()) __builtin_trap();
  }
  try {
    auto h = usage::parse_heartbeat(body, kNow);
    if (h.sessions.size() > usage::kMaxSessions) __builtin_trap();
    if (h.page && (h.page->round.empty() || h.page->round.size() > 64 || h.page->count < 1 ||
                   h.page->count > usage::kMaxHeartbeatPages || h.page->index < 0 || h.page->index >= h.page->count)) {
      __builtin_trap();
    }
    (void)usage::sessions_for_upsert(h).dump();
  } catch (const Failure& f) {
    if (f.code() != ExitCode::kUsage || f.field().empty()) __builtin_trap();
  }
  return 0;
}
