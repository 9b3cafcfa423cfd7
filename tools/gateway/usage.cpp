#include "gateway/usage.hpp"

#include "gateway/meter_file.hpp"

#include <algorithm>
#include <cmath>

namespace httvps::gateway {

namespace {

constexpr double kMinBurst = 16 * 1024;
constexpr std::size_t kMinGrant = 4 * 1024;

}  // namespace

// ---- TokenBucket ----------------------------------------------------------------------------

void TokenBucket::configure(std::int64_t rate, UsageClock::time_point now) noexcept {
  refill(now);
  rate_ = std::max<std::int64_t>(rate, 1);
  burst_ = std::max(kMinBurst, static_cast<double>(rate_) / 20.0);
  if (last_ == UsageClock::time_point{}) tokens_ = burst_;
  tokens_ = std::min(tokens_, burst_);
  last_ = now;
}

void TokenBucket::refill(UsageClock::time_point now) noexcept {
  if (last_ == UsageClock::time_point{} || now <= last_) return;
  double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + seconds * static_cast<double>(rate_));
  last_ = now;
}

std::size_t TokenBucket::take(std::size_t want, UsageClock::time_point now) noexcept {
  if (want == 0) return 0;
  refill(now);
  double floor = static_cast<double>(std::min(want, kMinGrant));
  if (tokens_ < floor) return 0;
  auto grant = static_cast<std::size_t>(std::min(tokens_, static_cast<double>(want)));
  tokens_ -= static_cast<double>(grant);
  return grant;
}

void TokenBucket::give_back(std::size_t n) noexcept { tokens_ = std::min(burst_, tokens_ + static_cast<double>(n)); }

std::chrono::nanoseconds TokenBucket::wait_for(std::size_t want, UsageClock::time_point now) noexcept {
  refill(now);
  double need = static_cast<double>(std::min(std::max<std::size_t>(want, 1), kMinGrant)) - tokens_;
  if (need <= 0) return std::chrono::nanoseconds(0);
  double seconds = need / static_cast<double>(rate_);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(seconds * 1e9)));
}

// ---- SessionMeter ---------------------------------------------------------------------------

SessionMeter::SessionMeter(MeterFile& file, std::string key, std::int64_t device_id, std::int64_t user_id,
                           std::string client_addr, std::int64_t started_at) noexcept
    : file_(file),
      key_(std::move(key)),
      device_id_(device_id),
      user_id_(user_id),
      client_addr_(std::move(client_addr)),
      started_at_(started_at) {}

SessionMeter::~SessionMeter() { end(); }

MeterSlot* SessionMeter::find(std::int64_t node_id, std::int64_t multiplier_milli) const noexcept {
  for (const auto& e : entries_) {
    if (e.node_id == node_id && e.multiplier_milli == multiplier_milli) return e.slot;
  }
  return nullptr;
}

bool SessionMeter::reserve(std::int64_t node_id, std::int64_t multiplier_milli) noexcept {
  if (find(node_id, multiplier_milli) != nullptr) return true;
  MeterSlot* slot = file_.acquire(key_, device_id_, user_id_, node_id, multiplier_milli);
  if (slot == nullptr) return false;
  std::lock_guard lock(mutex_);
  entries_.push_back({node_id, multiplier_milli, slot});
  return true;
}

void SessionMeter::add(std::int64_t node_id, std::int64_t multiplier_milli, std::int64_t upload,
                       std::int64_t download) noexcept {
  MeterSlot* slot = find(node_id, multiplier_milli);
  if (slot == nullptr) {
    if (!reserve(node_id, multiplier_milli)) return;  // unreachable: streams reserve first
    slot = find(node_id, multiplier_milli);
  }
  // One writer per slot (this session's thread): plain stores the reporter can read.
  if (upload) slot->upload.store(slot->upload.load(std::memory_order_relaxed) + upload, std::memory_order_relaxed);
  if (download) {
    slot->download.store(slot->download.load(std::memory_order_relaxed) + download, std::memory_order_relaxed);
  }
  last_node_ = node_id;
}

void SessionMeter::end() noexcept {
  std::lock_guard lock(mutex_);
  if (ended_) return;
  ended_ = true;
  for (auto& e : entries_) file_.end(e.slot);
}

bool SessionMeter::ended() const noexcept {
  std::lock_guard lock(mutex_);
  return ended_;
}

SessionInfo SessionMeter::info() const noexcept {
  std::lock_guard lock(mutex_);
  SessionInfo s;
  s.session = key_;
  s.device_id = device_id_;
  s.user_id = user_id_;
  if (last_node_ != 0) s.node_id = last_node_;
  s.client_addr = client_addr_;
  s.started_at = started_at_;
  for (const auto& e : entries_) {
    s.total.upload += e.slot->upload.load(std::memory_order_relaxed);
    s.total.download += e.slot->download.load(std::memory_order_relaxed);
  }
  return s;
}

// ---- Ledger ---------------------------------------------------------------------------------

Ledger::Ledger(std::unique_ptr<MeterFile> meters) : meters_(std::move(meters)) {
  if (!meters_) {
    std::string error;
    meters_ = MeterFile::open("", 4096, error);
    if (!meters_) std::terminate();  // anonymous memory refused: nothing can work
  }
}

Ledger::~Ledger() = default;

std::shared_ptr<UserAccount> Ledger::user(std::int64_t user_id) noexcept {
  std::lock_guard lock(mutex_);
  auto& slot = users_[user_id];
  if (!slot) slot = std::make_shared<UserAccount>();
  return slot;
}

