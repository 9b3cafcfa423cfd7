#pragma once
// A client for shadowsocks-libev's ss-manager control interface (man ss-manager, PROTOCOL):
// one UDP datagram per command, on a Unix datagram socket or a UDP host:port, one datagram
// back. The commands are `add: {"server_port": N, "password": "..."}` and
// `remove: {"server_port": N}` (both answer "ok"; add may answer "port is not available" or
// "err"), `ping` (answers `stat: {"PORT": BYTES, ...}`, the traffic counters of every port
// since it was added) and `list` (a JSON array of the ports with their passwords).
//
// Parsing and planning are pure functions; SsManagerClient only moves datagrams. Every
// answer is validated; a bad or missing answer is a Failure (kTempFail) whose message names
// what was wrong. Passwords never appear in messages.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace httvps::nodes {

// One port the node should serve: the port, its password, and optionally a cipher other
// than the one ss-manager was started with (empty: ss-manager's -m).
struct SsManagerKey {
  int port = 0;
  std::string password{};
  std::string method{};
  bool operator==(const SsManagerKey&) const = default;
};

// One port the manager serves now. `password` and `method` are known only from `list`;
// from `ping` only the port is.
struct SsManagerPort {
  int port = 0;
  std::optional<std::string> password{};
  std::optional<std::string> method{};
  bool operator==(const SsManagerPort&) const = default;
};

struct SsManagerPlan {
  std::vector<SsManagerKey> adds{};  // ascending port; ss-manager's add replaces a running port
  std::vector<int> removes{};        // ascending
  bool empty() const { return adds.empty() && removes.empty(); }
};

// Throws Failure(kUsage, field "port"/"password"/"method") when KEY cannot be sent to
// ss-manager: a port outside 1..65535, an empty password or one over 127 bytes (ss-manager
// keeps 128 bytes with the terminator), control characters, a method over 63 bytes.
void validate_ss_manager_key(const SsManagerKey& key);

// What to send so that the manager serves exactly DESIRED: adds for ports it lacks or whose
// known password/method differ, removes for ports nobody wants. Throws Failure(kConflict,
// "port") when two desired keys share a port, and validate_ss_manager_key's Failure. Pure.
SsManagerPlan plan_ss_manager_changes(const std::vector<SsManagerKey>& desired,
                                      const std::vector<SsManagerPort>& current);

// The command datagrams. Pure; they validate like validate_ss_manager_key.
std::string ss_manager_add_command(const SsManagerKey& key);
std::string ss_manager_remove_command(int port);

// Parses a `ping` answer: "stat: " and a JSON object of decimal port → non-negative integer
// byte count. Throws Failure(kTempFail) naming the fault. Pure.
std::map<int, std::uint64_t> parse_ss_manager_stat(std::string_view answer);

// Parses a `list` answer: a JSON array of {"server_port": "N" or N, "password", "method"}.
// Throws Failure(kTempFail) naming the fault (never quoting a password). Pure.
std::vector<SsManagerPort> parse_ss_manager_list(std::string_view answer);

// Checks the answer to add/remove: "ok" passes; anything else is a Failure(kTempFail) that
// quotes at most 80 printable bytes of it. Pure.
void check_ss_manager_ok(std::string_view command, std::string_view answer);

struct SsManagerOptions {
  // "/path/to/manager.sock" (anything containing '/') or "host:port" / "[v6]:port" for UDP.
  std::string address{};
  std::chrono::milliseconds timeout{2000};  // per command, for the answer to arrive
  // ss-manager's add of a running port stops the old ss-server and starts a new one at once;
  // the old one may still hold the port, and the add answers "port is not available". Such
  // an add is tried again this many times, this far apart.
  int add_retries = 5;
  std::chrono::milliseconds add_retry_delay{200};
};

class SsManagerClient {
 public:
  // Opens the socket. Throws Failure(kConfig) on a malformed address, Failure(kTempFail)
  // when the socket cannot be made. A Unix socket binds an autobound abstract name so the
  // manager can answer.
  explicit SsManagerClient(SsManagerOptions options);
  ~SsManagerClient();
  SsManagerClient(const SsManagerClient&) = delete;
  SsManagerClient& operator=(const SsManagerClient&) = delete;

  // Adds or replaces KEY's port; retries "port is not available" (see SsManagerOptions).
  void add(const SsManagerKey& key);
  void remove(int port);
  std::map<int, std::uint64_t> ping();
  std::vector<SsManagerPort> list();
  // Applies PLAN: removes first, then adds. Stops at the first failure (throws).
  void apply(const SsManagerPlan& plan);

  // Sends COMMAND as one datagram and returns the one answer. Stale datagrams left over from
  // an earlier timed-out command are discarded first. Throws Failure(kTempFail) on a send
  // error or when no answer arrives within the timeout; NAME labels the command in messages.
  std::string request(std::string_view command, std::string_view name);

 private:
  SsManagerOptions options_;
  int fd_ = -1;
};

}  // namespace httvps::nodes
