#include "core/nodes/probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

using namespace httvps;
using namespace httvps::nodes;

namespace {

// A loopback listener on port 0; ACCEPT decides what happens to each connection.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4096) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

// N vless probes of 127.0.0.1:PORT.
std::vector<ProbeTarget> vless_targets(std::size_t n, int port) {
  std::vector<ProbeTarget> targets(n);
  for (auto& t : targets) {
    t.kind = ProbeTarget::Kind::kVless;
    t.host = "127.0.0.1";
    t.port = port;
    t.vless_uuid = "11111111-2222-4333-8444-555555555555";
  }
  return targets;
}

int closed_port() {
  Listener l;
  return l.port;  // closed when l goes
}

}  // namespace

TEST_CASE("a TCP probe succeeds on a listening port and names the error on a closed one", "[nodes][probe]") {
  Listener open;
  const int closed = closed_port();
  std::vector<ProbeTarget> targets(2);
  targets[0].host = "127.0.0.1";
  targets[0].port = open.port;
  targets[1].host = "127.0.0.1";
  targets[1].port = closed;
  auto r = run_probes(targets, std::nullopt, std::chrono::milliseconds(2000));
  REQUIRE(r.size() == 2);
  CHECK(r[0].ok);
  CHECK(r[0].checked == "tcp");
  CHECK_FALSE(r[1].ok);
  CHECK(r[1].error == "connect: Connection refused");
}

