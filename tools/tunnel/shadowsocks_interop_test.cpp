// Interoperability with the real node software: shadowsocks-libev's ss-server relays our
// sealed stream to a local echo server and seals the echo back. Everything listens on
// 127.0.0.1 port 0 (ss-server gets a port found free just before it starts, retried if
// another process takes it first), and every socket has a timeout, so nothing hangs.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "tunnel/shadowsocks.hpp"

extern char** environ;

#ifndef HTTVPS_SS_SERVER
#define HTTVPS_SS_SERVER "/usr/bin/ss-server"
#endif

using namespace httvps::tunnel;
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

void set_timeouts(int fd, std::chrono::milliseconds t) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(t.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A socket bound to 127.0.0.1:0 (listening when LISTEN) and the port it got.
std::pair<Fd, std::uint16_t> bind_loopback(bool listen) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(0);
  if (fd.get() < 0 || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (listen && ::listen(fd.get(), 16) != 0)) {
    return {Fd(), 0};
  }
  socklen_t len = sizeof a;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len);
  return {std::move(fd), ntohs(a.sin_port)};
}

Fd connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  set_timeouts(fd.get(), timeout);
  sockaddr_in a = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fd();
  return fd;
}

bool send_all(int fd, const Bytes& data) {
  std::size_t at = 0;
  while (at < data.size()) {
    const ssize_t n = ::send(fd, data.data() + at, data.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

// Echoes every connection back until the peer closes; counts the connections it accepted.
class EchoServer {
 public:
  EchoServer() {
    std::tie(listen_, port_) = bind_loopback(true);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    for (auto& t : connections_) t.join();
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stop_ && listen_.get() >= 0) {
      pollfd p{listen_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { echo(fd); });
    }
  }
  void echo(int raw) {
    Fd fd(raw);
    std::vector<std::uint8_t> buf(64 * 1024);
    while (!stop_) {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
      if (n <= 0) return;
      if (!send_all(fd.get(), Bytes(buf.begin(), buf.begin() + n))) return;
    }
  }

  Fd listen_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::vector<std::thread> connections_;  // touched by the accept thread only until join
};

// ss-server on a free loopback port, terminated (and reaped) when this goes out of scope.
class SsServer {
 public:
  SsServer(std::string_view method, std::string_view password) {
    char log_template[] = "/tmp/httvps-ss-server-XXXXXX";
    const int log_fd = ::mkstemp(log_template);
    log_path_ = log_template;
    if (log_fd >= 0) ::close(log_fd);
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) start(method, password);
  }
  ~SsServer() {
    stop();
    ::unlink(log_path_.c_str());
  }
  SsServer(const SsServer&) = delete;
  SsServer& operator=(const SsServer&) = delete;

  bool ready() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void start(std::string_view method, std::string_view password) {
    // The port is free now; if someone else takes it before ss-server binds, ss-server
    // exits and the next attempt picks another.
    port_ = bind_loopback(false).second;
    if (port_ == 0) return;
    const std::string port_text = std::to_string(port_);
    std::vector<std::string> args{HTTVPS_SS_SERVER, "-s", "127.0.0.1", "-p", port_text, "-k", std::string(password),
                                  "-m", std::string(method), "-t", "10"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_APPEND, 0);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return;
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it died, most likely on bind
        pid_ = -1;
        return;
      }
      if (connect_loopback(port_, 200ms).get() >= 0) return;  // accepting
      std::this_thread::sleep_for(20ms);
    }
    stop();
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
};

bool ss_server_installed() { return ::access(HTTVPS_SS_SERVER, X_OK) == 0; }

}  // namespace

TEST_CASE("shadowsocks streams round-trip through shadowsocks-libev's ss-server", "[shadowsocks][interop]") {
  REQUIRE(ss_server_installed());  // shadowsocks-libev provides it
  const Cipher cipher = GENERATE(Cipher::kChacha20IetfPoly1305, Cipher::kAes256Gcm, Cipher::kAes128Gcm);
  INFO(cipher_name(cipher));
  const std::string password = "interop-test-password";
  EchoServer echo;
  REQUIRE(echo.port() != 0);
  SsServer server(cipher_name(cipher), password);
  INFO(server.log());
  REQUIRE(server.ready());

  std::mt19937 rng(static_cast<unsigned>(echo.port()));
  Bytes payload{'h', 'e', 'l', 'l', 'o', ',', ' ', 'n', 'o', 'd', 'e'};
  for (int i = 0; i < 100 * 1024; ++i) payload.push_back(static_cast<std::uint8_t>(rng()));
  Bytes plain = encode_target("127.0.0.1", echo.port()).value();
  plain.insert(plain.end(), payload.begin(), payload.end());

  const Bytes key = password_to_key(password, key_size(cipher));
  auto enc = AeadEncryptor::create(cipher, key);
  auto dec = AeadDecryptor::create(cipher, key);
  REQUIRE((enc && dec));
  Bytes wire;
  enc->seal(plain, wire);

  Fd sock = connect_loopback(server.port(), 3s);
  REQUIRE(sock.get() >= 0);
  // Written from another thread so neither side can stall on a full socket buffer.
  std::atomic<bool> sent{false};
  std::thread writer([&] { sent = send_all(sock.get(), wire); });
  Bytes echoed;
  Bytes buf(16 * 1024);
  DecryptStatus status = DecryptStatus::kOk;
  while (echoed.size() < payload.size() && status == DecryptStatus::kOk) {
    const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);
    if (n <= 0) break;
    status = dec->feed(std::span(buf).first(static_cast<std::size_t>(n)), echoed);
  }
  writer.join();
  CHECK(sent);
  CHECK(status == DecryptStatus::kOk);
  CHECK(echoed.size() == payload.size());
  CHECK(echoed == payload);
  CHECK(echo.accepted() == 1);
}

TEST_CASE("ss-server relays nothing for a client with the wrong password", "[shadowsocks][interop]") {
  REQUIRE(ss_server_installed());
  const Cipher cipher = GENERATE(Cipher::kChacha20IetfPoly1305, Cipher::kAes256Gcm, Cipher::kAes128Gcm);
  INFO(cipher_name(cipher));
  EchoServer echo;
  SsServer server(cipher_name(cipher), "the-right-password");
  INFO(server.log());
  REQUIRE(server.ready());

  auto enc = AeadEncryptor::create(cipher, password_to_key("a-wrong-password", key_size(cipher)));
  REQUIRE(enc);
  Bytes plain = encode_target("127.0.0.1", echo.port()).value();
  for (char c : std::string_view("hello, node")) plain.push_back(static_cast<std::uint8_t>(c));
  Bytes wire;
  enc->seal(plain, wire);

  Fd sock = connect_loopback(server.port(), 1s);
  REQUIRE(sock.get() >= 0);
  (void)send_all(sock.get(), wire);  // may already fail if ss-server hung up
  Bytes buf(1024);
  const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), 0);  // closed, reset or timed out
  CHECK(n <= 0);
  CHECK(echo.accepted() == 0);
}
