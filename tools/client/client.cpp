#include "client/client.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "core/hostport.hpp"
#include "core/links.hpp"
#include "core/log.hpp"
#include "net/mux.hpp"
#include "tunnel/socks5.hpp"

namespace httvps::client {

namespace {

using Json = nlohmann::json;
using tunnel::FrameType;
using tunnel::StreamReason;

enum class Kind { kSocks, kHttp, kRaw, kSdk };

struct PendingOpen {
  int fd = -1;  // our end
  Kind kind = Kind::kRaw;
  tunnel::TargetAddress target;
  std::vector<std::uint8_t> early;  // bytes the application sent before the stream existed
  std::function<void(int, const std::string&)> done;  // kSdk
  int app_fd = -1;                                    // kSdk: the end handed out
  net::Clock::time_point since;
};

void write_all_small(int fd, std::string_view bytes) {
  // Replies to local handshakes are a few bytes on a fresh socket: the kernel takes them.
  std::size_t off = 0;
  while (off < bytes.size()) {
    auto r = net::write_some(fd, {reinterpret_cast<const std::uint8_t*>(bytes.data()) + off, bytes.size() - off});
    if (r.status != net::IoStatus::kOk) return;
    off += r.n;
  }
}

tunnel::Socks5Reply socks_reply_for(StreamReason reason) {
  switch (reason) {
    case StreamReason::kRefused:
      return tunnel::Socks5Reply::kConnectionRefused;
    case StreamReason::kUnreachable:
      return tunnel::Socks5Reply::kHostUnreachable;
    case StreamReason::kTimeout:
      return tunnel::Socks5Reply::kTtlExpired;
    case StreamReason::kNotAllowed:
      return tunnel::Socks5Reply::kNotAllowed;
    default:
      return tunnel::Socks5Reply::kGeneralFailure;
  }
}

// Answers the local application once its stream opened or failed.
void answer_open(PendingOpen& p, bool ok, StreamReason reason, const std::string& why) {
  switch (p.kind) {
    case Kind::kSocks: {
      auto reply = ok ? tunnel::build_success_reply("0.0.0.0", 0) : tunnel::build_failure_reply(socks_reply_for(reason));
      write_all_small(p.fd, {reinterpret_cast<const char*>(reply.data()), reply.size()});
      break;
    }
    case Kind::kHttp:
      write_all_small(p.fd, ok ? "HTTP/1.1 200 Connection Established\r\n\r\n"
                               : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      break;
    case Kind::kRaw:
      break;
    case Kind::kSdk:
      if (ok) {
        p.done(p.app_fd, "");
      } else {
        close(p.app_fd);
        p.done(-1, why.empty() ? std::string(tunnel::stream_reason_name(reason)) : why);
      }
      p.app_fd = -1;
      break;
  }
  if (!ok) {
    close(p.fd);
    p.fd = -1;
  }
}

std::optional<tunnel::TargetAddress> target_of(const std::string& host, std::uint16_t port) {
  auto bytes = tunnel::encode_address(host, port);
  if (!bytes) return std::nullopt;
  tunnel::TargetAddress target;
  if (!tunnel::parse_target_address(*bytes, target)) return std::nullopt;
  return target;
}

}  // namespace

class ClientConnection;

struct Client::Impl {
  ClientOptions options;
  links::HttvpsUri uri;
  std::shared_ptr<net::TlsContext> tls;
  std::unique_ptr<net::EventLoop> loop;
  std::vector<std::unique_ptr<net::Handler>> handlers;  // listeners and handshakes
  std::vector<int> listen_fds;
  std::uint16_t last_port = 0;

  ClientConnection* current = nullptr;
  std::unordered_set<ClientConnection*> connections;
  std::deque<PendingOpen> waiting;
  int failures = 0;
  net::EventLoop::TimerId reconnect_timer = 0;
  net::EventLoop::TimerId sweep_timer = 0;
  net::Clock::time_point last_attempt{};
  bool stopping = false;
  bool check_mode = false;
  std::mt19937 rng{std::random_device{}()};

