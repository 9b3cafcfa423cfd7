#include "core/usage/aggregate.hpp"

#include <map>
#include <string>
#include <vector>

#include "core/admin/audit.hpp"
#include "core/domain/subscription.hpp"
#include "core/log.hpp"
#include "core/units.hpp"

namespace httvps::usage {
namespace {

using domain::Transition;

constexpr int kStatusPage = 500;       // subscriptions evaluated per transaction
constexpr int kPrunePage = 1000;       // batches deleted per statement
constexpr int kRetries = 3;            // attempts of a transaction that hit a deadlock
constexpr std::int64_t kPruneMarginSeconds = 3600;

struct Counts {
  std::int64_t batches = 0, records = 0, upload = 0, download = 0, billed = 0, rollup_rows = 0, sessions = 0;
  std::map<Transition, std::int64_t> transitions;
  std::int64_t evaluated = 0;
};

std::string pg_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

db::Param opt(std::optional<std::int64_t> v) {
  return v ? db::Param(static_cast<long long>(*v)) : db::Param(std::nullopt);
}

domain::PlanRules plan_rules(const db::Row& r, const char* prefix) {
  std::string p(prefix);
  domain::PlanRules rules;
  rules.id = r.int64(p.empty() ? "plan_id" : p + "plan_id");
  rules.data_limit = r.opt_int64(p + "data_limit_bytes");
  rules.duration_seconds = r.opt_int64(p + "duration_seconds");
  rules.reset = domain::parse_reset_strategy(r.text(p + "reset_strategy"));
  return rules;
}

domain::SubscriptionState state_of(const db::Row& r) {
  domain::SubscriptionState s;
  s.user_status = r.text("user_status");
  s.plan = plan_rules(r, "");
  if (!r.is_null("next_plan_id")) s.next_plan = plan_rules(r, "next_");
  s.started_at = r.opt_int64("started_at");
  s.expires_at = r.opt_int64("expires_at");
  s.period_started_at = r.int64("period_started_at");
  s.used_bytes = r.int64("used_bytes");
  return s;
}

nlohmann::json state_json(const domain::SubscriptionState& s, const db::Row* row) {
  auto ts = [](std::optional<std::int64_t> v) {
    return v ? nlohmann::json(units::format_timestamp(*v)) : nlohmann::json(nullptr);
  };
  nlohmann::json j = {{"status", s.user_status},
                      {"plan_id", s.plan.id},
                      {"next_plan_id", s.next_plan ? nlohmann::json(s.next_plan->id) : nlohmann::json(nullptr)},
                      {"started_at", ts(s.started_at)},
                      {"expires_at", ts(s.expires_at)},
                      {"period_started_at", ts(s.period_started_at)},
                      {"used_bytes", s.used_bytes}};
  if (row) j["plan"] = row->text("plan");
  return j;
}

// Evaluates the locked subscriptions of USERS at NOW, stores every change with its audit
// rows and next_check_at, all inside the caller's transaction.
// Stores evolution E of USER_ID's subscription (from BEFORE) with its audit rows; returns
// the period's used bytes as stored: a new period starts with what is already aggregated
// of it.
std::int64_t apply_evolution(jobs::JobRun& run, std::int64_t user_id, const domain::SubscriptionState& before,
                             const nlohmann::json& before_json, const domain::Evolution& e, Counts& counts) {
  auto& db = run.db();
  const auto& a = e.after;
  if (a.user_status != before.user_status) db.exec("usage_user_set_status", {static_cast<long long>(user_id), a.user_status});
  const std::int64_t used =
      db.exec("usage_subscription_apply",
              {static_cast<long long>(user_id), static_cast<long long>(a.plan.id),
               a.next_plan ? db::Param(static_cast<long long>(a.next_plan->id)) : db::Param(std::nullopt),
               opt(a.started_at), opt(a.expires_at), static_cast<long long>(a.period_started_at), opt(e.next_check_at),
               e.usage_zeroed})[0]
          .int64("used_bytes");
  nlohmann::json after = state_json(a, nullptr);
  after["used_bytes"] = used;
  after["at"] = units::format_timestamp(run.now());
  for (Transition t : e.transitions) {
    ++counts.transitions[t];
    admin::AuditEntry entry;
    entry.actor = run.actor();
    entry.action = "subscription." + std::string(domain::transition_name(t));
    entry.target_kind = "user";
    entry.target_id = std::to_string(user_id);
    entry.before = before_json;
    entry.after = after;
    admin::audit(db, entry);
  }
  return used;
}

// Evaluates the locked subscriptions of USERS at NOW, stores every change with its audit
// rows and next_check_at, all inside the caller's transaction.
void evaluate_users(jobs::JobRun& run, const std::vector<std::int64_t>& users, Counts& counts) {
  auto& db = run.db();
  nlohmann::json unchanged = nlohmann::json::array();
  for (auto row : db.exec("usage_subscription_states", {pg_array(users)})) {
    ++counts.evaluated;
    const std::int64_t user_id = row.int64("user_id");
    domain::SubscriptionState state = state_of(row);
    domain::Evolution e = domain::evolve_subscription(state, run.now());
    if (e.transitions.empty()) {
      bool known = !row.boolean("next_check_unknown");
      if (!known || row.opt_int64("next_check_at") != e.next_check_at) {
        unchanged.push_back({{"user_id", user_id}, {"at", e.next_check_at ? nlohmann::json(*e.next_check_at) : nlohmann::json(nullptr)}});
      }
      continue;
    }
    nlohmann::json before_json = state_json(state, &row);
    // A new period may start with bytes (usage of it aggregated before the reset came):
    // evaluate once more with them, which can only limit the user or start a next plan.
    for (int round = 0; round < 3 && !e.transitions.empty(); ++round) {
      const std::int64_t used = apply_evolution(run, user_id, state, before_json, e, counts);
      if (!e.usage_zeroed || used == 0) break;
      state = e.after;
      state.used_bytes = used;
      before_json = state_json(state, nullptr);
      e = domain::evolve_subscription(state, run.now());
    }
  }
  if (!unchanged.empty()) db.exec("usage_set_next_check", {unchanged.dump()});
}

// Runs BODY in a transaction of its own, again when the server picked it as a deadlock
// victim or a serialization failure (the counts of a failed attempt are discarded). A dry
// run has one transaction for the whole run, rolled back at its end: BODY runs in it.
template <typename Body>
void in_transaction(jobs::JobRun& run, Counts& counts, Body&& body) {
  if (run.dry_run()) {
    body(counts);
    return;
  }
  for (int attempt = 1;; ++attempt) {
    Counts trial = counts;
    try {
      db::Transaction tx(run.db());
      body(trial);
      tx.commit();
      counts = trial;
      return;
    } catch (const db::DbError& e) {
      // Deadlocks and serialization failures only: a statement timeout would time out again.
      const bool victim = e.sqlstate() == "40P01" || e.sqlstate() == "40001";
      if (!victim || attempt >= kRetries) throw;
      log::warn("aggregate-usage: transaction retried", {{"attempt", attempt}, {"error", e.what()}});
    }
  }
}

// Status transitions that are due by the clock (resets, expiry) or because something
// they depend on changed (next_check_at null).
void evaluate_due(jobs::JobRun& run, Counts& counts) {
  std::int64_t after_user = 0;
  for (;;) {
    std::vector<std::int64_t> users;
    for (auto r : run.db().exec("usage_status_candidates",
                                {static_cast<long long>(run.now()), static_cast<long long>(after_user), kStatusPage})) {
      users.push_back(r.int64("user_id"));
    }
    if (users.empty()) return;
    in_transaction(run, counts, [&](Counts& c) { evaluate_users(run, users, c); });
    after_user = users.back();
    if (static_cast<int>(users.size()) < kStatusPage) return;
  }
}

void aggregate_backlog(jobs::JobRun& run, const AggregateOptions& o, Counts& counts) {
  auto& db = run.db();
  std::int64_t backlog = db.exec("usage_backlog")[0].int64("batches");
  if (o.max_batches) backlog = std::min(backlog, *o.max_batches);
  run.progress().set_total(backlog);
  for (;;) {
    std::int64_t want = o.batch_size;
    if (o.max_batches) want = std::min(want, *o.max_batches - counts.batches);
    if (want <= 0) return;
    const std::int64_t before = counts.batches;
    in_transaction(run, counts, [&](Counts& c) {
      db.exec("usage_set_statement_timeout", {std::to_string(run.ctx().config().usage_aggregate_timeout_ms)});
      std::vector<std::int64_t> ids;
      for (auto r : db.exec("usage_claim_batches", {static_cast<long long>(want)})) ids.push_back(r.int64("id"));
      if (ids.empty()) return;
      const std::string array = pg_array(ids);
      db.exec("usage_lock_subscriptions", {array});
      auto result = db.exec("usage_aggregate_claimed", {array});
      auto r = result[0];
      c.batches += r.int64("batches");
      c.records += r.int64("records");
      c.upload += r.int64("upload_bytes");
      c.download += r.int64("download_bytes");
      c.billed += r.int64("billed_bytes");
      c.rollup_rows += r.int64("rollup_rows");
      c.sessions += r.int64("sessions");
      std::vector<std::int64_t> at_limit;
      const nlohmann::json row = r.to_json();  // kept: a range-for over a temporary's member dangles
      for (const auto& u : row["at_limit"]) at_limit.push_back(u.get<std::int64_t>());
      if (!at_limit.empty()) evaluate_users(run, at_limit, c);
    });
    if (counts.batches == before) return;  // nothing left that another run does not hold
    run.progress().advance(counts.batches - before);
  }
}

}  // namespace

nlohmann::json aggregate_usage(jobs::JobRun& run, const AggregateOptions& o) {
  if (o.batch_size < 1 || o.batch_size > 10000) throw usage_error("--batch-size must be 1 to 10000", "--batch-size");
  if (o.max_batches && *o.max_batches < 1) throw usage_error("--max-batches must be at least 1", "--max-batches");
  auto& db = run.db();
  const auto& config = run.ctx().config();
  Counts counts;
  std::optional<db::Transaction> dry_run_tx;  // rolled back when the run ends
  if (run.dry_run()) dry_run_tx.emplace(db);

  evaluate_due(run, counts);
  aggregate_backlog(run, o, counts);

  // Pruning. A batch goes an hour after the retention: the ingest refuses records older
  // than the retention, so a gateway that repeats a pruned batch is refused, never counted
  // twice (its records were observed at most 300 s after the batch arrived).
  const long long batch_cutoff = run.now() - config.usage_retention_days * 86400 - kPruneMarginSeconds;
  const long long session_cutoff = run.now() - config.usage_session_retention_days * 86400;
  std::int64_t pruned_batches = 0, pruned_records = 0, pruned_sessions = 0;
  if (run.dry_run()) {
    auto res = db.exec("usage_prunable_batches", {batch_cutoff});
    auto b = res[0];
    pruned_batches = b.int64("batches");
    pruned_records = b.int64("records");
    pruned_sessions = db.exec("usage_prunable_sessions", {session_cutoff})[0].int64("sessions");
  } else {
    for (;;) {
      auto res = db.exec("usage_prune_batches", {batch_cutoff, kPrunePage});
      auto b = res[0];
      pruned_batches += b.int64("batches");
      pruned_records += b.int64("records");
      if (b.int64("batches") < kPrunePage) break;
    }
    pruned_sessions = db.exec("usage_prune_sessions", {session_cutoff})[0].int64("sessions");
  }

  auto t = [&](Transition x) { return counts.transitions.count(x) ? counts.transitions.at(x) : 0; };
  run.gauge("usage_batches", static_cast<double>(counts.batches), "Usage batches aggregated by the last run");
  run.gauge("usage_records", static_cast<double>(counts.records), "Usage records aggregated by the last run");
  run.gauge("usage_billed_bytes", static_cast<double>(counts.billed), "Billed bytes aggregated by the last run");
  run.gauge("usage_backlog_batches", static_cast<double>(db.exec("usage_backlog")[0].int64("batches")),
            "Unaggregated usage batches left after the last run");
  return nlohmann::json{{"batches", counts.batches},
                        {"records", counts.records},
                        {"upload_bytes", counts.upload},
                        {"download_bytes", counts.download},
                        {"billed_bytes", counts.billed},
                        {"rollup_rows", counts.rollup_rows},
                        {"sessions", counts.sessions},
                        {"subscriptions_evaluated", counts.evaluated},
                        {"users_limited", t(Transition::kLimited)},
                        {"users_expired", t(Transition::kExpired)},
                        {"users_reset", t(Transition::kReset)},
                        {"users_re_enabled", t(Transition::kReEnabled)},
                        {"next_plans_applied", t(Transition::kNextPlan)},
                        {"pruned_batches", pruned_batches},
                        {"pruned_records", pruned_records},
                        {"pruned_sessions", pruned_sessions}};
}

}  // namespace httvps::usage
