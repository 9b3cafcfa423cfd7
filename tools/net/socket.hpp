#pragma once
// Non-blocking TCP sockets: listening, connecting, reading and writing with one result
// type. Pure POSIX; nothing throws.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace httvps::net {

enum class IoStatus : std::uint8_t {
  kOk,         // N bytes moved (N > 0)
  kWantRead,   // nothing now: wait for the fd to become readable
  kWantWrite,  // nothing now: wait for the fd to become writable
  kEof,        // the peer closed its sending side (reads only)
  kError,      // the connection is broken
};

struct IoResult {
  IoStatus status = IoStatus::kOk;
  std::size_t n = 0;
};

// A resolved socket address.
struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  // "127.0.0.1:8443", "[::1]:8443".
  std::string to_string() const noexcept;
};

// Parses a numeric IPv4 or IPv6 address (no brackets) and PORT. nullopt for names.
std::optional<Address> numeric_address(std::string_view host, std::uint16_t port) noexcept;

// Resolves HOST (numeric or a name; blocking getaddrinfo, so never on a loop thread) to its
// first address. nullopt with ERROR set on failure.
std::optional<Address> resolve(const std::string& host, std::uint16_t port, std::string& error) noexcept;

// True for loopback, private (RFC 1918, RFC 4193), link-local, unspecified, CGNAT
// (100.64/10) and multicast addresses: the targets gateway.allow_private_targets guards.
bool is_private_address(const Address& address) noexcept;

// A non-blocking listening socket with SO_REUSEADDR (and SO_REUSEPORT when REUSE_PORT, so
// that several loops can each listen on the same port). -1 with ERROR set on failure.
int listen_tcp(const Address& address, bool reuse_port, std::string& error) noexcept;

// Accepts one connection, non-blocking and close-on-exec. -1 when none is waiting (errno
// EAGAIN) or on error.
int accept_tcp(int listen_fd, Address* peer) noexcept;

// Starts a non-blocking connect. Returns the fd (the connect completes when it becomes
// writable: check connect_result), or -1 with ERROR set.
int connect_tcp(const Address& address, std::string& error) noexcept;
// 0 when the connect finished, else the errno it failed with.
int connect_result(int fd) noexcept;

// TCP_NODELAY, and larger kernel buffers when BIG_BUFFERS.
void tune_socket(int fd, bool big_buffers) noexcept;

// read()/write() as IoResults. A write that would raise SIGPIPE returns kError instead.
IoResult read_some(int fd, std::span<std::uint8_t> out) noexcept;
IoResult write_some(int fd, std::span<const std::uint8_t> in) noexcept;

// Raises the soft limit of open files to the hard limit (a gateway holds two sockets per
// stream). Returns the new soft limit.
std::uint64_t raise_fd_limit() noexcept;

// The local address a socket is bound to (a port of 0 picked one).
std::optional<Address> local_address(int fd) noexcept;

}  // namespace httvps::net
