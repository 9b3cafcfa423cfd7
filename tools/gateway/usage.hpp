#pragma once
// Metering and limits shared by every session of a gateway process, on every thread
// (docs/usage-accounting.md).
//
//   - A UserAccount holds what is left of a user's quota on this gateway, in milli-bytes
//     of billed usage (raw bytes × the node's usage multiplier, which has three decimals,
//     so the arithmetic is exact in integers). Streams take budget from it before they
//     move bytes, so a quota stops traffic at the byte.
//   - A DeviceAccount holds the device's two token buckets (the plan's speed limit, each
//     direction on its own).
//   - A SessionMeter counts a session's bytes per node; the reporter collects the deltas
//     into usage batches.
//
// The control plane learns usage only from acknowledged batches, so a fresh
// validate-device answer is adjusted by what this gateway has metered but not yet had
// acknowledged (apply_answer). Every member is thread-safe and noexcept.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace httvps::gateway {

using UsageClock = std::chrono::steady_clock;

inline constexpr std::int64_t kMilli = 1000;  // multiplier 1.0

// A token bucket of bytes. Not thread-safe: its owner locks.
class TokenBucket {
 public:
  // RATE bytes per second; the burst is a twentieth of a second of it, at least 16 KiB.
  void configure(std::int64_t rate, UsageClock::time_point now) noexcept;
  std::int64_t rate() const noexcept { return rate_; }
  // Grants up to WANT bytes; zero when fewer than min(WANT, 4 KiB) are available (so a
  // refill does not turn into a stream of tiny frames).
  std::size_t take(std::size_t want, UsageClock::time_point now) noexcept;
  void give_back(std::size_t n) noexcept;
  // How long until take(WANT) can grant something.
  std::chrono::nanoseconds wait_for(std::size_t want, UsageClock::time_point now) noexcept;

 private:
  void refill(UsageClock::time_point now) noexcept;

  std::int64_t rate_ = 0;
  double tokens_ = 0;
  double burst_ = 0;
  UsageClock::time_point last_{};
};

struct UserAccount {
  std::mutex mutex;
  bool limited = false;             // the plan has a data limit
  std::int64_t remaining_milli = 0;  // what is left on this gateway (when limited)
  std::int64_t unacked_milli = 0;    // billed here, not yet acknowledged by the control plane
  // Acknowledgements of the last minutes (when, how much): what was acknowledged while a
  // validation was on its way may or may not be in its answer.
  std::deque<std::pair<UsageClock::time_point, std::int64_t>> recent_acks;
  bool answered = false;             // a fresh answer has been applied
  UsageClock::time_point last_used{};
};

struct DeviceAccount {
  std::mutex mutex;
  std::optional<TokenBucket> to_endpoint;    // upload
  std::optional<TokenBucket> from_endpoint;  // download
};

struct Counts {
  std::int64_t upload = 0;
  std::int64_t download = 0;
};

// One usage record, as POST /api/v1/usage carries it.
struct UsageRecord {
  std::string session;
  std::int64_t device_id = 0;
  std::int64_t user_id = 0;
  std::optional<std::int64_t> node_id;  // nullopt: the direct, echo or discard upstream
  std::int64_t multiplier_milli = kMilli;
  std::int64_t observed_at = 0;  // unix seconds
  Counts bytes;
};

// One live session, as POST /api/v1/heartbeat carries it.
struct SessionInfo {
  std::string session;
  std::int64_t device_id = 0;
  std::int64_t user_id = 0;
  std::optional<std::int64_t> node_id;
  std::string client_addr;
  std::int64_t started_at = 0;
  Counts total;
};

class MeterFile;
struct MeterSlot;
struct SlotMark;

// One session's counters: a slot of the meter file per (node, multiplier) it used.
class SessionMeter {
 public:
  SessionMeter(MeterFile& file, std::string key, std::int64_t device_id, std::int64_t user_id,
               std::string client_addr, std::int64_t started_at) noexcept;
  ~SessionMeter();