std::shared_ptr<DeviceAccount> Ledger::device(std::int64_t device_id) noexcept {
  std::lock_guard lock(mutex_);
  auto& slot = devices_[device_id];
  if (!slot) slot = std::make_shared<DeviceAccount>();
  return slot;
}

std::optional<std::int64_t> Ledger::apply_answer(std::int64_t user_id, std::int64_t device_id,
                                                 const AnswerLimits& limits, bool fresh,
                                                 UsageClock::time_point asked_at,
                                                 UsageClock::time_point now) noexcept {
  auto account = user(user_id);
  std::optional<std::int64_t> remaining;
  {
    std::lock_guard lock(account->mutex);
    account->last_used = now;
    if (fresh || !account->answered) {
      account->answered = account->answered || fresh;
      account->limited = limits.bytes_remaining.has_value();
      if (account->limited) {
        std::int64_t answer = std::max<std::int64_t>(*limits.bytes_remaining, 0);
        std::int64_t in_flight = 0;
        for (const auto& [when, milli] : account->recent_acks) {
          if (when >= asked_at) in_flight += milli;
        }
        std::int64_t milli = answer > INT64_MAX / kMilli ? INT64_MAX : answer * kMilli;
        account->remaining_milli = std::max<std::int64_t>(milli - account->unacked_milli - in_flight, 0);
      }
    }
    if (account->limited) remaining = account->remaining_milli / kMilli;
  }
  auto dev = device(device_id);
  std::lock_guard lock(dev->mutex);
  if (limits.speed_limit_bps && *limits.speed_limit_bps > 0) {
    std::int64_t rate = std::max<std::int64_t>(*limits.speed_limit_bps / 8, 1);
    if (!dev->to_endpoint) dev->to_endpoint.emplace();
    if (!dev->from_endpoint) dev->from_endpoint.emplace();
    if (dev->to_endpoint->rate() != rate) dev->to_endpoint->configure(rate, now);
    if (dev->from_endpoint->rate() != rate) dev->from_endpoint->configure(rate, now);
  } else if (fresh) {
    dev->to_endpoint.reset();
    dev->from_endpoint.reset();
  }
  return remaining;
}

void Ledger::acknowledged(const std::vector<UsageRecord>& records, UsageClock::time_point now) noexcept {
  std::unordered_map<std::int64_t, std::int64_t> per_user;
  for (const auto& r : records) per_user[r.user_id] += (r.bytes.upload + r.bytes.download) * r.multiplier_milli;
  for (const auto& [user_id, milli] : per_user) {
    auto account = user(user_id);
    std::lock_guard lock(account->mutex);
    account->unacked_milli = std::max<std::int64_t>(account->unacked_milli - milli, 0);
    account->recent_acks.emplace_back(now, milli);
    while (!account->recent_acks.empty() && now - account->recent_acks.front().first > std::chrono::minutes(5)) {
      account->recent_acks.pop_front();
    }
  }
}

std::shared_ptr<SessionMeter> Ledger::open_session(std::string key, std::int64_t device_id, std::int64_t user_id,
                                                   std::string client_addr, std::int64_t started_at) noexcept {
  auto meter = std::make_shared<SessionMeter>(*meters_, std::move(key), device_id, user_id, std::move(client_addr),
                                              started_at);
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [](const std::weak_ptr<SessionMeter>& w) { return w.expired(); });
  sessions_.push_back(meter);
  return meter;
}

void Ledger::collect(std::int64_t observed_at, std::vector<UsageRecord>& records, std::vector<SlotMark>& marks,
                     std::vector<SlotMark>& spent) noexcept {
  meters_->collect(observed_at, records, marks, spent);
}

void Ledger::commit(const std::vector<SlotMark>& marks) noexcept { meters_->commit(marks); }

std::vector<SessionInfo> Ledger::live_sessions() const noexcept {
  std::vector<std::shared_ptr<SessionMeter>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (const auto& w : sessions_) {
      if (auto s = w.lock(); s && !s->ended()) sessions.push_back(std::move(s));
    }
  }
  std::vector<SessionInfo> out;
  out.reserve(sessions.size());
  for (const auto& s : sessions) out.push_back(s->info());
  return out;
}

void Ledger::prune(UsageClock::time_point now, std::chrono::seconds idle) noexcept {
  std::lock_guard lock(mutex_);
  std::erase_if(users_, [&](const auto& entry) {
    if (entry.second.use_count() > 1) return false;
    std::lock_guard account_lock(entry.second->mutex);
    return entry.second->unacked_milli == 0 && now - entry.second->last_used > idle;
  });
  std::erase_if(devices_, [&](const auto& entry) { return entry.second.use_count() == 1; });
}

std::int64_t billed_bytes(const UsageRecord& record) noexcept {
  std::int64_t raw = record.bytes.upload + record.bytes.download;
  // raw < 2^41 and multiplier ≤ 100000: the product fits.
  return raw * record.multiplier_milli / kMilli;
}

std::optional<std::int64_t> multiplier_milli(double multiplier) noexcept {
  if (!std::isfinite(multiplier) || multiplier <= 0 || multiplier > 100) return std::nullopt;
  auto milli = static_cast<std::int64_t>(std::llround(multiplier * 1000.0));
  if (milli < 1) return std::nullopt;
  return milli;
}

}  // namespace httvps::gateway
