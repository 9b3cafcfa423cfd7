#pragma once
// The bodies gateways POST to /api/v1/usage and /api/v1/heartbeat, parsed and validated
// into plain values. Pure functions of the JSON and the clock: every refusal is a
// Failure(kUsage) naming the member at fault ("records[3].upload"), and nothing is
// stored unless the whole body is valid. The wire contract is docs/api.md.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace httvps::usage {

inline constexpr std::size_t kMaxRecords = 5000;      // per usage batch
inline constexpr std::size_t kMaxSessions = 100000;   // per heartbeat
inline constexpr std::int64_t kMaxBytes = 1LL << 40;  // per record and direction
inline constexpr std::int64_t kMaxFutureSeconds = 300;

struct UsageRecord {
  std::string session;
  std::int64_t device_id = 0;
  std::int64_t user_id = 0;
  std::optional<std::int64_t> node_id;  // nullopt: the gateway's direct/echo upstream
  std::int64_t observed_at = 0;         // Unix seconds, end of the metered interval
  std::int64_t upload = 0;
  std::int64_t download = 0;
};

struct UsageBatch {
  std::int64_t batch_seq = 0;
  std::optional<std::int64_t> sent_at;
  std::vector<UsageRecord> records;
};

// Parses a usage batch received at NOW. Records observed more than kMaxFutureSeconds
// after NOW, or more than RETENTION_SECONDS before it, are refused.
UsageBatch parse_usage_batch(const nlohmann::json& body, std::int64_t now, std::int64_t retention_seconds);

// The records as the JSON array the bulk insert reads (jsonb_to_recordset). Pure.
nlohmann::json records_for_insert(const UsageBatch& batch);

struct LiveSession {
  std::string session;
  std::int64_t device_id = 0;
  std::int64_t user_id = 0;
  std::optional<std::int64_t> node_id;
  std::optional<std::string> client_addr;
  std::int64_t started_at = 0;
  std::int64_t upload = 0;  // live counters since the session started (informational)
  std::int64_t download = 0;
};

inline constexpr std::int64_t kMaxHeartbeatPages = 1000;

// One page of a heartbeat sent in several (a gateway with more sessions than one body
// holds): every page of a round carries the same ROUND; the pages come in INDEX order and
// the last one (INDEX == COUNT - 1) closes the round.
struct HeartbeatPage {
  std::string round;  // 1 to 64 of [A-Za-z0-9_-]
  std::int64_t index = 0;
  std::int64_t count = 1;
};

struct Heartbeat {
  std::string version;
  std::vector<LiveSession> sessions;
  std::optional<HeartbeatPage> page;  // none: the whole heartbeat in this one body
  // Whether this body closes its round: sessions of the gateway that the round did not
  // name have ended.
  bool closes_round() const { return !page || page->index == page->count - 1; }
};

// Parses a heartbeat received at NOW; session keys must be unique in it.
Heartbeat parse_heartbeat(const nlohmann::json& body, std::int64_t now);

// The sessions as the JSON array the upsert reads. Pure.
nlohmann::json sessions_for_upsert(const Heartbeat& heartbeat);

}  // namespace httvps::usage