TEST_CASE("probes run at once: 1,000 nodes that answer only when every request has arrived all succeed",
          "[nodes][probe]") {
  // One socket per probe on each side: raise the soft limit of open files where the hard one
  // allows.
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < 2100 && lim.rlim_max >= 2100) {
    lim.rlim_cur = 2100;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  const std::size_t n = lim.rlim_cur >= 2100 ? 1000 : 200;
  // A barrier: the "node" answers no probe before all N requests are in. Probes made one
  // after another would each wait for an answer that never comes and fail; only probes that
  // are all in flight together can succeed. (The server gives up after 60 s, so a broken
  // implementation fails instead of hanging; nothing here measures time.)
  Listener node;
  std::vector<int> clients;
  std::thread server([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (clients.size() < n && std::chrono::steady_clock::now() < give_up) {
      pollfd p{node.fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      int c = ::accept(node.fd, nullptr, nullptr);
      if (c < 0) continue;
      char buf[4096];
      if (::recv(c, buf, sizeof buf, 0) <= 0) {  // the request comes right after the connect
        ::close(c);
        continue;
      }
      clients.push_back(c);
    }
    const char answer[] = "\x00\x00HTTP/1.1 204 No Content\r\n\r\n";
    for (int c : clients) {
      ::send(c, answer, sizeof answer - 1, MSG_NOSIGNAL);
      ::close(c);
    }
  });
  auto r = run_probes(vless_targets(n, node.port), HostPort{"127.0.0.1", 80}, std::chrono::milliseconds(20000));
  server.join();
  CHECK(clients.size() == n);
  std::size_t ok = 0;
  for (const auto& x : r) ok += x.ok ? 1 : 0;
  CHECK(ok == n);
}

TEST_CASE("more targets than may be in flight at once are probed in waves, all of them", "[nodes][probe]") {
  // The node answers a wave once 7 requests are in (or, for the last, smaller one, after a
  // second without a new connection), and notes whether another connection was already
  // waiting when a wave of 7 was complete: with waves of 7 none can be.
  Listener node;
  std::size_t answered = 0;
  bool overlap = false;
  std::thread server([&] {
    std::vector<int> wave;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (answered < 20 && std::chrono::steady_clock::now() < give_up) {
      pollfd p{node.fd, POLLIN, 0};
      const bool ready = ::poll(&p, 1, 1000) > 0;
      if (ready) {
        int c = ::accept(node.fd, nullptr, nullptr);
        char buf[4096];
        if (c >= 0 && ::recv(c, buf, sizeof buf, 0) > 0) wave.push_back(c);
        else if (c >= 0) ::close(c);
      }
      if (wave.size() == 7) {
        pollfd more{node.fd, POLLIN, 0};
        if (::poll(&more, 1, 100) > 0) overlap = true;
      }
      if (wave.size() == 7 || (!ready && !wave.empty())) {
        static const char answer[] = "\x00\x00HTTP/1.1 204 No Content\r\n\r\n";
        for (int c : wave) {
          ::send(c, answer, sizeof answer - 1, MSG_NOSIGNAL);
          ::close(c);
        }
        answered += wave.size();
        wave.clear();
      }
    }
  });
  auto r = run_probes(vless_targets(20, node.port), HostPort{"127.0.0.1", 80}, std::chrono::milliseconds(10000), 7);
  server.join();
  CHECK_FALSE(overlap);
  REQUIRE(r.size() == 20);
  for (const auto& x : r) CHECK(x.ok);
}

TEST_CASE("a silent node fails its probe at the timeout, naming it", "[nodes][probe]") {
  Listener silent;  // the kernel completes the handshake; nothing ever answers
  auto r = run_probes(vless_targets(3, silent.port), HostPort{"127.0.0.1", 80}, std::chrono::milliseconds(300));
  REQUIRE(r.size() == 3);
  for (const auto& x : r) {
    CHECK_FALSE(x.ok);
    CHECK(x.error.find("timed out after 300 ms") == 0);
  }
}

TEST_CASE("a vless probe sends a VLESS request and accepts an HTTP status line behind the answer header",
          "[nodes][probe]") {
  Listener node;
  std::atomic<bool> saw_request{false};
  std::thread server([&] {
    int c = ::accept(node.fd, nullptr, nullptr);
    std::vector<std::uint8_t> got(4096);
    ssize_t n = ::recv(c, got.data(), got.size(), 0);
    auto want = vless_request_header("11111111-2222-4333-8444-555555555555", HostPort{"127.0.0.1", 8080});
    saw_request = n >= static_cast<ssize_t>(want.size()) && std::equal(want.begin(), want.end(), got.begin());
    const char answer[] = "\x00\x02xyHTTP/1.1 404 Not Found\r\n\r\n";
    // Cut inside the header, to check the reader keeps state between reads.
    ::send(c, answer, 3, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::send(c, answer + 3, sizeof answer - 4, 0);
    ::close(c);
  });
  std::vector<ProbeTarget> targets(1);
  targets[0] = {ProbeTarget::Kind::kVless, "127.0.0.1", node.port, "", "", "11111111-2222-4333-8444-555555555555"};
  auto r = run_probes(targets, HostPort{"127.0.0.1", 8080}, std::chrono::milliseconds(2000));
  server.join();
  CHECK(saw_request);
  REQUIRE(r.size() == 1);
  CHECK(r[0].ok);
  CHECK(r[0].checked == "vless");
}

TEST_CASE("a probe fails when the node closes early or answers something that is not HTTP", "[nodes][probe]") {
  Listener node;
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      int c = ::accept(node.fd, nullptr, nullptr);
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      if (i == 1) ::send(c, "\x00\x00SSH-2.0-x\r\n", 14, 0);
      ::close(c);
    }
  });
  std::vector<ProbeTarget> targets(1);
  targets[0] = {ProbeTarget::Kind::kVless, "127.0.0.1", node.port, "", "", "11111111-2222-4333-8444-555555555555"};
  auto first = run_probes(targets, HostPort{"example.net", 80}, std::chrono::milliseconds(2000));
  auto second = run_probes(targets, HostPort{"example.net", 80}, std::chrono::milliseconds(2000));
  server.join();
  CHECK(first[0].error == "the node closed the connection before an HTTP status line came back");
  CHECK(second[0].error == "the canary's answer through the node is not HTTP");
}

TEST_CASE("the VLESS request header has the version, uuid, no addons, TCP and the address", "[nodes][probe]") {
  auto h = vless_request_header("00112233-4455-4677-8899-aabbccddeeff", HostPort{"a.example", 443});
  std::vector<std::uint8_t> want{0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                                 0xdd, 0xee, 0xff, 0x00, 0x01, 0x01, 0xbb, 0x02, 9,    'a',  '.',  'e',  'x',  'a',
                                 'm',  'p',  'l',  'e'};
  CHECK(h == want);
  CHECK(vless_request_header("not-a-uuid", HostPort{"a", 1}).empty());
  auto v4 = vless_request_header("00112233-4455-4677-8899-aabbccddeeff", HostPort{"10.0.0.1", 80});
  REQUIRE(v4.size() == 26);
  CHECK(v4[21] == 0x01);
  CHECK(v4[22] == 10);
}
