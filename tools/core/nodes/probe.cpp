#include "core/nodes/probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/links.hpp"
#include "core/log.hpp"
#include "net/socket.hpp"
#include "tunnel/shadowsocks.hpp"

namespace httvps::nodes {
namespace {

using Clock = std::chrono::steady_clock;

struct Resolved {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string error;
};

Resolved resolve(const std::string& host, int port) {
  Resolved r;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    r.error = std::string("resolve: ") + gai_strerror(rc);
    return r;
  }
  std::memcpy(&r.addr, res->ai_addr, res->ai_addrlen);
  r.len = res->ai_addrlen;
  freeaddrinfo(res);
  return r;
}

// Resolves every distinct host:port with at most 16 threads at once.
std::map<std::string, Resolved> resolve_all(const std::vector<ProbeTarget>& targets) {
  std::vector<std::pair<std::string, int>> keys;
  for (const auto& t : targets) keys.emplace_back(t.host, t.port);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::map<std::string, Resolved> out;
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < keys.size(); i = next++) {
      Resolved r = resolve(keys[i].first, keys[i].second);
      std::lock_guard<std::mutex> lock(mu);
      out[keys[i].first + "\n" + std::to_string(keys[i].second)] = std::move(r);
    }
  };
  std::vector<std::thread> pool;
  const std::size_t n = std::min<std::size_t>(16, keys.size());
  for (std::size_t i = 0; i < n; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  return out;
}

std::string http_get(const HostPort& canary) {
  return "GET / HTTP/1.1\r\nHost: " + format_host_port(canary) + "\r\nUser-Agent: httvps-rotate-nodes\r\n"
         "Connection: close\r\n\r\n";
}

bool hex_value(char c, int& v) {
  if (c >= '0' && c <= '9') v = c - '0';
  else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
  else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
  else return false;
  return true;
}

// An HTTP status line at the start of TEXT: "HTTP/1.x NNN".
enum class Http { kMore, kYes, kNo };
Http http_status(const std::vector<std::uint8_t>& text) {
  static const std::string prefix = "HTTP/";
  std::size_t n = std::min(text.size(), prefix.size());
  if (!std::equal(text.begin(), text.begin() + static_cast<long>(n), prefix.begin())) return Http::kNo;
  if (text.size() < 12) return Http::kMore;  // "HTTP/1.1 200"
  for (std::size_t i = 9; i < 12; ++i) {
    if (text[i] < '0' || text[i] > '9') return Http::kNo;
  }
  return Http::kYes;
}

struct Probe {
  enum class Step { kDone, kConnecting, kSending, kReading };
  const ProbeTarget* target = nullptr;
  ProbeResult result;
  Step step = Step::kDone;
  int fd = -1;
  std::vector<std::uint8_t> out;
  std::size_t sent = 0;
  std::vector<std::uint8_t> plain;  // what came back, decrypted (shadowsocks) or raw (vless)
  std::optional<tunnel::AeadDecryptor> decryptor;
  std::vector<std::uint8_t> vless_head;  // the VLESS answer's version and addons length
  std::size_t vless_skip = 0;       // addon bytes of the VLESS answer still to drop
  bool vless_header_seen = false;
};