  // Makes sure NODE (0: direct) has a slot before bytes flow; false when the meter file
  // is full. Called on the session's thread, like add().
  bool reserve(std::int64_t node_id, std::int64_t multiplier_milli) noexcept;
  // Counts bytes (after reserve() for this node and multiplier).
  void add(std::int64_t node_id, std::int64_t multiplier_milli, std::int64_t upload, std::int64_t download) noexcept;
  void end() noexcept;

  SessionInfo info() const noexcept;
  const std::string& key() const noexcept { return key_; }
  bool ended() const noexcept;

 private:
  struct Entry {
    std::int64_t node_id;
    std::int64_t multiplier_milli;
    MeterSlot* slot;
  };
  MeterSlot* find(std::int64_t node_id, std::int64_t multiplier_milli) const noexcept;

  MeterFile& file_;
  const std::string key_;
  const std::int64_t device_id_;
  const std::int64_t user_id_;
  const std::string client_addr_;
  const std::int64_t started_at_;
  mutable std::mutex mutex_;  // entries_ changes (the heartbeat reads it from another thread)
  std::vector<Entry> entries_;
  std::int64_t last_node_ = 0;
  bool ended_ = false;
};

// Limits of a validate-device answer.
struct AnswerLimits {
  std::optional<std::int64_t> bytes_remaining;  // nullopt: unlimited
  std::optional<std::int64_t> speed_limit_bps;
};

class Ledger {
 public:
  // Counters live in METERS (a crash-safe file); without one, in anonymous memory.
  explicit Ledger(std::unique_ptr<MeterFile> meters = nullptr);
  ~Ledger();
  MeterFile& meters() noexcept { return *meters_; }

  std::shared_ptr<UserAccount> user(std::int64_t user_id) noexcept;
  std::shared_ptr<DeviceAccount> device(std::int64_t device_id) noexcept;

  // Applies an answer's limits. A FRESH answer (asked at ASKED_AT, not from the gateway's
  // cache) sets the remaining quota to its bytes_remaining less what this gateway metered
  // and has not had acknowledged, and less what was acknowledged since ASKED_AT (the
  // answer may or may not count those: the safe side). A cached answer only sets up an
  // account that has none yet. Returns the remaining billed bytes (nullopt: unlimited).
  std::optional<std::int64_t> apply_answer(std::int64_t user_id, std::int64_t device_id, const AnswerLimits& limits,
                                           bool fresh, UsageClock::time_point asked_at,
                                           UsageClock::time_point now) noexcept;

  // Batches acknowledged by the control plane: their billed bytes leave "unacked".
  void acknowledged(const std::vector<UsageRecord>& records, UsageClock::time_point now) noexcept;

  std::shared_ptr<SessionMeter> open_session(std::string key, std::int64_t device_id, std::int64_t user_id,
                                             std::string client_addr, std::int64_t started_at) noexcept;
  // Every slot's delta since the last commit, and the marks to commit once spooled.
  void collect(std::int64_t observed_at, std::vector<UsageRecord>& records, std::vector<SlotMark>& marks,
               std::vector<SlotMark>& spent) noexcept;
  void commit(const std::vector<SlotMark>& marks) noexcept;
  std::vector<SessionInfo> live_sessions() const noexcept;

  // Forgets accounts unused for IDLE that hold nothing unacknowledged.
  void prune(UsageClock::time_point now, std::chrono::seconds idle) noexcept;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, std::shared_ptr<UserAccount>> users_;
  std::unordered_map<std::int64_t, std::shared_ptr<DeviceAccount>> devices_;
  std::vector<std::weak_ptr<SessionMeter>> sessions_;
  std::unique_ptr<MeterFile> meters_;
};

// floor(raw × multiplier): the billed bytes of one record, as aggregate-usage computes them.
std::int64_t billed_bytes(const UsageRecord& record) noexcept;

// The multiplier of a validate-device node ("usage_multiplier": 1.5) in thousandths,
// clamped to the data model's (0, 100]; nullopt for anything else.
std::optional<std::int64_t> multiplier_milli(double multiplier) noexcept;

}  // namespace httvps::gateway
