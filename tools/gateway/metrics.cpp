#include "gateway/metrics.hpp"

#include <cstdio>

namespace httvps::gateway {

namespace {

// Label values: backslash, quote and newline escaped (Prometheus text format 0.0.4).
std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void counter(std::string& out, const char* name, const char* help, std::uint64_t value, const char* type = "counter") {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void labelled(std::string& out, const char* name, const char* help, const char* label,
              const std::map<std::string, std::uint64_t, std::less<>>& values) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
  for (const auto& [key, value] : values) {
    out += std::string(name) + "{" + label + "=\"" + escape_label(key) + "\"} " + std::to_string(value) + "\n";
  }
}

std::string seconds_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

void Metrics::Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::refusal(std::string_view reason) {
  std::lock_guard lock(mutex_);
  auto it = refusals_.find(reason);
  if (it == refusals_.end()) it = refusals_.emplace(std::string(reason), 0).first;
  ++it->second;
}

void Metrics::upstream_failure(std::string_view node) {
  std::lock_guard lock(mutex_);
  auto it = upstream_failures_.find(node);
  if (it == upstream_failures_.end()) it = upstream_failures_.emplace(std::string(node), 0).first;
  ++it->second;
}

namespace {
void bump(std::map<std::string, std::uint64_t, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end()) it = m.emplace(std::string(key), 0).first;
  ++it->second;
}
}  // namespace

void Metrics::usage_batch(std::string_view outcome) {
  std::lock_guard lock(mutex_);
  bump(usage_batches_, outcome);
}

void Metrics::revalidation(std::string_view outcome) {
  std::lock_guard lock(mutex_);
  bump(revalidations_, outcome);
}

void Metrics::validation(std::string_view outcome, std::chrono::nanoseconds took) {
  std::lock_guard lock(mutex_);
  auto it = validations_.find(outcome);
  if (it == validations_.end()) it = validations_.emplace(std::string(outcome), 0).first;
  ++it->second;
  if (outcome != "cache_hit") validate_.observe(std::chrono::duration<double>(took).count());
}

void Metrics::handshake(std::chrono::nanoseconds took) {
  std::lock_guard lock(mutex_);
  handshake_.observe(std::chrono::duration<double>(took).count());
}

void Metrics::render_histogram(std::string& out, const char* name, const char* help, const Histogram& h,
                               const std::string& labels) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out += std::string(name) + "_bucket{" + labels + "le=\"" + seconds_text(kBuckets[i]) + "\"} " +
           std::to_string(h.counts[i]) + "\n";
  }
  out += std::string(name) + "_bucket{" + labels + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  out += std::string(name) + "_sum " + seconds_text(h.sum) + "\n";
  out += std::string(name) + "_count " + std::to_string(h.count) + "\n";
}

std::string Metrics::render() const {
  std::string out;
  auto r = std::memory_order_relaxed;
  counter(out, "httvps_gateway_connections_total", "WebSocket connections accepted", connections_total.load(r));
  counter(out, "httvps_gateway_connections_open", "connections open now",
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, connections_open.load(r))), "gauge");
  counter(out, "httvps_gateway_sessions_total", "connections whose device was welcomed", sessions_total.load(r));
  counter(out, "httvps_gateway_streams_total", "streams opened", streams_total.load(r));
  counter(out, "httvps_gateway_streams_open", "streams open now",
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, streams_open.load(r))), "gauge");
  counter(out, "httvps_gateway_bytes_up_total", "stream bytes from clients to upstreams", bytes_up.load(r));
  counter(out, "httvps_gateway_bytes_down_total", "stream bytes from upstreams to clients", bytes_down.load(r));
  counter(out, "httvps_gateway_tls_failures_total", "TLS handshakes that failed", tls_failures.load(r));
  counter(out, "httvps_gateway_rejected_connections_total", "connections closed at once: over gateway.max_connections",
          rejected_connections.load(r));
  counter(out, "httvps_gateway_upgrade_failures_total", "WebSocket upgrades refused", upgrade_failures.load(r));
  counter(out, "httvps_gateway_protocol_errors_total", "connections closed for a protocol error",
          protocol_errors.load(r));
  counter(out, "httvps_gateway_open_failures_total", "streams whose upstream could not be opened",
          open_failures.load(r));
  counter(out, "httvps_gateway_draining", "1 while the gateway drains after SIGTERM",
          static_cast<std::uint64_t>(draining.load(r)), "gauge");
  counter(out, "httvps_gateway_usage_records_total", "usage records spooled for the control plane",
          usage_records.load(r));
  counter(out, "httvps_gateway_spool_failures_total",
          "usage batches the disk refused to spool (their counts stay in the meter file and are retried)",
          spool_failures.load(r));
  counter(out, "httvps_gateway_spool_pending_batches", "usage batches spooled and not yet acknowledged",
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, spool_pending.load(r))), "gauge");
  counter(out, "httvps_gateway_spool_bytes", "size of the usage spool file",
          static_cast<std::uint64_t>(std::max<std::int64_t>(0, spool_bytes.load(r))), "gauge");
  counter(out, "httvps_gateway_heartbeat_failures_total", "heartbeats the control plane did not take",
          heartbeat_failures.load(r));
  counter(out, "httvps_gateway_quota_exhausted_total", "connections ended because the quota ran out",
          quota_exhausted.load(r));
  counter(out, "httvps_gateway_access_ended_total", "connections ended because a re-validation refused the device",
          access_ended.load(r));
  counter(out, "httvps_gateway_speed_waits_total", "times a stream waited for the device's speed limit",
          speed_waits.load(r));
  std::lock_guard lock(mutex_);
  labelled(out, "httvps_gateway_usage_batches_total", "usage batch deliveries, by outcome", "outcome",
           usage_batches_);
  labelled(out, "httvps_gateway_revalidations_total", "re-validations of live connections, by outcome", "outcome",
           revalidations_);
  labelled(out, "httvps_gateway_refusals_total", "devices refused at HELLO, by reason", "reason", refusals_);
  labelled(out, "httvps_gateway_upstream_failures_total", "failed connects to upstream nodes, by node", "node",
           upstream_failures_);
  labelled(out, "httvps_gateway_validations_total", "device checks, by outcome", "outcome", validations_);
  render_histogram(out, "httvps_gateway_handshake_seconds", "from accept to WELCOME or REFUSE", handshake_, "");
  render_histogram(out, "httvps_gateway_validate_seconds", "duration of validate-device calls", validate_, "");
  return out;
}

}  // namespace httvps::gateway
