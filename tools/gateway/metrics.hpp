#pragma once
// The gateway's counters, shared by every event loop (relaxed atomics) and rendered as
// Prometheus text on the admin port (docs/gateway.md, "Metrics").

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace httvps::gateway {

class Metrics {
 public:
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::uint64_t> sessions_total{0};  // connections that got WELCOME
  std::atomic<std::uint64_t> streams_total{0};
  std::atomic<std::int64_t> streams_open{0};
  std::atomic<std::uint64_t> bytes_up{0};    // client → upstream, DATA payload bytes
  std::atomic<std::uint64_t> bytes_down{0};  // upstream → client
  std::atomic<std::uint64_t> tls_failures{0};
  std::atomic<std::uint64_t> rejected_connections{0};  // over gateway.max_connections
  std::atomic<std::uint64_t> upgrade_failures{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> open_failures{0};
  std::atomic<int> draining{0};
  // Usage accounting.
  std::atomic<std::uint64_t> usage_records{0};       // records spooled
  std::atomic<std::uint64_t> spool_failures{0};      // batches the disk refused (retried)
  std::atomic<std::int64_t> spool_pending{0};        // batches not yet acknowledged
  std::atomic<std::int64_t> spool_bytes{0};
  std::atomic<std::uint64_t> heartbeat_failures{0};
  std::atomic<std::uint64_t> quota_exhausted{0};      // connections ended at the quota
  std::atomic<std::uint64_t> access_ended{0};         // connections ended by a re-validation
  std::atomic<std::uint64_t> speed_waits{0};          // times a stream waited for its speed limit

  void refusal(std::string_view reason);
  void upstream_failure(std::string_view node);
  // A usage batch's delivery: stored, duplicate, rejected, failed.
  void usage_batch(std::string_view outcome);
  // A re-validation of a live connection: allowed, refused, unavailable.
  void revalidation(std::string_view outcome);
  void validation(std::string_view outcome, std::chrono::nanoseconds took);
  // From accept to WELCOME (or REFUSE).
  void handshake(std::chrono::nanoseconds took);

  std::string render() const;

 private:
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  0.5,  1.0};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
    void observe(double seconds);
  };
  static void render_histogram(std::string& out, const char* name, const char* help, const Histogram& h,
                               const std::string& labels);

  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t, std::less<>> refusals_;
  std::map<std::string, std::uint64_t, std::less<>> upstream_failures_;
  std::map<std::string, std::uint64_t, std::less<>> validations_;
  std::map<std::string, std::uint64_t, std::less<>> usage_batches_;
  std::map<std::string, std::uint64_t, std::less<>> revalidations_;
  Histogram handshake_;
  Histogram validate_;
};

}  // namespace httvps::gateway