void finish(Probe& p, bool ok, std::string error, Clock::time_point start) {
  if (p.fd >= 0) ::close(p.fd);
  p.fd = -1;
  p.step = Probe::Step::kDone;
  p.result.ok = ok;
  p.result.error = std::move(error);
  p.result.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Builds the request a connected probe sends; false with an error when it cannot.
bool build_request(Probe& p, const HostPort& canary, std::string& error) {
  const ProbeTarget& t = *p.target;
  const std::string get = http_get(canary);
  if (t.kind == ProbeTarget::Kind::kShadowsocks) {
    auto cipher = tunnel::parse_cipher(t.method);
    if (!cipher) {
      error = "shadowsocks: the probe does not speak the cipher '" + t.method + "'";
      return false;
    }
    auto key = tunnel::password_to_key(t.password, tunnel::key_size(*cipher));
    auto enc = tunnel::AeadEncryptor::create(*cipher, key);
    auto dec = tunnel::AeadDecryptor::create(*cipher, key);
    auto target = tunnel::encode_target(canary.host, canary.port);
    if (!enc || !dec || !target) {
      error = "shadowsocks: cannot set up the session";
      return false;
    }
    std::vector<std::uint8_t> first = *target;
    first.insert(first.end(), get.begin(), get.end());
    enc->seal(first, p.out);
    p.decryptor.emplace(std::move(*dec));
    return true;
  }
  p.out = vless_request_header(t.vless_uuid, canary);
  if (p.out.empty()) {
    error = "vless: the probe user or the canary is malformed";
    return false;
  }
  p.out.insert(p.out.end(), get.begin(), get.end());
  return true;
}

// Takes in bytes from the node; returns true when the probe is finished (p.result set).
bool take(Probe& p, const std::uint8_t* data, std::size_t n, Clock::time_point start) {
  if (p.decryptor) {
    if (p.decryptor->feed({data, n}, p.plain) != tunnel::DecryptStatus::kOk) {
      finish(p, false, "shadowsocks: the answer failed authentication (wrong secret or method?)", start);
      return true;
    }
  } else {
    std::size_t i = 0;
    // The answer opens with [version 0][addons length N][N bytes of addons].
    while (i < n && !p.vless_header_seen) {
      if (p.vless_head.size() < 2) {
        p.vless_head.push_back(data[i++]);
        if (p.vless_head.size() == 2) {
          if (p.vless_head[0] != 0) {
            finish(p, false, "vless: the answer's version byte is " + std::to_string(p.vless_head[0]) + ", not 0", start);
            return true;
          }
          p.vless_skip = p.vless_head[1];
          p.vless_header_seen = p.vless_skip == 0;
        }
      } else {
        std::size_t drop = std::min(p.vless_skip, n - i);
        p.vless_skip -= drop;
        i += drop;
        p.vless_header_seen = p.vless_skip == 0;
      }
    }
    if (p.vless_header_seen) p.plain.insert(p.plain.end(), data + i, data + n);
  }
  switch (http_status(p.plain)) {
    case Http::kYes: finish(p, true, "", start); return true;
    case Http::kNo: finish(p, false, "the canary's answer through the node is not HTTP", start); return true;
    case Http::kMore: return false;
  }
  return false;
}

}  // namespace

std::vector<std::uint8_t> vless_request_header(const std::string& uuid, const HostPort& canary) {
  if (!links::is_uuid(uuid) || canary.port == 0 || canary.host.empty()) return {};
  std::vector<std::uint8_t> out{0x00};
  int hi = 0;
  bool half = false;
  for (char c : uuid) {
    if (c == '-') continue;
    int v = 0;
    if (!hex_value(c, v)) return {};
    if (half) out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
    else hi = v;
    half = !half;
  }
  if (out.size() != 17) return {};
  out.push_back(0x00);  // no addons
  out.push_back(0x01);  // TCP
  out.push_back(static_cast<std::uint8_t>(canary.port >> 8));
  out.push_back(static_cast<std::uint8_t>(canary.port & 0xff));
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, canary.host.c_str(), &v4) == 1) {
    out.push_back(0x01);
    auto* b = reinterpret_cast<const std::uint8_t*>(&v4);
    out.insert(out.end(), b, b + 4);
  } else if (inet_pton(AF_INET6, canary.host.c_str(), &v6) == 1) {
    out.push_back(0x03);
    auto* b = reinterpret_cast<const std::uint8_t*>(&v6);
    out.insert(out.end(), b, b + 16);
  } else {
    if (canary.host.size() > 255) return {};
    out.push_back(0x02);
    out.push_back(static_cast<std::uint8_t>(canary.host.size()));
    out.insert(out.end(), canary.host.begin(), canary.host.end());
  }
  return out;
}

