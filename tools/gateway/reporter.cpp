#include "gateway/reporter.hpp"

#include "gateway/http_timeouts.hpp"

#include "core/log.hpp"
#include "core/units.hpp"

namespace httvps::gateway {

namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kMaxBackoff = std::chrono::milliseconds(60000);

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Json records_json(const std::vector<UsageRecord>& records) {
  Json out = Json::array();
  for (const auto& r : records) {
    Json rec = {{"session", r.session},
                {"device_id", r.device_id},
                {"user_id", r.user_id},
                {"node_id", r.node_id ? Json(*r.node_id) : Json(nullptr)},
                {"observed_at", units::format_timestamp(r.observed_at)},
                {"upload", r.bytes.upload},
                {"download", r.bytes.download}};
    out.push_back(std::move(rec));
  }
  return out;
}

Json heartbeat_json(const std::vector<SessionInfo>& sessions, const std::string& version) {
  Json list = Json::array();
  for (const auto& s : sessions) {
    list.push_back({{"session", s.session},
                    {"device_id", s.device_id},
                    {"user_id", s.user_id},
                    {"node_id", s.node_id ? Json(*s.node_id) : Json(nullptr)},
                    {"client_addr", s.client_addr},
                    {"started_at", units::format_timestamp(s.started_at)},
                    {"upload", s.total.upload},
                    {"download", s.total.download}});
  }
  return {{"version", version}, {"sessions", std::move(list)}};
}

std::vector<Json> heartbeat_bodies(const std::vector<SessionInfo>& sessions, const std::string& version,
                                   std::size_t page_size, const std::string& round) {
  if (page_size == 0) page_size = 1;
  if (sessions.size() <= page_size) return {heartbeat_json(sessions, version)};
  const std::size_t count = (sessions.size() + page_size - 1) / page_size;
  std::vector<Json> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const auto first = sessions.begin() + static_cast<std::ptrdiff_t>(i * page_size);
    const auto last = sessions.begin() + static_cast<std::ptrdiff_t>(std::min(sessions.size(), (i + 1) * page_size));
    Json body = heartbeat_json(std::vector<SessionInfo>(first, last), version);
    body["page"] = {{"round", round}, {"index", i}, {"count", count}};
    out.push_back(std::move(body));
  }
  return out;
}

std::vector<UsageRecord> records_of(const SpooledBatch& batch) {
  std::vector<UsageRecord> out;
  auto records = batch.body.find("records");
  if (records == batch.body.end() || !records->is_array()) return out;
  std::size_t i = 0;
  for (const auto& rec : *records) {
    std::size_t index = i++;
    if (!rec.is_object()) continue;
    auto user = rec.find("user_id");
    auto up = rec.find("upload");
    auto down = rec.find("download");
    if (user == rec.end() || up == rec.end() || down == rec.end() || !user->is_number_integer() ||
        !up->is_number_integer() || !down->is_number_integer()) {
      continue;
    }
    UsageRecord r;
    r.user_id = user->get<std::int64_t>();
    r.bytes.upload = up->get<std::int64_t>();
    r.bytes.download = down->get<std::int64_t>();
    r.multiplier_milli = index < batch.milli.size() ? batch.milli[index] : kMilli;
    out.push_back(r);
  }
  return out;
}

Reporter::Reporter(ReporterOptions options, Ledger& ledger, Metrics& metrics)
    : options_(std::move(options)), ledger_(ledger), metrics_(metrics) {}

Reporter::~Reporter() { stop(); }

