#include "net/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace httvps::net {

std::string Address::to_string() const noexcept {
  char host[INET6_ADDRSTRLEN] = "?";
  std::uint16_t port = 0;
  if (family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "?";
}

std::optional<Address> numeric_address(std::string_view host, std::uint16_t port) noexcept {
  std::string text(host);
  Address out;
  sockaddr_in in{};
  if (inet_pton(AF_INET, text.c_str(), &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&out.storage, &in, sizeof in);
    out.length = sizeof in;
    return out;
  }
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET6, text.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&out.storage, &in6, sizeof in6);
    out.length = sizeof in6;
    return out;
  }
  return std::nullopt;
}

std::optional<Address> resolve(const std::string& host, std::uint16_t port, std::string& error) noexcept {
  if (auto numeric = numeric_address(host, port)) return numeric;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    error = std::string("cannot resolve '") + host + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  Address out;
  std::memcpy(&out.storage, result->ai_addr, result->ai_addrlen);
  out.length = result->ai_addrlen;
  freeaddrinfo(result);
  if (out.family() == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&out.storage)->sin_port = htons(port);
  } else if (out.family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&out.storage)->sin6_port = htons(port);
  }
  return out;
}

bool is_private_address(const Address& address) noexcept {
  if (address.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address.storage);
    std::uint32_t a = ntohl(in->sin_addr.s_addr);
    auto in_net = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
    return in_net(0x00000000, 8) || in_net(0x0A000000, 8) || in_net(0x7F000000, 8) || in_net(0xA9FE0000, 16) ||
           in_net(0xAC100000, 12) || in_net(0xC0A80000, 16) || in_net(0x64400000, 10) || in_net(0xE0000000, 4) ||
           a == 0xFFFFFFFF;
  }
  if (address.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    const std::uint8_t* b = in6->sin6_addr.s6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      Address v4;
      sockaddr_in in{};
      in.sin_family = AF_INET;
      std::memcpy(&in.sin_addr, b + 12, 4);
      std::memcpy(&v4.storage, &in, sizeof in);
      v4.length = sizeof in;
      return is_private_address(v4);
    }
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ||
           IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&in6->sin6_addr) ||
           (b[0] & 0xFE) == 0xFC;  // unique local fc00::/7
  }
  return true;
}

int listen_tcp(const Address& address, bool reuse_port, std::string& error) noexcept {
  int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, address.get(), address.length) != 0) {
    error = "cannot listen on " + address.to_string() + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  if (listen(fd, 4096) != 0) {
    error = "cannot listen on " + address.to_string() + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

int accept_tcp(int listen_fd, Address* peer) noexcept {
  Address a;
  a.length = sizeof a.storage;
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0 && peer != nullptr) *peer = a;
  return fd;
}

int connect_tcp(const Address& address, std::string& error) noexcept {
  int fd = socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (connect(fd, address.get(), address.length) != 0 && errno != EINPROGRESS) {
    error = "connect to " + address.to_string() + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

int connect_result(int fd) noexcept {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void tune_socket(int fd, bool big_buffers) noexcept {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (big_buffers) {
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
}

IoResult read_some(int fd, std::span<std::uint8_t> out) noexcept {
  for (;;) {
    ssize_t n = ::read(fd, out.data(), out.size());
    if (n > 0) return {IoStatus::kOk, static_cast<std::size_t>(n)};
    if (n == 0) return {IoStatus::kEof, 0};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantRead, 0};
    return {IoStatus::kError, 0};
  }
}

IoResult write_some(int fd, std::span<const std::uint8_t> in) noexcept {
  for (;;) {
    ssize_t n = ::send(fd, in.data(), in.size(), MSG_NOSIGNAL);
    if (n >= 0) return {IoStatus::kOk, static_cast<std::size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantWrite, 0};
    return {IoStatus::kError, 0};
  }
}

std::uint64_t raise_fd_limit() noexcept {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

std::optional<Address> local_address(int fd) noexcept {
  Address a;
  a.length = sizeof a.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &a.length) != 0) return std::nullopt;
  return a;
}

}  // namespace httvps::net
