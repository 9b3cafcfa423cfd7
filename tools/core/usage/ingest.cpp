#include "core/usage/ingest.hpp"

#include <ctime>

#include "core/access/validate.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace httvps::usage {
namespace {

std::int64_t wall_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

cgi::Response serve_usage(admin::ApiCall& call) {
  const std::int64_t now = wall_now();
  auto gateway = access::authenticate_gateway(call.ctx, call.req, now);
  call.ctx.set_actor("gateway:" + gateway.name);
  UsageBatch batch =
      parse_usage_batch(call.req.json_body(), now, call.ctx.config().usage_retention_days * 86400);
  StoreResult r = store_batch(call.ctx.db(), gateway.id, batch);
  log::info(r.duplicate ? "usage batch repeated" : "usage batch stored",
            {{"gateway", gateway.name}, {"batch_seq", batch.batch_seq}, {"records", r.records}});
  return cgi::json_response(200, {{"batch_seq", batch.batch_seq},
                                  {"status", r.duplicate ? "duplicate" : "stored"},
                                  {"records", r.records}});
}

cgi::Response serve_heartbeat(admin::ApiCall& call) {
  const std::int64_t now = wall_now();
  auto gateway = access::authenticate_gateway(call.ctx, call.req, now);
  call.ctx.set_actor("gateway:" + gateway.name);
  Heartbeat h = parse_heartbeat(call.req.json_body(), now);
  HeartbeatResult r = store_heartbeat(call.ctx.db(), gateway.id, h);
  return cgi::json_response(200, {{"sessions", r.sessions}, {"ended", r.ended}});
}

}  // namespace

StoreResult store_batch(db::Connection& db, std::int64_t gateway_id, const UsageBatch& batch) {
  db::Transaction tx(db);
  const auto count = static_cast<long long>(batch.records.size());
  auto inserted = db.exec("usage_batch_insert", {static_cast<long long>(gateway_id),
                                                 static_cast<long long>(batch.batch_seq), count});
  StoreResult r;
  if (inserted.empty()) {
    auto stored = db.exec("usage_batch_get", {static_cast<long long>(gateway_id), static_cast<long long>(batch.batch_seq)});
    r.duplicate = true;
    r.records = stored.empty() ? 0 : stored[0].int64("record_count");
    tx.commit();
    return r;
  }
  if (!batch.records.empty()) {
    db.exec("usage_records_insert", {inserted[0].text("id"), records_for_insert(batch).dump()});
  }
  tx.commit();
  r.records = count;
  return r;
}

HeartbeatResult store_heartbeat(db::Connection& db, std::int64_t gateway_id, const Heartbeat& h) {
  db::Transaction tx(db);
  const std::string sessions = sessions_for_upsert(h).dump();
  // A heartbeat in one body is a round of its own, under a name no gateway sends.
  const std::string round = h.page ? h.page->round : crypto::random_token("single.", 16);
  HeartbeatResult r;
  r.sessions =
      db.exec("sessions_heartbeat_upsert", {static_cast<long long>(gateway_id), sessions, round}).affected();
  if (h.closes_round()) r.ended = db.exec("sessions_end_unseen", {static_cast<long long>(gateway_id), round}).affected();
  db.exec("gateway_heartbeat", {static_cast<long long>(gateway_id), h.version});
  tx.commit();
  return r;
}

void add_usage_routes(std::vector<admin::Route>& routes) {
  routes.push_back({"POST", "/api/v1/usage", false, contract::Area::kSelf, contract::Access::kWrite, serve_usage});
  routes.push_back({"POST", "/api/v1/heartbeat", false, contract::Area::kSelf, contract::Access::kWrite, serve_heartbeat});
}

}  // namespace httvps::usage