bool Reporter::start(std::string& error) {
  std::vector<std::string> warnings;
  spool_ = Spool::open(options_.spool_dir, error, warnings);
  for (const auto& w : warnings) log::warn("usage spool", {{"warning", w}});
  if (!spool_) return false;
  std::size_t records = 0;
  for (const auto& b : spool_->pending()) {
    // Spooled before a restart and not yet acknowledged: the control plane does not know
    // these bytes, so quotas count them here.
    auto parsed = records_of(b);
    records += parsed.size();
    for (const auto& r : parsed) {
      auto account = ledger_.user(r.user_id);
      std::lock_guard lock(account->mutex);
      account->unacked_milli += (r.bytes.upload + r.bytes.download) * r.multiplier_milli;
    }
  }
  if (!spool_->pending().empty()) {
    log::info("replaying spooled usage batches",
              {{"batches", spool_->pending().size()}, {"records", records}, {"spool", options_.spool_dir}});
  }
  // What the last process metered and did not spool (a crash): the meter file still has it.
  std::vector<SlotMark> marks;
  for (const auto& b : spool_->pending()) marks.insert(marks.end(), b.marks.begin(), b.marks.end());
  std::vector<UsageRecord> residue;
  std::vector<SlotMark> residue_marks;
  std::vector<SlotMark> spent;
  ledger_.meters().recover(marks, unix_now(), residue, residue_marks, spent);
  if (!residue.empty()) {
    std::int64_t bytes = 0;
    for (const auto& r : residue) bytes += r.bytes.upload + r.bytes.download;
    log::warn("recovered usage metered before a crash and not yet spooled",
              {{"records", residue.size()}, {"bytes", bytes}});
    for (const auto& r : residue) {
      auto account = ledger_.user(r.user_id);
      std::lock_guard lock(account->mutex);
      account->unacked_milli += (r.bytes.upload + r.bytes.download) * r.multiplier_milli;
    }
  }
  if (!spool_records(std::move(residue), std::move(residue_marks), std::move(spent))) {
    error = "cannot spool the usage recovered from the meter file";
    return false;
  }
  metrics_.spool_pending.store(static_cast<std::int64_t>(spool_->pending().size()));
  next_heartbeat_ = SteadyClock::now();
  thread_ = std::thread([this] { run(); });
  return true;
}

void Reporter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reporter::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    bool final = stopping_;
    lock.unlock();
    tick(final);
    lock.lock();
  }
}

void Reporter::tick(bool final) {
  std::vector<UsageRecord> records;
  std::vector<SlotMark> marks;
  std::vector<SlotMark> spent;
  ledger_.collect(unix_now(), records, marks, spent);
  spool_records(std::move(records), std::move(marks), std::move(spent));
  auto now = SteadyClock::now();
  if (final || now >= next_send_) {
    if (send_pending()) {
      backoff_ = std::chrono::milliseconds(0);
    } else {
      backoff_ = std::min(kMaxBackoff, std::max(options_.interval, backoff_ * 2));
      next_send_ = now + backoff_;
    }
  }
  if (!final && now >= next_heartbeat_) {
    send_heartbeat();
    next_heartbeat_ = now + options_.heartbeat;
  }
  ledger_.prune(now, std::chrono::seconds(900));
}

bool Reporter::spool_records(std::vector<UsageRecord> records, std::vector<SlotMark> marks,
                             std::vector<SlotMark> spent) {
  bool ok = true;
  for (std::size_t start = 0; start < records.size(); start += options_.max_records) {
    std::size_t end = std::min(records.size(), start + options_.max_records);
    auto from = static_cast<std::ptrdiff_t>(start);
    auto to = static_cast<std::ptrdiff_t>(end);
    std::vector<UsageRecord> part(records.begin() + from, records.begin() + to);
    std::vector<SlotMark> part_marks(marks.begin() + from, marks.begin() + to);
    std::vector<std::int64_t> milli;
    for (const auto& r : part) milli.push_back(r.multiplier_milli);
    std::string error;
    if (!spool_->append(records_json(part), std::move(milli), part_marks, unix_now(), error)) {
      // The counts stay in the meter file and are tried again on the next tick.
      metrics_.spool_failures.fetch_add(1, std::memory_order_relaxed);
      log::error("usage could not be spooled; kept in the meter file for the next attempt",
                 {{"error", error}, {"records", part.size()}});
      ok = false;
      continue;
    }
    ledger_.commit(part_marks);
    metrics_.usage_records.fetch_add(part.size(), std::memory_order_relaxed);
  }
  ledger_.commit(spent);
  metrics_.spool_pending.store(static_cast<std::int64_t>(spool_->pending().size()));
  metrics_.spool_bytes.store(static_cast<std::int64_t>(spool_->file_bytes()));
  return ok;
}

