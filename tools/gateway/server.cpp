#include "gateway/server.hpp"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "core/error.hpp"
#include "core/hostport.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/meter_file.hpp"
#include "gateway/reporter.hpp"
#include "gateway/session.hpp"
#include "net/transport.hpp"

namespace httvps::gateway {

namespace {

// The current TLS context; SIGHUP swaps it, sessions keep the one they started with.
class TlsHolder {
 public:
  std::shared_ptr<net::TlsContext> get() {
    std::lock_guard lock(mutex_);
    return ctx_;
  }
  void set(std::shared_ptr<net::TlsContext> ctx) {
    std::lock_guard lock(mutex_);
    ctx_ = std::move(ctx);
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<net::TlsContext> ctx_;
};

class Worker final : public net::Handler {
 public:
  Worker(std::unique_ptr<net::EventLoop> loop, int listen_fd, SessionServices services, TlsHolder* tls,
         bool use_tls, std::int64_t max_connections)
      : loop_(std::move(loop)), listen_fd_(listen_fd), services_(services), tls_(tls), use_tls_(use_tls),
        max_connections_(max_connections) {}
  ~Worker() {
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  bool start(std::string& error) {
    if (!loop_->add(listen_fd_, EPOLLIN, this)) {
      error = "epoll refused the listening socket";
      return false;
    }
    thread_ = std::thread([this] {
      loop_->run();
      // Whatever is left when the loop stops is closed here, on its own thread.
      for (auto* s : sessions_) delete s;
      sessions_.clear();
    });
    return true;
  }

  void on_io(std::uint32_t) noexcept override {
    for (;;) {
      net::Address peer;
      int fd = net::accept_tcp(listen_fd_, &peer);
      if (fd < 0) return;
      if (services_.metrics->connections_open.load(std::memory_order_relaxed) >= max_connections_) {
        services_.metrics->rejected_connections.fetch_add(1, std::memory_order_relaxed);
        close(fd);
        continue;
      }
      net::tune_socket(fd, true);
      std::unique_ptr<net::Transport> transport =
          use_tls_ ? net::make_tls_server_transport(fd, tls_->get()) : net::make_plain_transport(fd);
      if (!transport) continue;
      auto* session = new GatewaySession(*loop_, std::move(transport), services_, peer.to_string(),
                                         [this](GatewaySession* s) { forget(s); });
      sessions_.insert(session);
      if (!session->start()) session->abort_connection("epoll refused the connection");
    }
  }

  // From the main thread.
  void begin_drain(std::chrono::seconds drain_for) {
    loop_->post([this, drain_for] {
      if (listen_fd_ >= 0) {
        loop_->remove(listen_fd_);
        close(listen_fd_);
        listen_fd_ = -1;
      }
      std::vector<GatewaySession*> all(sessions_.begin(), sessions_.end());
      for (auto* s : all) s->drain(drain_for);
    });
  }
  void force_close() {
    loop_->post([this] {
      std::vector<GatewaySession*> all(sessions_.begin(), sessions_.end());
      for (auto* s : all) s->force_close();
    });
  }
  void stop() {
    loop_->stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void forget(GatewaySession* session) {
    if (sessions_.erase(session) == 0) return;
    loop_->defer([session] { delete session; });
  }

  std::unique_ptr<net::EventLoop> loop_;
  int listen_fd_;
  SessionServices services_;
  TlsHolder* tls_;
  bool use_tls_;
  std::int64_t max_connections_;
  std::unordered_set<GatewaySession*> sessions_;
  std::thread thread_;
};

std::string read_credential(const Config& config) {
  std::string text = config.gateway_credential;
  if (!config.gateway_credential_file.empty()) {
    std::ifstream in(config.gateway_credential_file);
    if (!in) throw config_error("cannot read 'gateway.credential_file' " + config.gateway_credential_file);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) {
    throw config_error("the gateway needs its credential: set 'gateway.credential_file' (from 'httvps gateway add')");
  }
  if (!text.starts_with("htg_")) throw config_error("the gateway credential must start with 'htg_'");
  return text;
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "gateway";
  return buf;
}

UpstreamMode upstream_mode(const std::string& name) {
  if (name == "direct") return UpstreamMode::kDirect;
  if (name == "echo") return UpstreamMode::kEcho;
  if (name == "discard") return UpstreamMode::kDiscard;
  return UpstreamMode::kNodes;
}

net::Address listen_address(const std::string& text, const char* key) {
  auto hp = parse_host_port(text);
  if (!hp) throw config_error(std::string("'") + key + "' must be HOST:PORT");
  std::string error;
  auto address = net::resolve(hp->host, hp->port, error);
  if (!address) throw config_error(std::string("'") + key + "': " + error);
  return *address;
}

}  // namespace

std::string certificate_pin(const Config& config) {
  if (config.gateway_tls_cert.empty()) throw config_error("'gateway.tls_cert' is not set: there is no pin to print");
  std::string error;
  std::string pin = net::spki_pin_of_file(config.gateway_tls_cert, error);
  if (pin.empty()) throw config_error(error);
  return pin;
}

int run_gateway(const Config& config) {
  // Signals go to sigwait in this thread only; every thread started below inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // TLS writes go through write(2)
  std::uint64_t files = net::raise_fd_limit();

  SessionSettings settings;
  settings.name = config.gateway_name.empty() ? host_name() : config.gateway_name;
  settings.path = config.gateway_path;
  settings.window = static_cast<std::uint32_t>(config.gateway_window);
  settings.max_streams = static_cast<std::uint32_t>(config.gateway_max_streams);
  settings.upstream = upstream_mode(config.gateway_upstream);
  settings.allow_private_targets = config.gateway_allow_private_targets;
  settings.connect_timeout = std::chrono::milliseconds(config.gateway_connect_timeout_ms);
  settings.revalidate_every = std::chrono::seconds(config.gateway_revalidate_seconds);

  TlsHolder tls;
  bool use_tls = !config.gateway_tls_cert.empty();
  if (use_tls) {
    std::string error;
    auto ctx = net::TlsContext::server(config.gateway_tls_cert, config.gateway_tls_key, error);
    if (!ctx) throw config_error(error);
    tls.set(std::move(ctx));
  }

  Metrics metrics;
  ValidatorOptions vopts;
  vopts.control_url = config.gateway_control_url;
  vopts.credential = read_credential(config);
  vopts.timeout = std::chrono::milliseconds(config.gateway_validate_timeout_ms);
  vopts.serve_stale = config.gateway_unreachable_policy == "cached";
  vopts.stale_for = std::chrono::seconds(config.gateway_stale_seconds);
  vopts.gateway_name = settings.name;
  Validator validator(vopts, [&metrics](const std::string& outcome, std::chrono::nanoseconds took) {
    metrics.validation(outcome, took);
  });
  Resolver resolver(2);
  std::unique_ptr<MeterFile> meters;
  {
    std::error_code ec;
    std::filesystem::create_directories(config.gateway_spool_dir, ec);
    std::string error = ec ? "cannot create " + config.gateway_spool_dir + ": " + ec.message() : "";
    auto slots = static_cast<std::uint32_t>(std::clamp<std::int64_t>(config.gateway_max_connections * 4, 4096, 1 << 22));
    if (!ec) meters = MeterFile::open(config.gateway_spool_dir + "/meters.bin", slots, error);
    if (!meters) throw Failure(ExitCode::kConfig, error + " ('gateway.spool_dir')");
  }
  Ledger ledger(std::move(meters));
  SessionServices services{&settings, &metrics, &validator, &resolver, &ledger};

  net::Address address = listen_address(config.gateway_listen, "gateway.listen");
  unsigned threads = config.gateway_threads > 0 ? static_cast<unsigned>(config.gateway_threads)
                                                : std::max(1u, std::thread::hardware_concurrency());
  {
    // Every listener below sets SO_REUSEPORT, which would let a second gateway share the
    // port silently. A probe without it fails while anything else holds the port.
    std::string error;
    int probe = net::listen_tcp(address, false, error);
    if (probe < 0) throw Failure(ExitCode::kConfig, error + " ('gateway.listen'; is another gateway running?)");
    close(probe);
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (unsigned i = 0; i < threads; ++i) {
    std::string error;
    auto loop = net::EventLoop::create(error);
    if (!loop) throw internal_error(error);
    int fd = net::listen_tcp(address, true, error);
    if (fd < 0) throw Failure(ExitCode::kConfig, error + " ('gateway.listen')");
    workers.push_back(std::make_unique<Worker>(std::move(loop), fd, services, &tls, use_tls,
                                               config.gateway_max_connections));
  }

  // The admin server: loopback only (checked with the configuration).
  httplib::Server admin;
  std::thread admin_thread;
  if (!config.gateway_admin_listen.empty()) {
    auto hp = parse_host_port(config.gateway_admin_listen);
    admin.set_socket_options([](socket_t sock) {
      int one = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // no SO_REUSEPORT: one owner
    });
    admin.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.render(), "text/plain; version=0.0.4");
    });
    admin.Get("/healthz", [&metrics](const httplib::Request&, httplib::Response& res) {
      bool draining = metrics.draining.load() != 0;
      res.status = draining ? 503 : 200;
      res.set_content(draining ? "draining\n" : "ok\n", "text/plain");
    });
    if (!admin.bind_to_port(hp->host, hp->port)) {
      throw Failure(ExitCode::kConfig, "cannot listen on " + config.gateway_admin_listen + " ('gateway.admin_listen')");
    }
    admin_thread = std::thread([&admin] { admin.listen_after_bind(); });
  }

