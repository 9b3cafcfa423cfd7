#include "net/endpoint.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace httvps::net {

namespace {

constexpr std::uint32_t kSocketEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
constexpr std::size_t kSealBatch = 4 * tunnel::kMaxPayloadSize;

// Scratch for ciphertext, shared by every endpoint of a thread (one read at a time).
std::vector<std::uint8_t>& scratch() {
  thread_local std::vector<std::uint8_t> buffer(256 * 1024);
  return buffer;
}

// A connected socket, shared by the accepted-socket and the connecting endpoints.
class SocketEndpoint : public Endpoint, public Handler {
 public:
  SocketEndpoint(EventLoop& loop, int fd, std::string description) noexcept
      : loop_(loop), fd_(fd), description_(std::move(description)) {}
  ~SocketEndpoint() override { close_fd(); }

  void start(EndpointEvents* events) noexcept override {
    events_ = events;
    if (!loop_.add(fd_, kSocketEvents, this)) {
      events_->endpoint_failed(tunnel::StreamReason::kUpstream, "epoll refused the socket");
      return;
    }
    events_->endpoint_ready();
  }

  IoResult read(std::span<std::uint8_t> out) noexcept override { return read_some(fd_, out); }
  IoResult write(std::span<const std::uint8_t> in) noexcept override { return write_some(fd_, in); }
  void shutdown_write() noexcept override {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }
  void close() noexcept override {
    events_ = nullptr;
    close_fd();
  }
  std::string describe() const noexcept override { return description_; }

  void on_io(std::uint32_t events) noexcept override {
    if (events_ == nullptr) return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) events_->endpoint_readable();
    if (events_ != nullptr && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) events_->endpoint_writable();
  }

 protected:
  void close_fd() noexcept {
    if (fd_ >= 0) {
      loop_.remove(fd_);
      ::close(fd_);
      fd_ = -1;
    }
  }

  EventLoop& loop_;
  int fd_;
  std::string description_;
  EndpointEvents* events_ = nullptr;
};

// Connects through a list of hops, with Shadowsocks on hops that ask for it.
class ConnectEndpoint final : public SocketEndpoint {
 public:
  ConnectEndpoint(EventLoop& loop, std::vector<Hop> hops, const tunnel::TargetAddress& target,
                  ConnectOptions options) noexcept
      : SocketEndpoint(loop, -1, tunnel::format_target_address(target)),
        hops_(std::move(hops)),
        target_(target),
        options_(std::move(options)) {}
  ~ConnectEndpoint() override { loop_.cancel_timer(timer_); }

  void start(EndpointEvents* events) noexcept override {
    events_ = events;
    next_hop();
  }

  IoResult read(std::span<std::uint8_t> out) noexcept override {
    if (!ss_) return read_some(fd_, out);
    for (;;) {
      if (plain_off_ < plain_.size()) {
        std::size_t n = std::min(out.size(), plain_.size() - plain_off_);
        std::memcpy(out.data(), plain_.data() + plain_off_, n);
        plain_off_ += n;
        if (plain_off_ == plain_.size()) {
          plain_.clear();
          plain_off_ = 0;
        }
        return {IoStatus::kOk, n};
      }
      auto& buf = scratch();
      std::size_t want = std::min(buf.size(), std::max<std::size_t>(out.size(), 64));
      IoResult r = read_some(fd_, {buf.data(), want});
      if (r.status != IoStatus::kOk) return r;
      if (decryptor_->feed({buf.data(), r.n}, plain_) != tunnel::DecryptStatus::kOk) {
        return {IoStatus::kError, 0};
      }
    }
  }

  IoResult write(std::span<const std::uint8_t> in) noexcept override {
    if (!ss_) return write_some(fd_, in);
    IoResult f = flush_cipher();
    if (f.status != IoStatus::kOk) return f;
    if (cipher_off_ < cipher_.size()) return {IoStatus::kWantWrite, 0};
    std::size_t n = std::min(in.size(), kSealBatch);
    encryptor_->seal(in.first(n), cipher_);
    f = flush_cipher();
    if (f.status == IoStatus::kError) return f;
    return {IoStatus::kOk, n};
  }

