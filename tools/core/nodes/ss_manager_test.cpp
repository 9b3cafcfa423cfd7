// ss-manager client: the pure parsers and planner table by table, then the client against a
// scripted stand-in manager on a loopback UDP port and a Unix socket (timeouts, stale
// answers, refusals). The real ss-manager is driven by tests/system/ss_manager_test.sh.
#include "core/nodes/ss_manager.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "core/error.hpp"

using namespace httvps;
using namespace httvps::nodes;

namespace {

std::string failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.what();
  }
  return "no failure";
}

// A stand-in manager: a datagram socket that answers each datagram it gets with ANSWER(cmd)
// (no answer when it returns nullopt), for COUNT datagrams.
struct FakeManager {
  int fd = -1;
  std::string address;
  std::vector<std::string> seen;
  std::thread thread;

  void serve(int count, std::function<std::optional<std::string>(const std::string&)> answer) {
    thread = std::thread([this, count, answer] {
      for (int i = 0; i < count; ++i) {
        char buf[65536];
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;
        std::string cmd(buf, static_cast<std::size_t>(n));
        seen.push_back(cmd);
        if (auto a = answer(cmd)) ::sendto(fd, a->data(), a->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    });
  }
  ~FakeManager() {
    if (thread.joinable()) thread.join();
    if (fd >= 0) ::close(fd);
  }
};

void udp_manager(FakeManager& m) {
  m.fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(m.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  socklen_t len = sizeof(a);
  ::getsockname(m.fd, reinterpret_cast<sockaddr*>(&a), &len);
  m.address = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

}  // namespace

TEST_CASE("parse_ss_manager_stat reads the traffic counters of every port", "[ss-manager]") {
  CHECK(parse_ss_manager_stat("stat: {}").empty());
  CHECK(parse_ss_manager_stat("stat: {\"8001\":11370}") == std::map<int, std::uint64_t>{{8001, 11370}});
  CHECK(parse_ss_manager_stat("stat:{\"1\":0,\"65535\":18446744073709551615}") ==
        std::map<int, std::uint64_t>{{1, 0}, {65535, 18446744073709551615ULL}});
}

TEST_CASE("parse_ss_manager_stat names what is wrong with a malformed answer", "[ss-manager]") {
  struct Row {
    std::string answer;
    std::string names;
  };
  for (const Row& row : std::vector<Row>{
           {"", "does not start with 'stat:'"},
           {"ok", "does not start with 'stat:'"},
           {"stat: {\"8001\":", "is not JSON"},
           {"stat: [1,2]", "is not a JSON object"},
           {"stat: {\"http\":1}", "key that is not a port: 'http'"},
           {"stat: {\"0\":1}", "key that is not a port"},
           {"stat: {\"65536\":1}", "key that is not a port"},
           {"stat: {\"080\":1}", "key that is not a port"},
           {"stat: {\"8001\":-1}", "counter for port 8001 is not a non-negative integer"},
           {"stat: {\"8001\":1.5}", "counter for port 8001"},
           {"stat: {\"8001\":\"12\"}", "counter for port 8001"},
       }) {
    INFO(row.answer);
    std::string message = failure_of([&] { parse_ss_manager_stat(row.answer); });
    CHECK_THAT(message, Catch::Contains(row.names));
    CHECK_THAT(message, Catch::StartsWith("ss-manager: "));
  }
}

TEST_CASE("parse_ss_manager_list reads ports, passwords and methods, never quoting a password", "[ss-manager]") {
  auto ports = parse_ss_manager_list(
      "[\n\t{\"server_port\":\"18401\",\"password\":\"abc\",\"method\":\"chacha20-ietf-poly1305\"},\n\t{\"server_port\":18402}\n]");
  REQUIRE(ports.size() == 2);
  CHECK(ports[0] == SsManagerPort{18401, "abc", "chacha20-ietf-poly1305"});
  CHECK(ports[1] == SsManagerPort{18402, std::nullopt, std::nullopt});
  CHECK(parse_ss_manager_list("[]").empty());
  CHECK_THAT(failure_of([] { parse_ss_manager_list("[{\"server_port\":\"1\",\"password\":\"se"); }), Catch::Contains("not JSON"));
  CHECK_THAT(failure_of([] { parse_ss_manager_list("{}"); }), Catch::Contains("not a JSON array"));
  CHECK_THAT(failure_of([] { parse_ss_manager_list("[{\"password\":\"secret\"}]"); }), Catch::Contains("no server_port"));
  CHECK_THAT(failure_of([] { parse_ss_manager_list("[{\"server_port\":\"x\",\"password\":\"secret\"}]"); }),
             Catch::Contains("not a port") && !Catch::Contains("secret"));
  CHECK_THAT(failure_of([] { parse_ss_manager_list("[{\"server_port\":1},{\"server_port\":\"1\"}]"); }), Catch::Contains("port 1 twice"));
  CHECK_THAT(failure_of([] { parse_ss_manager_list("[{\"server_port\":1,\"password\":7}]"); }), Catch::Contains("password that is not a string"));
}

TEST_CASE("plan_ss_manager_changes adds what is missing or changed and removes what nobody wants", "[ss-manager]") {
  using Keys = std::vector<SsManagerKey>;
  using Ports = std::vector<SsManagerPort>;
  struct Row {
    std::string name;
    Keys desired;
    Ports current;
    Keys adds;
    std::vector<int> removes;
  };
  const SsManagerKey a{8001, "pa", ""}, b{8002, "pb", "aes-256-gcm"}, b2{8002, "pb2", "aes-256-gcm"};
  for (const Row& row : std::vector<Row>{
           {"nothing wanted, nothing there", {}, {}, {}, {}},
           {"an empty manager gets every key", {b, a}, {}, {a, b}, {}},
           {"ports from ping are kept when wanted", {a, b}, {{8001, {}, {}}, {8002, {}, {}}}, {}, {}},
           {"unwanted ports go", {a}, {{8001, {}, {}}, {9000, {}, {}}, {8500, {}, {}}}, {}, {8500, 9000}},
           {"a changed password is added again", {b2}, {{8002, "pb", "aes-256-gcm"}}, {b2}, {}},
           {"a changed method is added again", {b}, {{8002, "pb", "chacha20-ietf-poly1305"}}, {b}, {}},
           {"the manager's default method is not a change", {a}, {{8001, "pa", "chacha20-ietf-poly1305"}}, {}, {}},
           {"all revoked: everything goes", {}, {{8001, "pa", {}}, {8002, {}, {}}}, {}, {8001, 8002}},
       }) {
    INFO(row.name);
    auto plan = plan_ss_manager_changes(row.desired, row.current);
    CHECK(plan.adds == row.adds);
    CHECK(plan.removes == row.removes);
    CHECK(plan.empty() == (row.adds.empty() && row.removes.empty()));
  }
}

TEST_CASE("plan_ss_manager_changes refuses keys ss-manager cannot take", "[ss-manager]") {
  auto field_of = [](std::vector<SsManagerKey> keys) {
    try {
      plan_ss_manager_changes(keys, {});
    } catch (const Failure& f) {
      return f.field();
    }
    return std::string("none");
  };
  CHECK(field_of({{8001, "a", ""}, {8001, "b", ""}}) == "port");
  CHECK(field_of({{0, "a", ""}}) == "port");
  CHECK(field_of({{65536, "a", ""}}) == "port");
  CHECK(field_of({{8001, "", ""}}) == "password");
  CHECK(field_of({{8001, std::string(128, 'x'), ""}}) == "password");
  CHECK(field_of({{8001, "a\nb", ""}}) == "password");
  CHECK(field_of({{8001, "a", "aes\n"}}) == "method");
  CHECK(field_of({{8001, "\xff\xfe", ""}}) == "password");
  CHECK(field_of({{8001, std::string(127, 'x'), ""}}) == "none");
}

TEST_CASE("the command datagrams are the manual's, with JSON escaping", "[ss-manager]") {
  CHECK(ss_manager_add_command({8001, "7cd308cc059", ""}) == R"(add: {"password":"7cd308cc059","server_port":8001})");
  CHECK(ss_manager_add_command({8001, "q\"\\", "aes-256-gcm"}) ==
        R"(add: {"method":"aes-256-gcm","password":"q\"\\","server_port":8001})");
  CHECK(ss_manager_remove_command(8001) == R"(remove: {"server_port":8001})");
  CHECK_THROWS_AS(ss_manager_remove_command(0), Failure);
  check_ss_manager_ok("add", "ok");
  CHECK_THAT(failure_of([] { check_ss_manager_ok("add of port 1", "port is not available"); }),
             Catch::Contains("add of port 1 answered 'port is not available'"));
  CHECK_THAT(failure_of([] { check_ss_manager_ok("x", std::string("e\0rr", 4)); }), Catch::Contains("'e?rr'"));
}

TEST_CASE("the client talks to a manager over UDP and validates each answer", "[ss-manager]") {
  FakeManager m;
  udp_manager(m);
  m.serve(7, [](const std::string& cmd) -> std::optional<std::string> {
    if (cmd == "ping") return "stat: {\"8001\":42}";
    if (cmd == "list") return "[{\"server_port\":\"8001\",\"password\":\"pa\",\"method\":\"m\"}]";
    if (cmd.rfind("add:", 0) == 0) return cmd.find("8002") != std::string::npos ? "port is not available" : "ok";
    return "ok";
  });
  SsManagerClient client({m.address, std::chrono::milliseconds(2000), 2, std::chrono::milliseconds(10)});
  client.add({8001, "pa", ""});
  CHECK(client.ping() == std::map<int, std::uint64_t>{{8001, 42}});
  CHECK(client.list() == std::vector<SsManagerPort>{{8001, "pa", "m"}});
  CHECK_THAT(failure_of([&] { client.add({8002, "pb", ""}); }), Catch::Contains("port is not available"));
  client.remove(8001);
  m.thread.join();
  CHECK(m.seen == std::vector<std::string>{R"(add: {"password":"pa","server_port":8001})", "ping", "list",
                                           R"(add: {"password":"pb","server_port":8002})",  // tried 3 times:
                                           R"(add: {"password":"pb","server_port":8002})",  // the port may be
                                           R"(add: {"password":"pb","server_port":8002})",  // busy only briefly
                                           R"(remove: {"server_port":8001})"});
}

TEST_CASE("the client times out, then ignores the late answer to the timed-out command", "[ss-manager]") {
  FakeManager m;
  udp_manager(m);
  m.serve(2, [](const std::string& cmd) -> std::optional<std::string> {
    if (cmd == "ping") {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return "stat: {\"1\":1}";
    }
    return "ok";
  });
  SsManagerClient client({m.address, std::chrono::milliseconds(100)});
  CHECK_THAT(failure_of([&] { client.ping(); }), Catch::Contains("no answer to ping within 100 ms"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  client.remove(1);  // the stale "stat:" is discarded, "ok" is this command's answer
}

TEST_CASE("the client reports a manager that is not there and a malformed address", "[ss-manager]") {
  FakeManager m;
  udp_manager(m);
  std::string address = m.address;
  ::close(m.fd);
  m.fd = -1;
  SsManagerClient client({address, std::chrono::milliseconds(300)});
  CHECK_THAT(failure_of([&] { client.ping(); }), Catch::StartsWith("ss-manager: ") && Catch::Contains(address));
  CHECK_THROWS_AS(SsManagerClient({"no-port-here", std::chrono::milliseconds(100)}), Failure);
  CHECK_THROWS_AS(SsManagerClient({"/" + std::string(200, 'x'), std::chrono::milliseconds(100)}), Failure);
  CHECK_THROWS_AS(SsManagerClient({"/nonexistent/dir/manager.sock", std::chrono::milliseconds(100)}), Failure);
}

TEST_CASE("the client talks to a manager on a Unix datagram socket", "[ss-manager]") {
  auto dir = std::filesystem::temp_directory_path() / ("ssm-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  FakeManager m;
  m.address = (dir / "m.sock").string();
  m.fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, m.address.c_str(), sizeof(a.sun_path) - 1);
  REQUIRE(::bind(m.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
  m.serve(1, [](const std::string&) -> std::optional<std::string> { return "stat: {\"9\":3}"; });
  SsManagerClient client({m.address, std::chrono::milliseconds(2000)});
  CHECK(client.ping() == std::map<int, std::uint64_t>{{9, 3}});
  m.thread.join();
  std::filesystem::remove_all(dir);
}