bool Reporter::send_pending() {
  while (!spool_->pending().empty()) {
    const SpooledBatch& b = spool_->pending().front();
    std::string failure;
    auto answer = post("/api/v1/usage", b.body.dump(), failure);
    std::string rejection;
    if (!answer) {
      metrics_.usage_batch("failed");
      log::warn("usage batch not delivered; kept in the spool",
                {{"batch_seq", b.seq}, {"error", failure}, {"pending", spool_->pending().size()}});
      return false;
    }
    auto [status, body] = *answer;
    if (status == 200) {
      Json doc = Json::parse(body, nullptr, false);
      std::string outcome = doc.is_object() && doc.contains("status") && doc["status"].is_string()
                                ? doc["status"].get<std::string>()
                                : "stored";
      metrics_.usage_batch(outcome == "duplicate" ? "duplicate" : "stored");
      ledger_.acknowledged(records_of(b), SteadyClock::now());
    } else if (status == 400 || status == 413) {
      Json doc = Json::parse(body, nullptr, false);
      rejection = doc.is_object() && doc.contains("detail") && doc["detail"].is_string()
                      ? doc["detail"].get<std::string>()
                      : "refused with " + std::to_string(status);
      metrics_.usage_batch("rejected");
      ledger_.acknowledged(records_of(b), SteadyClock::now());  // it will never count: stop holding it against the quota
      log::error("the control plane refused a usage batch; kept in rejected.jsonl",
                 {{"batch_seq", b.seq}, {"status", status}, {"error", rejection}});
    } else {
      metrics_.usage_batch("failed");
      log::warn("usage batch not accepted now; kept in the spool", {{"batch_seq", b.seq}, {"status", status}});
      return false;
    }
    std::string error;
    if (!spool_->finish_front(rejection, error)) {
      log::error("usage spool", {{"error", error}});
      return false;
    }
    metrics_.spool_pending.store(static_cast<std::int64_t>(spool_->pending().size()));
    metrics_.spool_bytes.store(static_cast<std::int64_t>(spool_->file_bytes()));
  }
  return true;
}

void Reporter::send_heartbeat() {
  // A round name unique to this gateway: the time in microseconds.
  const std::string round =
      "r" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
  const auto bodies = heartbeat_bodies(ledger_.live_sessions(), options_.version, options_.heartbeat_page, round);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    std::string failure;
    auto answer = post("/api/v1/heartbeat", bodies[i].dump(), failure);
    if (!answer || answer->first != 200) {
      // The round stays open (only its last page ends sessions); the next heartbeat is a
      // new round.
      metrics_.heartbeat_failures.fetch_add(1, std::memory_order_relaxed);
      log::warn("heartbeat not delivered", {{"error", answer ? "status " + std::to_string(answer->first) : failure},
                                            {"page", i},
                                            {"pages", bodies.size()}});
      return;
    }
  }
}

std::optional<std::pair<int, std::string>> Reporter::post(const std::string& path, const std::string& body,
                                                          std::string& failure) {
  try {
    httplib::Client client(options_.control_url);
    set_timeouts(client, options_.timeout);
    httplib::Headers headers = {{"Authorization", "Bearer " + options_.credential},
                                {"X-Request-Id", options_.gateway_name + "-usage"}};
    auto result = client.Post(path, headers, body, "application/json");
    if (!result) {
      failure = "cannot reach " + options_.control_url + ": " + httplib::to_string(result.error());
      return std::nullopt;
    }
    return std::make_pair(result->status, result->body);
  } catch (const std::exception& e) {
    failure = e.what();
    return std::nullopt;
  }
}

}  // namespace httvps::gateway