  void shutdown_write() noexcept override {
    if (ss_ && cipher_off_ < cipher_.size()) {
      shut_pending_ = true;  // after the sealed bytes have gone
      return;
    }
    SocketEndpoint::shutdown_write();
  }

  void on_io(std::uint32_t events) noexcept override {
    if (events_ == nullptr) return;
    if (connecting_) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      int err = connect_result(fd_);
      if (err != 0) {
        hop_failed(std::strerror(err), err == ECONNREFUSED ? tunnel::StreamReason::kRefused
                                                           : tunnel::StreamReason::kUnreachable);
        return;
      }
      connected();
      return;
    }
    if (ss_ && (events & EPOLLOUT) && cipher_off_ < cipher_.size()) {
      if (flush_cipher().status == IoStatus::kError) {
        events_->endpoint_failed(tunnel::StreamReason::kUpstream, "write to the node failed");
        return;
      }
      if (shut_pending_ && cipher_off_ == cipher_.size()) {
        shut_pending_ = false;
        SocketEndpoint::shutdown_write();
      }
    }
    SocketEndpoint::on_io(events);
  }

 private:
  IoResult flush_cipher() noexcept {
    while (cipher_off_ < cipher_.size()) {
      IoResult r = write_some(fd_, {cipher_.data() + cipher_off_, cipher_.size() - cipher_off_});
      if (r.status != IoStatus::kOk) return r.status == IoStatus::kWantWrite ? IoResult{IoStatus::kOk, 0} : r;
      cipher_off_ += r.n;
    }
    cipher_.clear();
    cipher_off_ = 0;
    return {IoStatus::kOk, 0};
  }

  void next_hop() noexcept {
    while (hop_ < hops_.size()) {
      const Hop& hop = hops_[hop_];
      std::string error;
      fd_ = connect_tcp(hop.address, error);
      if (fd_ < 0) {
        hop_failed(error, tunnel::StreamReason::kUnreachable);
        return;
      }
      tune_socket(fd_, true);
      if (!loop_.add(fd_, kSocketEvents, this)) {
        hop_failed("epoll refused the socket", tunnel::StreamReason::kUpstream);
        return;
      }
      connecting_ = true;
      timer_ = loop_.add_timer(options_.timeout, [this] {
        timer_ = 0;
        hop_failed("connect timed out", tunnel::StreamReason::kTimeout);
      });
      return;
    }
    auto reason = hops_.size() > 1 ? tunnel::StreamReason::kUpstream : last_reason_;
    if (events_ != nullptr) events_->endpoint_failed(reason, "no upstream answered: " + last_error_);
  }

  void hop_failed(const std::string& why, tunnel::StreamReason reason) noexcept {
    loop_.cancel_timer(timer_);
    timer_ = 0;
    close_fd();
    connecting_ = false;
    if (hop_ < hops_.size()) {
      last_error_ = hops_[hop_].name + ": " + why;
      if (options_.on_hop_failure) options_.on_hop_failure(hops_[hop_].name, why);
    }
    last_reason_ = reason;
    ++hop_;
    // Out of the event handler: a failure in start() must not call back re-entrantly.
    loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired() && events_ != nullptr) next_hop();
    });
  }

  void connected() noexcept {
    loop_.cancel_timer(timer_);
    timer_ = 0;
    connecting_ = false;
    const Hop& hop = hops_[hop_];
    description_ = hop.name + " (" + hop.address.to_string() + ") for " + description_;
    if (hop.shadowsocks) {
      auto enc = tunnel::AeadEncryptor::create(hop.cipher, hop.key);
      auto dec = tunnel::AeadDecryptor::create(hop.cipher, hop.key);
      std::vector<std::uint8_t> header;
      if (!enc || !dec || !tunnel::append_target_address(header, target_)) {
        events_->endpoint_failed(tunnel::StreamReason::kUpstream, "cannot set up Shadowsocks for " + hop.name);
        return;
      }
      encryptor_.emplace(std::move(*enc));
      decryptor_.emplace(std::move(*dec));
      ss_ = true;
      encryptor_->seal(header, cipher_);
      if (flush_cipher().status == IoStatus::kError) {
        events_->endpoint_failed(tunnel::StreamReason::kUpstream, "write to the node failed");
        return;
      }
    }
    events_->endpoint_ready();
  }

  std::size_t connected_hop() const noexcept override { return connecting_ || hop_ >= hops_.size() ? kNoHop : hop_; }

  std::vector<Hop> hops_;
  tunnel::TargetAddress target_;
  ConnectOptions options_;
  std::size_t hop_ = 0;
  bool connecting_ = false;
  EventLoop::TimerId timer_ = 0;
  std::string last_error_ = "no node";
  tunnel::StreamReason last_reason_ = tunnel::StreamReason::kUpstream;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  bool ss_ = false;
  std::optional<tunnel::AeadEncryptor> encryptor_;
  std::optional<tunnel::AeadDecryptor> decryptor_;
  std::vector<std::uint8_t> cipher_;  // sealed bytes not yet written
  std::size_t cipher_off_ = 0;
  std::vector<std::uint8_t> plain_;   // opened bytes not yet read
  std::size_t plain_off_ = 0;
  bool shut_pending_ = false;
};

