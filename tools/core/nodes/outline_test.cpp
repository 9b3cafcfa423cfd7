// Outline Management API client. No Outline server runs here: the parsers are checked against
// answers recorded from the published spec (testdata/outline/), and the transport against a
// local cpp-httplib TLS stand-in with a throwaway self-signed certificate, which proves the
// certSha256 pin: the right one talks, a wrong one is refused before any request is sent.
#include "core/nodes/outline.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <httplib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.hpp"

using namespace httvps;
using namespace httvps::nodes;

namespace {

std::string recorded(const std::string& name) {
  std::ifstream in(std::string(HTTVPS_SOURCE_DIR) + "/tools/core/nodes/testdata/outline/" + name);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.what();
  }
  return "no failure";
}

ExitCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Failure& e) {
    return e.code();
  }
  return ExitCode::kOk;
}

}  // namespace

TEST_CASE("outline parsers read the recorded access key list", "[outline]") {
  auto keys = parse_outline_access_keys(recorded("access_keys_list.json"));
  REQUIRE(keys.size() == 3);
  CHECK(keys[0].id == "0");
  CHECK(keys[0].name == "Admin");
  CHECK(keys[0].password == "XxXxXx");
  CHECK(keys[0].port == 18162);
  CHECK(keys[0].method == "chacha20-ietf-poly1305");
  CHECK_THAT(keys[0].access_url, Catch::StartsWith("ss://"));
  CHECK_FALSE(keys[0].data_limit_bytes);
  CHECK(keys[2].name.empty());
  CHECK(keys[2].data_limit_bytes == std::optional<std::uint64_t>(10000000000ULL));
  CHECK(parse_outline_access_keys(recorded("access_keys_empty.json")).empty());
}

TEST_CASE("outline parsers read a created key and the transfer metrics", "[outline]") {
  auto key = parse_outline_access_key(recorded("access_key_created.json"));
  CHECK(key.id == "3");
  CHECK(key.name == "dev-alice-phone");
  CHECK(key.port == 9795);
  auto bytes = parse_outline_transfer(recorded("metrics_transfer.json"));
  CHECK(bytes == std::map<std::string, std::uint64_t>{{"1", 1008040941}, {"2", 5958113497ULL}, {"3", 752221577}});
  CHECK(parse_outline_transfer(recorded("metrics_transfer_empty.json")).empty());
  CHECK(parse_outline_transfer(R"({"bytesTransferredByUserId":{"7":1.0e10}})").at("7") == 10000000000ULL);
  CHECK(outline_error_text(recorded("error_not_found.json")) == "NotFoundError: No access key found with id 9");
  CHECK_THAT(outline_error_text(recorded("error_invalid_limit.json")), Catch::StartsWith("InvalidArgument: "));
  CHECK(outline_error_text("<html>") == "");
  CHECK(outline_error_text("{}") == "");
}

TEST_CASE("outline parsers name what is wrong and never quote a secret", "[outline]") {
  struct Row {
    std::function<void()> parse;
    std::string names;
  };
  for (const Row& row : std::vector<Row>{
           {[] { parse_outline_access_keys("not json"); }, "access key list answer is not JSON"},
           {[] { parse_outline_access_keys("[]"); }, "not a JSON object"},
           {[] { parse_outline_access_keys("{}"); }, "no accessKeys array"},
           {[] { parse_outline_access_keys(R"({"accessKeys":[1]})"); }, "access key 0 is not an object"},
           {[] { parse_outline_access_keys(R"({"accessKeys":[{"name":"x"}]})"); }, "access key 0 has no string id"},
           {[] { parse_outline_access_keys(R"({"accessKeys":[{"id":3}]})"); }, "has no string id"},
           {[] { parse_outline_access_keys(R"({"accessKeys":[{"id":"../x"}]})"); }, "not a plain path segment"},
           {[] { parse_outline_access_keys(R"({"accessKeys":[{"id":"1"},{"id":"1"}]})"); }, "names id 1 twice"},
           {[] { parse_outline_access_key(R"({"id":"1","port":70000,"password":"SeCrEt"})"); }, "port outside 1..65535"},
           {[] { parse_outline_access_key(R"({"id":"1","password":5})"); }, "password that is not a string"},
           {[] { parse_outline_access_key(R"({"id":"1","dataLimit":{}})"); }, "dataLimit without bytes"},
           {[] { parse_outline_access_key(R"({"id":"1","dataLimit":{"bytes":-1}})"); }, "dataLimit.bytes is not a non-negative"},
           {[] { parse_outline_transfer("{}"); }, "no bytesTransferredByUserId object"},
           {[] { parse_outline_transfer(R"({"bytesTransferredByUserId":{"1":"12"}})"); }, "transfer count of key 1"},
           {[] { parse_outline_transfer(R"({"bytesTransferredByUserId":{"1":0.5}})"); }, "transfer count of key 1"},
           {[] { parse_outline_transfer(R"({"bytesTransferredByUserId":{"a b":1}})"); }, "not a plain path segment"},
       }) {
    std::string message = failure_of(row.parse);
    INFO(message);
    CHECK_THAT(message, Catch::StartsWith("outline: ") && Catch::Contains(row.names) && !Catch::Contains("SeCrEt"));
  }
}