  Json last_limits = Json::object();  // the loop thread's copy of status.limits
  mutable std::mutex status_mutex;
  ClientStatus status;
  std::thread thread;

  void connect() noexcept;
  void schedule_reconnect() noexcept;
  void request_open(PendingOpen p) noexcept;
  void on_welcome(ClientConnection* conn, const std::string& session, const std::string& limits) noexcept;
  void on_limits(const Json& limits) noexcept;
  void on_refuse(const std::string& reason, const std::string& detail) noexcept;
  void on_goaway(ClientConnection* conn) noexcept;
  void on_closed(ClientConnection* conn, std::string_view why) noexcept;
  void sweep() noexcept;
  template <typename F>
  void update(F f) const {
    std::lock_guard lock(status_mutex);
    f(const_cast<ClientStatus&>(status));
  }
};

// The connection to the gateway.
class ClientConnection final : public net::MuxConnection {
 public:
  ClientConnection(Client::Impl& impl, std::unique_ptr<net::Transport> transport) noexcept
      : net::MuxConnection(*impl.loop, std::move(transport), Role::kClient), impl_(impl),
        key_(tunnel::generate_websocket_key()) {}

  bool welcomed() const noexcept { return welcomed_; }

  void send_open(PendingOpen p) noexcept {
    std::uint32_t id = ++next_id_;
    highest_stream_ = id;
    std::vector<std::uint8_t> payload;
    tunnel::append_target_address(payload, p.target);
    send_frame(FrameType::kOpen, id, payload);
    pending_.emplace(id, std::move(p));
  }

 protected:
  void on_transport_ready() noexcept override {
    std::string host = format_host_port(HostPort{impl_.uri.gateway.host, static_cast<std::uint16_t>(impl_.uri.gateway.port)});
    send_raw(tunnel::build_upgrade_request(host, impl_.uri.path, key_, tunnel::kSubprotocol));
  }

  bool on_upgrade_response(std::string_view buffer, std::size_t& consumed, bool& incomplete) noexcept override {
    tunnel::UpgradeResponse response;
    std::string error;
    auto st = tunnel::parse_upgrade_response(buffer, tunnel::kMaxHandshakeBytes, key_, tunnel::kSubprotocol, response,
                                             consumed, error);
    incomplete = st == tunnel::HandshakeStatus::kIncomplete;
    if (st == tunnel::HandshakeStatus::kBad) {
      error_ = response.status != 0 && response.status != 101
                   ? "the gateway refused the upgrade with HTTP " + std::to_string(response.status)
                   : "bad upgrade answer: " + error;
    }
    return st == tunnel::HandshakeStatus::kOk;
  }

  void on_upgraded() noexcept override {
    Json hello = {{"token", impl_.uri.token}, {"client", impl_.options.client_name}, {"window", impl_.options.window}};
    if (!impl_.options.hwid.empty()) hello["hwid"] = impl_.options.hwid;
    send_json(FrameType::kHello, hello.dump());
  }