// Echo and discard: no socket; readiness is signalled from the loop.
class LocalEndpoint final : public Endpoint {
 public:
  LocalEndpoint(EventLoop& loop, bool echo, std::size_t limit) noexcept : loop_(loop), echo_(echo), limit_(limit) {}

  void start(EndpointEvents* events) noexcept override {
    events_ = events;
    events_->endpoint_ready();
  }
  IoResult read(std::span<std::uint8_t> out) noexcept override {
    if (off_ < buffer_.size()) {
      std::size_t n = std::min(out.size(), buffer_.size() - off_);
      std::memcpy(out.data(), buffer_.data() + off_, n);
      off_ += n;
      if (off_ == buffer_.size()) {
        buffer_.clear();
        off_ = 0;
      }
      if (full_) {
        full_ = false;
        notify(false);
      }
      return {IoStatus::kOk, n};
    }
    return shut_ ? IoResult{IoStatus::kEof, 0} : IoResult{IoStatus::kWantRead, 0};
  }
  IoResult write(std::span<const std::uint8_t> in) noexcept override {
    if (!echo_) return {IoStatus::kOk, in.size()};
    std::size_t room = limit_ > buffer_.size() - off_ ? limit_ - (buffer_.size() - off_) : 0;
    if (room == 0) {
      full_ = true;
      return {IoStatus::kWantWrite, 0};
    }
    std::size_t n = std::min(room, in.size());
    buffer_.insert(buffer_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    notify(true);
    return {IoStatus::kOk, n};
  }
  void shutdown_write() noexcept override {
    shut_ = true;
    notify(true);
  }
  void close() noexcept override { events_ = nullptr; }
  std::string describe() const noexcept override { return echo_ ? "echo" : "discard"; }

 private:
  void notify(bool readable) noexcept {
    loop_.defer([this, readable, alive = std::weak_ptr<bool>(alive_)] {
      if (alive.expired() || events_ == nullptr) return;
      if (readable) {
        events_->endpoint_readable();
      } else {
        events_->endpoint_writable();
      }
    });
  }

  EventLoop& loop_;
  bool echo_;
  std::size_t limit_;
  EndpointEvents* events_ = nullptr;
  std::vector<std::uint8_t> buffer_;
  std::size_t off_ = 0;
  bool full_ = false;
  bool shut_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<Endpoint> make_socket_endpoint(EventLoop& loop, int fd, std::string description) noexcept {
  return std::make_unique<SocketEndpoint>(loop, fd, std::move(description));
}

std::unique_ptr<Endpoint> make_connect_endpoint(EventLoop& loop, std::vector<Hop> hops,
                                                const tunnel::TargetAddress& target, ConnectOptions options) noexcept {
  return std::make_unique<ConnectEndpoint>(loop, std::move(hops), target, std::move(options));
}

std::unique_ptr<Endpoint> make_echo_endpoint(EventLoop& loop, std::size_t limit) noexcept {
  return std::make_unique<LocalEndpoint>(loop, true, limit);
}

std::unique_ptr<Endpoint> make_discard_endpoint(EventLoop& loop) noexcept {
  return std::make_unique<LocalEndpoint>(loop, false, 0);
}

}  // namespace httvps::net