TEST_CASE("outline apiUrl and certSha256 are read as Outline Manager writes them", "[outline]") {
  auto api = parse_outline_api_url("https://203.0.113.7:12345/qjv7AuyJ36z1oqiuQ6BivQ/");
  CHECK(api.host == "203.0.113.7");
  CHECK(api.port == 12345);
  CHECK(api.secret_path == "/qjv7AuyJ36z1oqiuQ6BivQ");
  CHECK(parse_outline_api_url("https://outline.example.net/abc").port == 443);
  CHECK(parse_outline_api_url("https://[2001:db8::1]:8443/abc").host == "2001:db8::1");
  for (const char* bad : {"http://1.2.3.4:1/abc", "https://1.2.3.4:1", "https://1.2.3.4:1/", "https://bad host/x",
                          "https://h/x?y=1", "https://h:0/x"}) {
    INFO(bad);
    std::string message = failure_of([&] { parse_outline_api_url(bad); });
    CHECK_THAT(message, Catch::Contains("apiUrl"));
    CHECK_THAT(message, !Catch::Contains("qjv7"));
  }
  const std::string want = "475B7A040FB407CB7865C81C073CAEBF0707C38581A236F0B5F8D0F28AFF350C";
  CHECK(normalize_cert_sha256("475b7a040fb407cb7865c81c073caebf0707c38581a236f0b5f8d0f28aff350c") == want);
  CHECK(normalize_cert_sha256("47:5B:7A:04:0F:B4:07:CB:78:65:C8:1C:07:3C:AE:BF:07:07:C3:85:81:A2:36:F0:B5:F8:D0:F2:8A:FF:35:0C") == want);
  CHECK(code_of([] { normalize_cert_sha256("475B"); }) == ExitCode::kConfig);
  CHECK(code_of([] { normalize_cert_sha256(std::string(64, 'G')); }) == ExitCode::kConfig);
  CHECK(code_of([] { validate_outline_key_id("1/../2"); }) == ExitCode::kUsage);
}

namespace {

// A local stand-in for an Outline server: TLS with a fresh self-signed certificate whose
// name is not the address used, serving the recorded answers under a secret path.
struct StandIn {
  std::filesystem::path dir;
  std::string fingerprint;
  std::unique_ptr<httplib::SSLServer> server;
  std::thread thread;
  int port = 0;
  std::vector<std::string> seen;  // "VERB path body"
  std::mutex mu;