  bool on_control(const tunnel::TunnelFrame& frame) noexcept override {
    switch (frame.type) {
      case FrameType::kWelcome: {
        if (welcomed_) return false;
        Json w = Json::parse(tunnel::payload_text(frame), nullptr, false);
        if (!w.is_object()) return false;
        if (auto it = w.find("window"); it != w.end() && it->is_number_unsigned()) {
          auto v = it->get<std::uint64_t>();
          if (v < tunnel::kMinWindow || v > tunnel::kMaxWindow) return false;
          server_window_ = static_cast<std::uint32_t>(v);
        }
        if (auto it = w.find("max_streams"); it != w.end() && it->is_number_unsigned()) {
          max_streams_ = it->get<std::uint64_t>();
        }
        std::string session;
        if (auto it = w.find("session"); it != w.end() && it->is_string()) session = it->get<std::string>();
        std::string limits;
        if (auto it = w.find("limits"); it != w.end() && it->is_object()) limits = it->dump();
        welcomed_ = true;
        streams_allowed_ = true;
        impl_.on_welcome(this, session, limits);
        return true;
      }
      case FrameType::kRefuse: {
        Json r = Json::parse(tunnel::payload_text(frame), nullptr, false);
        std::string reason = "refused";
        std::string detail;
        if (r.is_object()) {
          if (auto it = r.find("reason"); it != r.end() && it->is_string()) reason = it->get<std::string>();
          if (auto it = r.find("detail"); it != r.end() && it->is_string()) detail = it->get<std::string>();
        }
        error_ = "refused: " + reason;
        impl_.on_refuse(reason, detail);
        return true;
      }
      case FrameType::kGoaway:
        impl_.on_goaway(this);
        return true;
      case FrameType::kLimits: {
        // Informational (IGNORABLE): a payload that is not a JSON object is skipped.
        Json l = Json::parse(tunnel::payload_text(frame), nullptr, false);
        if (welcomed_ && l.is_object()) impl_.on_limits(l);
        return true;
      }
      case FrameType::kOpened:
      case FrameType::kOpenFailed: {
        auto it = pending_.find(frame.stream_id);
        if (it == pending_.end()) return frame.stream_id <= highest_stream_;
        PendingOpen p = std::move(it->second);
        pending_.erase(it);
        if (frame.type == FrameType::kOpenFailed) {
          tunnel::ReasonPayload reason;
          if (!tunnel::parse_reason_payload(frame.payload, reason)) reason.reason = StreamReason::kNone;
          log::debug("stream refused by the gateway", {{"target", tunnel::format_target_address(p.target)},
                                                       {"reason", std::string(tunnel::stream_reason_name(reason.reason))},
                                                       {"detail", std::string(reason.text)}});
          answer_open(p, false, reason.reason, std::string(reason.text));
          return true;
        }
        answer_open(p, true, StreamReason::kNone, "");
        int fd = p.fd;
        p.fd = -1;
        auto* stream = add_stream(frame.stream_id,
                                  net::make_socket_endpoint(loop(), fd, tunnel::format_target_address(p.target)),
                                  server_window_, impl_.options.window);
        impl_.update([](ClientStatus& s) { ++s.streams_open; });
        if (stream != nullptr && !p.early.empty()) send_data(*stream, p.early);
        return true;
      }
      default:
        return false;
    }
  }

  void on_stream_closed(net::MuxStream&) noexcept override {
    impl_.update([](ClientStatus& s) {
      if (s.streams_open > 0) --s.streams_open;
    });
  }

  void on_bytes(net::MuxStream&, std::uint64_t to_endpoint, std::uint64_t from_endpoint) noexcept override {
    impl_.update([&](ClientStatus& s) {
      s.bytes_down += to_endpoint;
      s.bytes_up += from_endpoint;
    });
  }
  void on_bytes_unsent(net::MuxStream&, std::uint64_t to_endpoint) noexcept override {
    impl_.update([&](ClientStatus& s) { s.bytes_down -= to_endpoint; });
  }

  void on_peer_close(tunnel::CloseCode code, std::string_view reason) noexcept override {
    if (error_.empty()) {
      error_ = "the gateway closed the connection (" + std::to_string(static_cast<int>(code)) +
               (reason.empty() ? "" : ", " + std::string(reason)) + ")";
    }
  }

  void on_closed(std::string_view why) noexcept override {
    for (auto& [id, p] : pending_) answer_open(p, false, StreamReason::kGoingAway, "the connection to the gateway ended");
    pending_.clear();
    std::string reason = error_.empty() ? std::string(why) : error_;
    impl_.on_closed(this, reason);
  }

 private:
  Client::Impl& impl_;
  std::string key_;
  std::string error_;
  bool welcomed_ = false;
  std::uint32_t next_id_ = 0;
  std::uint32_t server_window_ = tunnel::kDefaultWindow;
  std::uint64_t max_streams_ = 1024;
  std::unordered_map<std::uint32_t, PendingOpen> pending_;
};

namespace {

// A local connection in its handshake: SOCKS5 or HTTP CONNECT.
class LocalHandshake final : public net::Handler {
 public:
  LocalHandshake(Client::Impl& impl, int fd, Kind kind) noexcept : impl_(impl), fd_(fd), kind_(kind) {}
  ~LocalHandshake() {
    if (fd_ >= 0) close(fd_);
  }

