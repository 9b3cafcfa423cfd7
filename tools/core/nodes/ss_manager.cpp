#include "core/nodes/ss_manager.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hostport.hpp"

namespace httvps::nodes {
namespace {

Failure bad_answer(std::string what) { return Failure(ExitCode::kTempFail, "ss-manager: " + std::move(what)); }

// nlohmann/json refuses to write invalid UTF-8 (it throws): such a password cannot be sent.
bool is_utf8(std::string_view s) {
  try {
    (void)nlohmann::json(std::string(s)).dump();
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// At most 80 bytes of an answer, non-printable bytes as '?', for error messages.
std::string excerpt(std::string_view s) {
  std::string out(s.substr(0, 80));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return s.size() > 80 ? out + "..." : out;
}

// A decimal port 1..65535 without sign, spaces or leading zeros, or nullopt.
std::optional<int> port_from_text(std::string_view s) {
  if (s.empty() || s.size() > 5 || s[0] == '0') return std::nullopt;
  int port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return std::nullopt;
  return port;
}

void validate_port(int port) {
  if (port < 1 || port > 65535) throw usage_error("ss-manager port " + std::to_string(port) + " is outside 1..65535", "port");
}

}  // namespace

void validate_ss_manager_key(const SsManagerKey& key) {
  validate_port(key.port);
  if (key.password.empty()) throw usage_error("ss-manager port " + std::to_string(key.port) + ": empty password", "password");
  if (key.password.size() > 127 || has_control(key.password) || !is_utf8(key.password)) {
    throw usage_error("ss-manager port " + std::to_string(key.port) +
                          ": the password must be 1..127 bytes of UTF-8 without control characters",
                      "password");
  }
  if (key.method.size() > 63 || has_control(key.method) || !is_utf8(key.method)) {
    throw usage_error("ss-manager port " + std::to_string(key.port) + ": malformed method", "method");
  }
}

SsManagerPlan plan_ss_manager_changes(const std::vector<SsManagerKey>& desired,
                                      const std::vector<SsManagerPort>& current) {
  std::map<int, const SsManagerKey*> want;
  for (const auto& key : desired) {
    validate_ss_manager_key(key);
    if (!want.emplace(key.port, &key).second) {
      throw conflict("two keys want ss-manager port " + std::to_string(key.port), "port");
    }
  }
  std::map<int, const SsManagerPort*> have;
  for (const auto& port : current) have.emplace(port.port, &port);

  SsManagerPlan plan;
  for (const auto& [port, key] : want) {
    auto it = have.find(port);
    if (it == have.end()) {
      plan.adds.push_back(*key);
      continue;
    }
    const SsManagerPort& now = *it->second;
    bool password_differs = now.password && *now.password != key->password;
    // An empty desired method means "the manager's default": a listed method cannot be compared.
    bool method_differs = now.method && !key->method.empty() && *now.method != key->method;
    if (password_differs || method_differs) plan.adds.push_back(*key);
  }
  for (const auto& [port, now] : have) {
    if (!want.count(port)) plan.removes.push_back(port);
  }
  return plan;
}

std::string ss_manager_add_command(const SsManagerKey& key) {
  validate_ss_manager_key(key);
  nlohmann::json body = {{"server_port", key.port}, {"password", key.password}};
  if (!key.method.empty()) body["method"] = key.method;
  return "add: " + body.dump();
}

std::string ss_manager_remove_command(int port) {
  validate_port(port);
  return "remove: " + nlohmann::json{{"server_port", port}}.dump();
}

std::map<int, std::uint64_t> parse_ss_manager_stat(std::string_view answer) {
  constexpr std::string_view kPrefix = "stat:";
  if (answer.substr(0, kPrefix.size()) != kPrefix) {
    throw bad_answer("the ping answer does not start with 'stat:': '" + excerpt(answer) + "'");
  }
  auto body = nlohmann::json::parse(answer.substr(kPrefix.size()), nullptr, false);
  if (body.is_discarded()) throw bad_answer("the stat answer is not JSON: '" + excerpt(answer) + "'");
  if (!body.is_object()) throw bad_answer("the stat answer is not a JSON object");
  std::map<int, std::uint64_t> counters;
  for (const auto& [name, value] : body.items()) {
    auto port = port_from_text(name);
    if (!port) throw bad_answer("the stat answer has a key that is not a port: '" + excerpt(name) + "'");
    if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      throw bad_answer("the stat answer's counter for port " + name + " is not a non-negative integer");
    }
    counters[*port] = value.get<std::uint64_t>();
  }
  return counters;
}

std::vector<SsManagerPort> parse_ss_manager_list(std::string_view answer) {
  auto body = nlohmann::json::parse(answer, nullptr, false);
  if (body.is_discarded()) throw bad_answer("the list answer is not JSON (a truncated list is, with many ports)");
  if (!body.is_array()) throw bad_answer("the list answer is not a JSON array");
  std::vector<SsManagerPort> ports;
  std::set<int> seen;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto& item = body[i];
    const std::string where = "list entry " + std::to_string(i);
    if (!item.is_object()) throw bad_answer(where + " is not an object");
    if (!item.contains("server_port")) throw bad_answer(where + " has no server_port");
    const auto& p = item["server_port"];
    std::optional<int> port;
    if (p.is_string()) port = port_from_text(p.get<std::string>());
    if (p.is_number_integer() && p.get<std::int64_t>() >= 1 && p.get<std::int64_t>() <= 65535) {
      port = static_cast<int>(p.get<std::int64_t>());
    }
    if (!port) throw bad_answer(where + " has a server_port that is not a port");
    if (!seen.insert(*port).second) throw bad_answer("the list answer names port " + std::to_string(*port) + " twice");
    SsManagerPort out{*port, std::nullopt, std::nullopt};
    if (item.contains("password")) {
      if (!item["password"].is_string()) throw bad_answer(where + " has a password that is not a string");
      out.password = item["password"].get<std::string>();
    }
    if (item.contains("method")) {
      if (!item["method"].is_string()) throw bad_answer(where + " has a method that is not a string");
      out.method = item["method"].get<std::string>();
    }
    ports.push_back(std::move(out));
  }
  return ports;
}

void check_ss_manager_ok(std::string_view command, std::string_view answer) {
  if (answer == "ok") return;
  throw bad_answer(std::string(command) + " answered '" + excerpt(answer) + "' instead of 'ok'");
}

SsManagerClient::SsManagerClient(SsManagerOptions options) : options_(std::move(options)) {
  const std::string& address = options_.address;
  if (address.find('/') != std::string::npos) {
    sockaddr_un peer{};
    if (address.size() >= sizeof(peer.sun_path)) throw config_error("ss-manager socket path '" + address + "' is too long");
    peer.sun_family = AF_UNIX;
    std::memcpy(peer.sun_path, address.data(), address.size());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw Failure(ExitCode::kTempFail, "ss-manager: cannot make a socket: " + std::string(std::strerror(errno)));
    sockaddr_un self{};
    self.sun_family = AF_UNIX;
    // Binding only the family autobinds a unique abstract name: the manager answers to it.
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&self), sizeof(sa_family_t)) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0) {
      int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw Failure(ExitCode::kTempFail, "ss-manager: cannot reach '" + address + "': " + std::strerror(err));
    }
    return;
  }
  auto hp = parse_host_port(address);
  if (!hp || hp->port == 0) {
    throw config_error("ss-manager address '" + address + "' is neither a socket path nor host:port");
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(hp->port);
  if (::getaddrinfo(hp->host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    throw Failure(ExitCode::kTempFail, "ss-manager: cannot resolve '" + hp->host + "'");
  }
  fd_ = ::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int err = errno;
  if (fd_ >= 0 && ::connect(fd_, found->ai_addr, found->ai_addrlen) != 0) {
    err = errno;
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) throw Failure(ExitCode::kTempFail, "ss-manager: cannot reach '" + address + "': " + std::strerror(err));
}

SsManagerClient::~SsManagerClient() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SsManagerClient::request(std::string_view command, std::string_view name) {
  char buf[65536];
  // A late answer to an earlier timed-out command would otherwise be taken for this one's.
  while (::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) >= 0) {
  }
  const std::string at = " (ss-manager at " + options_.address + ")";
  if (::send(fd_, command.data(), command.size(), 0) != static_cast<ssize_t>(command.size())) {
    throw Failure(ExitCode::kTempFail, "ss-manager: cannot send " + std::string(name) + ": " + std::strerror(errno) + at);
  }
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
    if (errno == EAGAIN || errno == EINTR) continue;
    // ECONNREFUSED: nothing listens (UDP's ICMP answer or a Unix socket without a reader).
    throw Failure(ExitCode::kTempFail, "ss-manager: " + std::string(name) + " failed: " + std::strerror(errno) + at);
  }
  throw Failure(ExitCode::kTempFail, "ss-manager: no answer to " + std::string(name) + " within " +
                                         std::to_string(options_.timeout.count()) + " ms" + at);
}

void SsManagerClient::add(const SsManagerKey& key) {
  const std::string name = "add of port " + std::to_string(key.port);
  const std::string command = ss_manager_add_command(key);
  std::string answer = request(command, name);
  for (int i = 0; i < options_.add_retries && answer == "port is not available"; ++i) {
    std::this_thread::sleep_for(options_.add_retry_delay);
    answer = request(command, name);
  }
  check_ss_manager_ok(name, answer);
}

void SsManagerClient::remove(int port) {
  const std::string name = "remove of port " + std::to_string(port);
  check_ss_manager_ok(name, request(ss_manager_remove_command(port), name));
}

std::map<int, std::uint64_t> SsManagerClient::ping() { return parse_ss_manager_stat(request("ping", "ping")); }

std::vector<SsManagerPort> SsManagerClient::list() { return parse_ss_manager_list(request("list", "list")); }

void SsManagerClient::apply(const SsManagerPlan& plan) {
  for (int port : plan.removes) remove(port);
  for (const auto& key : plan.adds) add(key);
}

}  // namespace httvps::nodes