  StandIn() {
    dir = std::filesystem::temp_directory_path() / ("outline-standin-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=outline.invalid -keyout " +
                            (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    FILE* f = std::fopen((dir / "cert.pem").c_str(), "r");
    REQUIRE(f != nullptr);
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    REQUIRE(cert != nullptr);
    unsigned char md[32];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    X509_free(cert);
    char hex[3];
    for (unsigned int i = 0; i < len; ++i) {
      std::snprintf(hex, sizeof(hex), "%02x", md[i]);
      fingerprint += hex;
    }
    server = std::make_unique<httplib::SSLServer>((dir / "cert.pem").c_str(), (dir / "key.pem").c_str());
    auto record = [this](const httplib::Request& req) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(req.method + " " + req.path + (req.body.empty() ? "" : " " + req.body));
    };
    server->Get("/S3cr3t/access-keys", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(recorded("access_keys_list.json"), "application/json");
    });
    server->Post("/S3cr3t/access-keys", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 201;
      res.set_content(recorded("access_key_created_old_server.json"), "application/json");
    });
    server->Put(R"(/S3cr3t/access-keys/(\w+)/(name|data-limit))", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 204;
    });
    server->Delete(R"(/S3cr3t/access-keys/(\w+)(/data-limit)?)", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (req.matches[1] == "9") {
        res.status = 404;
        res.set_content(recorded("error_not_found.json"), "application/json");
      } else {
        res.status = 204;
      }
    });
    server->Get("/S3cr3t/metrics/transfer", [this, record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(recorded("metrics_transfer.json"), "application/json");
    });
    port = server->bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server->listen_after_bind(); });
    for (int i = 0; i < 200 && !server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ~StandIn() {
    server->stop();
    thread.join();
    std::filesystem::remove_all(dir);
  }
  std::string api_url() const { return "https://127.0.0.1:" + std::to_string(port) + "/S3cr3t"; }
};

}  // namespace

TEST_CASE("the outline client talks to a TLS stand-in whose certificate matches certSha256", "[outline]") {
  StandIn s;
  OutlineClient client({s.api_url(), s.fingerprint, std::chrono::milliseconds(5000)});
  CHECK(client.list_keys().size() == 3);
  auto key = client.create_key("dev-bob", "aes-256-gcm");
  CHECK(key.id == "4");
  CHECK(key.name == "dev-bob");  // the old server ignored the name: it was set with PUT
  client.set_data_limit("4", 5000);
  client.remove_data_limit("4");
  client.delete_key("4");
  CHECK(code_of([&] { client.delete_key("9"); }) == ExitCode::kNotFound);
  CHECK_THAT(failure_of([&] { client.delete_key("9"); }),
             Catch::Contains("DELETE /access-keys/9 answered 404: NotFoundError") && !Catch::Contains("S3cr3t"));
  CHECK(client.transfer().at("2") == 5958113497ULL);
  std::lock_guard<std::mutex> lock(s.mu);
  CHECK(s.seen == std::vector<std::string>{
                      "GET /S3cr3t/access-keys",
                      R"(POST /S3cr3t/access-keys {"method":"aes-256-gcm","name":"dev-bob"})",
                      R"(PUT /S3cr3t/access-keys/4/name {"name":"dev-bob"})",
                      R"(PUT /S3cr3t/access-keys/4/data-limit {"limit":{"bytes":5000}})",
                      "DELETE /S3cr3t/access-keys/4/data-limit",
                      "DELETE /S3cr3t/access-keys/4",
                      "DELETE /S3cr3t/access-keys/9",
                      "DELETE /S3cr3t/access-keys/9",
                      "GET /S3cr3t/metrics/transfer",
                  });
}

TEST_CASE("the outline client refuses a server whose certificate is not the pinned one, before sending", "[outline]") {
  StandIn s;
  std::string other = s.fingerprint;
  other[0] = other[0] == '0' ? '1' : '0';
  OutlineClient client({s.api_url(), other, std::chrono::milliseconds(5000)});
  std::string message = failure_of([&] { client.list_keys(); });
  CHECK_THAT(message, Catch::Contains("certSha256") && !Catch::Contains("S3cr3t"));
  CHECK(code_of([&] { client.delete_key("1"); }) == ExitCode::kTempFail);
  std::lock_guard<std::mutex> lock(s.mu);
  CHECK(s.seen.empty());
}

TEST_CASE("the outline client reports a server that is not there", "[outline]") {
  OutlineClient client({"https://127.0.0.1:1/x", std::string(64, 'A'), std::chrono::milliseconds(1000)});
  CHECK(code_of([&] { client.transfer(); }) == ExitCode::kTempFail);
  CHECK(code_of([&] { client.create_key("\xff"); }) == ExitCode::kUsage);  // refused before connecting
}