  void on_io(std::uint32_t) noexcept override {
    if (done_) return;
    std::uint8_t buf[4096];
    for (;;) {
      auto r = net::read_some(fd_, buf);
      if (r.status == net::IoStatus::kOk) {
        in_.insert(in_.end(), buf, buf + r.n);
        if (in_.size() > 16384) return finish(false);
        continue;
      }
      if (r.status == net::IoStatus::kWantRead) break;
      return finish(false);
    }
    if (kind_ == Kind::kSocks) {
      socks();
    } else {
      http();
    }
  }

 private:
  void socks() noexcept {
    if (!greeted_) {
      auto g = tunnel::parse_greeting(in_);
      if (g.status == tunnel::Socks5Status::kNeedMore) return;
      write_all_small(fd_, {reinterpret_cast<const char*>(g.reply.data()), g.reply.size()});
      if (g.status == tunnel::Socks5Status::kError) return finish(false);
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(g.consumed));
      greeted_ = true;
    }
    auto req = tunnel::parse_request(in_);
    if (req.status == tunnel::Socks5Status::kNeedMore) return;
    if (req.status == tunnel::Socks5Status::kError) {
      write_all_small(fd_, {reinterpret_cast<const char*>(req.error_reply.data()), req.error_reply.size()});
      return finish(false);
    }
    tunnel::TargetAddress target;
    if (!tunnel::parse_target_address(req.target.address, target)) {
      auto reply = tunnel::build_failure_reply(tunnel::Socks5Reply::kAddressTypeNotSupported);
      write_all_small(fd_, {reinterpret_cast<const char*>(reply.data()), reply.size()});
      return finish(false);
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(req.consumed));
    hand_over(target);
  }

  void http() noexcept {
    std::string_view text(reinterpret_cast<const char*>(in_.data()), in_.size());
    auto end = text.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (in_.size() > 8192) return refuse_http(431, "Request Header Fields Too Large");
      return;
    }
    auto line_end = text.find("\r\n");
    std::string_view line = text.substr(0, line_end);
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1 || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
      return refuse_http(400, "Bad Request");
    }
    if (line.substr(0, sp1) != "CONNECT") return refuse_http(405, "Method Not Allowed");
    auto hp = parse_host_port(line.substr(sp1 + 1, sp2 - sp1 - 1));
    if (!hp) return refuse_http(400, "Bad Request");
    auto target = target_of(hp->host, hp->port);
    if (!target) return refuse_http(400, "Bad Request");
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(end + 4));
    hand_over(*target);
  }

  void refuse_http(int status, const char* phrase) noexcept {
    std::string reply = "HTTP/1.1 " + std::to_string(status) + " " + phrase +
                        "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    write_all_small(fd_, reply);
    finish(false);
  }

  void hand_over(const tunnel::TargetAddress& target) noexcept {
    PendingOpen p;
    p.fd = fd_;
    p.kind = kind_;
    p.target = target;
    p.early = std::move(in_);
    impl_.loop->remove(fd_);
    fd_ = -1;
    impl_.request_open(std::move(p));
    finish(true);
  }

  void finish(bool) noexcept {
    done_ = true;
    if (fd_ >= 0) {
      impl_.loop->remove(fd_);
      close(fd_);
      fd_ = -1;
    }
    // Destroyed after this batch of events.
    impl_.loop->defer([this, &impl = impl_] {
      auto& hs = impl.handlers;
      for (auto it = hs.begin(); it != hs.end(); ++it) {
        if (it->get() == this) {
          hs.erase(it);
          return;
        }
      }
    });
  }

  Client::Impl& impl_;
  int fd_;
  Kind kind_;
  bool greeted_ = false;
  bool done_ = false;
  std::vector<std::uint8_t> in_;
};

