#pragma once
// The gateway's usage reporter: one thread that, every gateway.usage_interval_ms,
// collects the sessions' byte counts into batches, spools each batch (fsync) and then
// sends what is pending, oldest first, to POST /api/v1/usage; and every
// gateway.heartbeat_seconds reports the live sessions to POST /api/v1/heartbeat, in pages
// of heartbeat_page sessions when there are more (docs/usage-accounting.md).
//
// Delivery: a batch leaves the spool only when the control plane answers 200 ("stored"
// or "duplicate"). A 400 or 413 is final: the batch is kept in rejected.jsonl and logged.
// Anything else (unreachable, 5xx, 401, 403, 429) keeps it, and sending stops until the
// next attempt, with a backoff that doubles up to a minute.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/metrics.hpp"
#include "gateway/spool.hpp"
#include "gateway/usage.hpp"

namespace httvps::gateway {

struct ReporterOptions {
  std::string control_url;
  std::string credential;
  std::string spool_dir;
  std::string gateway_name;
  std::string version;
  std::chrono::milliseconds interval{2000};
  std::chrono::seconds heartbeat{30};
  std::chrono::milliseconds timeout{5000};
  std::size_t max_records = 5000;  // per batch, the control plane's limit
  // Sessions per heartbeat body: about 200 bytes each, so a page stays well under the
  // control plane's default body limit (cgi.max_body_bytes, 1 MiB).
  std::size_t heartbeat_page = 2000;
};

// The JSON records of a batch and their multipliers. Pure.
nlohmann::json records_json(const std::vector<UsageRecord>& records);
nlohmann::json heartbeat_json(const std::vector<SessionInfo>& sessions, const std::string& version);
// The heartbeat as the bodies to send, in order: one body when the sessions fit in
// PAGE_SIZE, else pages of PAGE_SIZE sessions, each with {"page": {ROUND, index, count}}
// (docs/api.md). Pure.
std::vector<nlohmann::json> heartbeat_bodies(const std::vector<SessionInfo>& sessions, const std::string& version,
                                             std::size_t page_size, const std::string& round);

// The records of a spooled batch, for the ledger's acknowledgements. Pure; records that do
// not parse are skipped.
std::vector<UsageRecord> records_of(const SpooledBatch& batch);

class Reporter {
 public:
  Reporter(ReporterOptions options, Ledger& ledger, Metrics& metrics);
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Opens the spool (its pending batches count as unacknowledged usage) and starts the
  // thread. False with ERROR when the spool cannot be used.
  bool start(std::string& error);
  // Collects and spools the last counts, tries once to send what is pending, and stops.
  void stop();

 private:
  void run();
  void tick(bool final);
  // Spools RECORDS (MARKS[i] with RECORDS[i]) and commits their marks; SPENT marks free
  // ended slots. False when the disk refused a batch (its counts stay in the meter file).
  bool spool_records(std::vector<UsageRecord> records, std::vector<SlotMark> marks, std::vector<SlotMark> spent);
  // Sends pending batches in order; false when one could not be delivered.
  bool send_pending();
  void send_heartbeat();
  std::optional<std::pair<int, std::string>> post(const std::string& path, const std::string& body,
                                                   std::string& failure);

  ReporterOptions options_;
  Ledger& ledger_;
  Metrics& metrics_;
  std::optional<Spool> spool_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_send_{};
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_heartbeat_{};
};

}  // namespace httvps::gateway