namespace {

// One wave: every target at once, in one poll() loop.
std::vector<ProbeResult> probe_wave(const std::vector<ProbeTarget>& targets, const std::optional<HostPort>& canary,
                                    std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  std::vector<Probe> probes(targets.size());
  auto addresses = resolve_all(targets);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    Probe& p = probes[i];
    p.target = &targets[i];
    p.result.checked = "tcp";
    if (targets[i].kind == ProbeTarget::Kind::kUnusable) {
      finish(p, false, targets[i].password, start);
      continue;
    }
    const Resolved& r = addresses[targets[i].host + "\n" + std::to_string(targets[i].port)];
    if (!r.error.empty()) {
      finish(p, false, r.error, start);
      continue;
    }
    p.fd = ::socket(r.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0) {
      finish(p, false, std::string("socket: ") + std::strerror(errno), start);
      continue;
    }
    if (::connect(p.fd, reinterpret_cast<const sockaddr*>(&r.addr), r.len) == 0 || errno == EINPROGRESS) {
      p.step = Probe::Step::kConnecting;
    } else {
      finish(p, false, std::string("connect: ") + std::strerror(errno), start);
    }
  }
  std::vector<pollfd> fds;
  std::vector<std::size_t> index;
  std::uint8_t buf[16384];
  for (;;) {
    fds.clear();
    index.clear();
    for (std::size_t i = 0; i < probes.size(); ++i) {
      const Probe& p = probes[i];
      if (p.step == Probe::Step::kDone) continue;
      short events = p.step == Probe::Step::kReading ? POLLIN : POLLOUT;
      fds.push_back({p.fd, events, 0});
      index.push_back(i);
    }
    if (fds.empty()) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      for (std::size_t i : index) {
        Probe& p = probes[i];
        const char* when = p.step == Probe::Step::kConnecting ? "connecting" : "waiting for the canary's answer";
        finish(p, false, "timed out after " + std::to_string(timeout.count()) + " ms " + when, start);
      }
      break;
    }
    const int wait_ms =
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    int rc = ::poll(fds.data(), fds.size(), wait_ms);
    if (rc < 0 && errno != EINTR) {
      for (std::size_t i : index) finish(probes[i], false, std::string("poll: ") + std::strerror(errno), start);
      break;
    }
    for (std::size_t k = 0; rc > 0 && k < fds.size(); ++k) {
      if (fds[k].revents == 0) continue;
      Probe& p = probes[index[k]];
      if (p.step == Probe::Step::kConnecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          finish(p, false, std::string("connect: ") + std::strerror(err), start);
          continue;
        }
        const bool deep = canary && p.target->kind != ProbeTarget::Kind::kTcp;
        if (!deep) {
          finish(p, true, "", start);
          continue;
        }
        std::string error;
        if (!build_request(p, *canary, error)) {
          finish(p, false, error, start);
          continue;
        }
        p.result.checked = p.target->kind == ProbeTarget::Kind::kShadowsocks ? "shadowsocks" : "vless";
        p.step = Probe::Step::kSending;
      }
      if (p.step == Probe::Step::kSending) {
        ssize_t n = ::send(p.fd, p.out.data() + p.sent, p.out.size() - p.sent, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          finish(p, false, std::string("send: ") + std::strerror(errno), start);
          continue;
        }
        if (n > 0) p.sent += static_cast<std::size_t>(n);
        if (p.sent == p.out.size()) p.step = Probe::Step::kReading;
        continue;
      }
      if (p.step == Probe::Step::kReading) {
        ssize_t n = ::recv(p.fd, buf, sizeof buf, 0);
        if (n == 0) {
          finish(p, false, "the node closed the connection before an HTTP status line came back", start);
        } else if (n < 0) {
          if (errno != EAGAIN && errno != EINTR) finish(p, false, std::string("recv: ") + std::strerror(errno), start);
        } else {
          take(p, buf, static_cast<std::size_t>(n), start);
        }
      }
    }
  }
  std::vector<ProbeResult> out;
  out.reserve(probes.size());
  for (auto& p : probes) out.push_back(std::move(p.result));
  return out;
}

// How many probes fit at once: the open-files limit (raised to the hard limit first) less
// what is open already and a reserve for the database connection, logs and the resolver.
std::size_t probes_at_once() {
  const std::uint64_t limit = net::raise_fd_limit();
  std::uint64_t open = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++open;
  }
  const std::uint64_t reserve = open + 64;
  return limit > reserve + 16 ? static_cast<std::size_t>(limit - reserve) : 16;
}

}  // namespace

std::vector<ProbeResult> run_probes(const std::vector<ProbeTarget>& targets, const std::optional<HostPort>& canary,
                                    std::chrono::milliseconds timeout, std::size_t at_once) {
  // A few targets (a secret rotation's wait for its one port) always fit: only a run over
  // many nodes looks at the open-files limit.
  if (at_once == 0) at_once = targets.size() <= 64 ? targets.size() : probes_at_once();
  if (targets.size() <= at_once) return probe_wave(targets, canary, timeout);
  // A socket that cannot be opened must not count against a node: more nodes than the
  // limit allows are probed in waves, each within the timeout.
  log::warn("more nodes than open files allow at once: probing them in waves (raise the open-files limit)",
            {{"nodes", targets.size()}, {"at_once", at_once}});
  std::vector<ProbeResult> out;
  out.reserve(targets.size());
  for (std::size_t i = 0; i < targets.size(); i += at_once) {
    const std::vector<ProbeTarget> part(targets.begin() + static_cast<std::ptrdiff_t>(i),
                                        targets.begin() + static_cast<std::ptrdiff_t>(std::min(targets.size(), i + at_once)));
    for (auto& r : probe_wave(part, canary, timeout)) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace httvps::nodes