class Listener final : public net::Handler {
 public:
  Listener(Client::Impl& impl, int fd, Kind kind, std::optional<tunnel::TargetAddress> target) noexcept
      : impl_(impl), fd_(fd), kind_(kind), target_(std::move(target)) {}
  ~Listener() { close(fd_); }

  void on_io(std::uint32_t) noexcept override {
    for (;;) {
      int fd = net::accept_tcp(fd_, nullptr);
      if (fd < 0) return;
      net::tune_socket(fd, false);
      if (kind_ == Kind::kRaw) {
        PendingOpen p;
        p.fd = fd;
        p.kind = Kind::kRaw;
        p.target = *target_;
        impl_.request_open(std::move(p));
        continue;
      }
      auto hs = std::make_unique<LocalHandshake>(impl_, fd, kind_);
      if (!impl_.loop->add(fd, EPOLLIN | EPOLLRDHUP, hs.get())) continue;
      impl_.handlers.push_back(std::move(hs));
    }
  }
  int fd() const noexcept { return fd_; }

 private:
  Client::Impl& impl_;
  int fd_;
  Kind kind_;
  std::optional<tunnel::TargetAddress> target_;
};

bool add_listener(Client::Impl& impl, const std::string& listen, Kind kind,
                  std::optional<tunnel::TargetAddress> target, std::string& error) {
  // Port 0 asks the kernel for a free port (bound_port() tells which).
  bool any_port = listen.ends_with(":0");
  auto hp = parse_host_port(any_port ? listen.substr(0, listen.size() - 1) + "1" : listen);
  if (!hp) {
    error = "'" + listen + "' is not HOST:PORT";
    return false;
  }
  if (any_port) hp->port = 0;
  auto address = net::numeric_address(hp->host, hp->port);
  if (!address && hp->port != 0) address = net::resolve(hp->host, hp->port, error);
  if (!address) {
    if (error.empty()) error = "cannot use '" + listen + "' as a listen address";
    return false;
  }
  int fd = net::listen_tcp(*address, false, error);
  if (fd < 0) return false;
  auto listener = std::make_unique<Listener>(impl, fd, kind, std::move(target));
  if (!impl.loop->add(fd, EPOLLIN, listener.get())) {
    error = "epoll refused the listener";
    return false;
  }
  if (auto bound = net::local_address(fd)) {
    auto text = bound->to_string();
    impl.last_port = static_cast<std::uint16_t>(std::stoi(text.substr(text.rfind(':') + 1)));
  }
  impl.handlers.push_back(std::move(listener));
  return true;
}

}  // namespace

// ---- Impl ------------------------------------------------------------------------------------

void Client::Impl::connect() noexcept {
  reconnect_timer = 0;
  if (stopping || current != nullptr) return;
  last_attempt = loop->now();
  std::string error;
  auto address = net::resolve(uri.gateway.host, static_cast<std::uint16_t>(uri.gateway.port), error);
  int fd = address ? net::connect_tcp(*address, error) : -1;
  if (fd < 0) {
    update([&](ClientStatus& s) { s.last_error = error; });
    log::warn("cannot connect to the gateway", {{"error", error}});
    if (check_mode) {
      loop->stop();
      return;
    }
    schedule_reconnect();
    return;
  }
  net::tune_socket(fd, true);
  std::unique_ptr<net::Transport> transport;
  if (uri.tls) {
    net::TlsContext::ClientOptions o;
    o.server_name = uri.sni.empty() ? uri.gateway.host : uri.sni;
    o.pin = uri.pin;
    o.insecure = uri.insecure;
    transport = net::make_tls_client_transport(fd, tls, o);
  } else {
    transport = net::make_plain_transport(fd);
  }
  if (!transport) {
    schedule_reconnect();
    return;
  }
  auto* conn = new ClientConnection(*this, std::move(transport));
  current = conn;
  connections.insert(conn);
  if (!conn->start()) conn->abort_connection("epoll refused the connection");
}

