#pragma once
// POST /api/v1/usage and POST /api/v1/heartbeat: what gateways report, stored. Both are
// routes of the httvps CGI, authenticated like validate-device (access::authenticate_gateway).
// The contract is docs/api.md ("Usage ingestion").

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/admin/api_routes.hpp"
#include "core/db.hpp"
#include "core/usage/batch.hpp"

namespace httvps::usage {

struct StoreResult {
  bool duplicate = false;  // (gateway, batch_seq) was stored before: nothing stored now
  std::int64_t records = 0;  // the records of the stored batch (the first one, on a duplicate)
};

// Stores BATCH of GATEWAY_ID in one transaction: the batch row, then every record in one
// statement. A repeated (gateway, batch_seq) stores nothing and reports the first batch.
StoreResult store_batch(db::Connection& db, std::int64_t gateway_id, const UsageBatch& batch);

struct HeartbeatResult {
  std::int64_t sessions = 0;  // sessions upserted (those of existing devices)
  std::int64_t ended = 0;     // open sessions of the gateway absent from the list, now ended
};

// Applies a heartbeat of GATEWAY_ID in one transaction.
HeartbeatResult store_heartbeat(db::Connection& db, std::int64_t gateway_id, const Heartbeat& heartbeat);

// Appends the two routes (unauthenticated as admin routes: they check the gateway's
// credential themselves) to the httvps CGI's route table.
void add_usage_routes(std::vector<admin::Route>& routes);

}  // namespace httvps::usage