  ReporterOptions ropts;
  ropts.control_url = config.gateway_control_url;
  ropts.credential = vopts.credential;
  ropts.spool_dir = config.gateway_spool_dir;
  ropts.gateway_name = settings.name;
  ropts.version = kVersion;
  ropts.interval = std::chrono::milliseconds(config.gateway_usage_interval_ms);
  ropts.heartbeat = std::chrono::seconds(config.gateway_heartbeat_seconds);
  ropts.heartbeat_page = static_cast<std::size_t>(config.gateway_heartbeat_page);
  Reporter reporter(ropts, ledger, metrics);
  {
    std::string error;
    if (!reporter.start(error)) throw Failure(ExitCode::kConfig, error + " ('gateway.spool_dir')");
  }

  for (auto& w : workers) {
    std::string error;
    if (!w->start(error)) throw internal_error(error);
  }
  log::info("gateway listening", {{"listen", config.gateway_listen},
                                  {"tls", use_tls},
                                  {"threads", threads},
                                  {"upstream", config.gateway_upstream},
                                  {"admin", config.gateway_admin_listen},
                                  {"open_files_limit", files},
                                  {"name", settings.name}});

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (!use_tls) {
        log::info("SIGHUP: nothing to reload (no TLS)");
        continue;
      }
      std::string error;
      auto ctx = net::TlsContext::server(config.gateway_tls_cert, config.gateway_tls_key, error);
      if (ctx) {
        tls.set(std::move(ctx));
        log::info("SIGHUP: reloaded the certificate and key", {{"cert", config.gateway_tls_cert}});
      } else {
        log::error("SIGHUP: kept the old certificate, the new one does not load", {{"error", error}});
      }
      continue;
    }
    break;
  }

  auto drain_for = std::chrono::seconds(config.gateway_drain_seconds);
  metrics.draining.store(1);
  log::info("draining", {{"connections", metrics.connections_open.load()}, {"seconds", drain_for.count()}});
  for (auto& w : workers) w->begin_drain(drain_for);
  auto deadline = std::chrono::steady_clock::now() + drain_for;
  while (metrics.connections_open.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (metrics.connections_open.load() > 0) {
    for (auto& w : workers) w->force_close();
    auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (metrics.connections_open.load() > 0 && std::chrono::steady_clock::now() < hard) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  for (auto& w : workers) w->stop();
  reporter.stop();  // the last counts are spooled, and sent if the control plane answers
  admin.stop();
  if (admin_thread.joinable()) admin_thread.join();
  log::info("gateway stopped", {{"connections_left", metrics.connections_open.load()}});
  return 0;
}

}  // namespace httvps::gateway