void Client::Impl::schedule_reconnect() noexcept {
  if (stopping || reconnect_timer != 0 || current != nullptr) return;
  auto base = options.backoff_min.count() << std::min(failures, 16);
  auto capped = std::min<std::int64_t>(base, options.backoff_max.count());
  std::uniform_int_distribution<std::int64_t> jitter(capped / 2, capped);
  ++failures;
  reconnect_timer = loop->add_timer(std::chrono::milliseconds(jitter(rng)), [this] { connect(); });
}

void Client::Impl::request_open(PendingOpen p) noexcept {
  p.since = loop->now();
  if (current != nullptr && current->welcomed()) {
    current->send_open(std::move(p));
    return;
  }
  waiting.push_back(std::move(p));
  if (current != nullptr) return;
  // A stream waiting cuts a long backoff short, at most once a second.
  if (reconnect_timer != 0 && loop->now() - last_attempt >= std::chrono::seconds(1)) {
    loop->cancel_timer(reconnect_timer);
    reconnect_timer = 0;
  }
  if (reconnect_timer == 0) connect();
}

void Client::Impl::on_welcome(ClientConnection* conn, const std::string& session, const std::string& limits) noexcept {
  failures = 0;
  update([&](ClientStatus& s) {
    s.connected = true;
    s.session = session;
    s.last_refusal.clear();
    s.limits = limits;
    ++s.connects;
  });
  last_limits = limits.empty() ? Json::object() : Json::parse(limits, nullptr, false);
  log::info("connected to the gateway", {{"session", session}, {"gateway", uri.gateway.host}});
  if (check_mode) {
    conn->close_connection(tunnel::CloseCode::kNormal, "check done");
    return;
  }
  while (!waiting.empty() && conn == current) {
    conn->send_open(std::move(waiting.front()));
    waiting.pop_front();
  }
}

void Client::Impl::on_limits(const Json& limits) noexcept {
  update([&](ClientStatus& s) {
    s.limits = limits.dump();
    ++s.limits_updates;
  });
  // Every re-validation brings one, and bytes_remaining falls with use: a line at info
  // level only for news (another speed limit or expiry, more bytes than before).
  auto member = [](const Json& j, const char* k) {
    auto it = j.find(k);
    return it == j.end() ? Json() : *it;
  };
  const Json before_bytes = member(last_limits, "bytes_remaining"), bytes = member(limits, "bytes_remaining");
  const bool news = member(last_limits, "speed_limit_bps") != member(limits, "speed_limit_bps") ||
                    member(last_limits, "expires_at") != member(limits, "expires_at") ||
                    before_bytes.is_null() != bytes.is_null() ||
                    (before_bytes.is_number() && bytes.is_number() && bytes > before_bytes);
  last_limits = limits;
  Json fields = {{"bytes_remaining", bytes},
                 {"speed_limit_bps", member(limits, "speed_limit_bps")},
                 {"expires_at", member(limits, "expires_at")}};
  if (news) log::info("the gateway changed this device's limits", fields);
  else log::debug("the gateway confirmed this device's limits", fields);
}

void Client::Impl::on_refuse(const std::string& reason, const std::string& detail) noexcept {
  update([&](ClientStatus& s) { s.last_refusal = reason; });
  log::error("the gateway refused this device", {{"reason", reason}, {"detail", detail}});
  // Refusals that will not change by themselves are retried slowly; 'unavailable' (the
  // gateway cannot reach its control plane) is retried on the normal schedule.
  if (reason != "unavailable") failures = std::max(failures, 6);
}

void Client::Impl::on_goaway(ClientConnection* conn) noexcept {
  if (conn != current) return;
  log::info("the gateway is draining; new streams go to a new connection");
  current = nullptr;
  update([](ClientStatus& s) { s.connected = false; });
  connect();
}

void Client::Impl::on_closed(ClientConnection* conn, std::string_view why) noexcept {
  connections.erase(conn);
  loop->defer([conn] { delete conn; });
  if (conn != current) return;
  current = nullptr;
  update([&](ClientStatus& s) {
    s.connected = false;
    s.last_error = std::string(why);
  });
  if (check_mode) {
    loop->stop();
    return;
  }
  if (!stopping) {
    log::warn("the connection to the gateway ended", {{"why", std::string(why)}});
    schedule_reconnect();
  }
}

void Client::Impl::sweep() noexcept {
  auto now = loop->now();
  while (!waiting.empty() && now - waiting.front().since > options.open_timeout) {
    PendingOpen p = std::move(waiting.front());
    waiting.pop_front();
    answer_open(p, false, StreamReason::kTimeout, "no connection to the gateway");
  }
  sweep_timer = loop->add_timer(std::chrono::milliseconds(1000), [this] { sweep(); });
}

// ---- Client ----------------------------------------------------------------------------------

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() {
  stop();
  for (auto* c : impl_->connections) delete c;
  impl_->connections.clear();
  impl_->handlers.clear();
}

std::unique_ptr<Client> Client::create(const ClientOptions& options, std::string& error) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  try {
    impl->uri = links::parse_httvps(options.uri);
  } catch (const std::exception& e) {
    error = std::string("bad httvps:// URI: ") + e.what();
    return nullptr;
  }
  if (options.window < tunnel::kMinWindow || options.window > tunnel::kMaxWindow) {
    error = "the window must be from 16384 to 16777216 bytes";
    return nullptr;
  }
  if (options.hwid.size() > 256) {
    error = "the hardware id must have at most 256 characters";
    return nullptr;
  }
  impl->loop = net::EventLoop::create(error);
  if (!impl->loop) return nullptr;
  if (impl->uri.tls) {
    impl->tls = net::TlsContext::client(error);
    if (!impl->tls) return nullptr;
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

bool Client::listen_socks5(const std::string& listen, std::string& error) {
  return add_listener(*impl_, listen, Kind::kSocks, std::nullopt, error);
}

bool Client::listen_http_connect(const std::string& listen, std::string& error) {
  return add_listener(*impl_, listen, Kind::kHttp, std::nullopt, error);
}

bool Client::listen_forward(const std::string& listen, const std::string& target, std::string& error) {
  auto hp = parse_host_port(target);
  auto address = hp ? target_of(hp->host, hp->port) : std::nullopt;
  if (!address) {
    error = "'" + target + "' is not a HOST:PORT target";
    return false;
  }
  return add_listener(*impl_, listen, Kind::kRaw, address, error);
}

std::uint16_t Client::bound_port() const { return impl_->last_port; }

void Client::open(const std::string& host, std::uint16_t port,
                  std::function<void(int fd, const std::string& error)> done) {
  impl_->loop->post([impl = impl_.get(), host, port, done = std::move(done)] {
    auto target = target_of(host, port);
    if (!target || port == 0) {
      done(-1, "bad target " + host + ":" + std::to_string(port));
      return;
    }
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
      done(-1, "socketpair failed");
      return;
    }
    fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK);
    PendingOpen p;
    p.fd = pair[0];
    p.app_fd = pair[1];
    p.kind = Kind::kSdk;
    p.target = *target;
    p.done = done;
    impl->request_open(std::move(p));
  });
}

ClientStatus Client::check(std::chrono::milliseconds timeout) {
  impl_->check_mode = true;
  impl_->loop->post([impl = impl_.get()] { impl->connect(); });
  auto timer = impl_->loop->add_timer(timeout, [impl = impl_.get()] {
    impl->update([](ClientStatus& s) {
      if (s.last_error.empty()) s.last_error = "no answer from the gateway in time";
    });
    impl->loop->stop();
  });
  impl_->loop->run();
  impl_->loop->cancel_timer(timer);
  return status();
}

void Client::run() {
  impl_->loop->post([impl = impl_.get()] {
    impl->connect();
    impl->sweep();
  });
  impl_->loop->run();
}

void Client::start() {
  impl_->thread = std::thread([this] { run(); });
}

void Client::stop() {
  impl_->loop->post([impl = impl_.get()] { impl->stopping = true; });
  impl_->loop->stop();
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id()) impl_->thread.join();
}

ClientStatus Client::status() const {
  std::lock_guard lock(impl_->status_mutex);
  return impl_->status;
}

}  // namespace httvps::client
