// httvps-client: a local SOCKS5 (and optionally HTTP CONNECT) proxy, or fixed port
// forwards, carried over one WebSocket to an httvps gateway (docs/cli/httvps-client.md).

#include <pthread.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "client/client.hpp"
#include "net/socket.hpp"
#include "core/cli_main.hpp"
#include "core/error.hpp"
#include "core/output.hpp"

namespace {

struct Options {
  std::string uri;
  std::string uri_file;
  std::vector<std::string> socks;
  std::vector<std::string> http;
  std::vector<std::string> forwards;
  std::string hwid;
  std::uint32_t window = 256 * 1024;
  bool check = false;
  double timeout = 10;
};

std::string read_uri(const Options& o) {
  std::string text = o.uri;
  if (!o.uri_file.empty() || text == "-") {
    std::stringstream ss;
    if (text == "-") {
      ss << std::cin.rdbuf();
    } else {
      std::ifstream in(o.uri_file);
      if (!in) throw httvps::usage_error("cannot read --uri-file " + o.uri_file, "uri-file");
      ss << in.rdbuf();
    }
    text = ss.str();
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  if (text.empty()) throw httvps::usage_error("give the device's httvps:// URI (argument, '-' for stdin, or --uri-file)", "uri");
  return text;
}

int run(httvps::Context& ctx, const Options& o) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);  // nothing to reload; must not kill the client
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  httvps::net::raise_fd_limit();

  httvps::client::ClientOptions options;
  options.uri = read_uri(o);
  options.hwid = o.hwid;
  options.window = o.window;
  std::string error;
  auto client = httvps::client::Client::create(options, error);
  if (!client) throw httvps::usage_error(error, error.starts_with("bad httvps") ? "uri" : "options");
  bool json = ctx.output() == httvps::OutputFormat::kJson;

  if (o.check) {
    auto status = client->check(std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout * 1000)));
    nlohmann::json out = {{"connected", status.connects > 0}, {"session", status.session}};
    int code = 0;
    if (status.connects > 0) {
      out["verdict"] = "allowed";
      if (!status.limits.empty()) out["limits"] = nlohmann::json::parse(status.limits, nullptr, false);
    } else if (!status.last_refusal.empty() && status.last_refusal != "unavailable") {
      out["verdict"] = "refused";
      out["reason"] = status.last_refusal;
      code = static_cast<int>(httvps::ExitCode::kRefused);
    } else {
      out["verdict"] = "unreachable";
      out["error"] = status.last_refusal == "unavailable" ? "the gateway cannot reach its control plane" : status.last_error;
      code = static_cast<int>(httvps::ExitCode::kTempFail);
    }
    if (json) {
      std::cout << out.dump() << "\n";
    } else if (code == 0) {
      std::cout << "allowed: session " << status.session << "\n";
      if (!status.limits.empty()) std::cout << "limits: " << status.limits << "\n";
    } else if (code == static_cast<int>(httvps::ExitCode::kRefused)) {
      std::cout << "refused: " << status.last_refusal << "\n";
    } else {
      std::cout << "unreachable: " << status.last_error << "\n";
    }
    return code;
  }

  auto socks = o.socks;
  if (socks.empty() && o.http.empty() && o.forwards.empty()) socks.push_back("127.0.0.1:1080");
  nlohmann::json listening = nlohmann::json::array();
  auto add = [&](const char* kind, const std::string& addr, bool ok, const std::string& target = {}) {
    if (!ok) throw httvps::Failure(httvps::ExitCode::kConfig, std::string(kind) + " listener: " + error);
    nlohmann::json item = {{"kind", kind}, {"listen", addr}, {"port", client->bound_port()}};
    if (!target.empty()) item["target"] = target;
    listening.push_back(item);
  };
  for (const auto& a : socks) add("socks5", a, client->listen_socks5(a, error));
  for (const auto& a : o.http) add("http-connect", a, client->listen_http_connect(a, error));
  for (const auto& f : o.forwards) {
    auto eq = f.find('=');
    if (eq == std::string::npos) throw httvps::usage_error("--forward takes LISTEN=HOST:PORT, not '" + f + "'", "forward");
    add("forward", f.substr(0, eq), client->listen_forward(f.substr(0, eq), f.substr(eq + 1), error), f.substr(eq + 1));
  }
  for (const auto& item : listening) {
    if (json) {
      std::cout << item.dump() << "\n";
    } else {
      std::cout << item["kind"].get<std::string>() << " " << item["listen"].get<std::string>() << " (port "
                << item["port"].get<int>() << ")"
                << (item.contains("target") ? " -> " + item["target"].get<std::string>() : std::string()) << "\n";
    }
  }
  std::cout.flush();

  client->start();
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0 && sig != SIGHUP) break;
  }
  client->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  static const httvps::ProgramSpec spec{"httvps-client",
                                        "httvps-client: a local SOCKS5/HTTP proxy over an httvps tunnel"};
  Options o;
  auto declare = [&](CLI::App& app) {
    app.add_option("uri", o.uri, "The device's httvps:// URI (from issue-key); '-' reads it from standard input");
    app.add_option("--uri-file", o.uri_file, "Read the URI from FILE (keeps the token out of the process list)");
    app.add_option("--socks", o.socks, "SOCKS5 listener HOST:PORT (default 127.0.0.1:1080 when no listener is given)");
    app.add_option("--http", o.http, "HTTP CONNECT proxy listener HOST:PORT");
    app.add_option("--forward", o.forwards, "Forward LISTEN=HOST:PORT: each connection to LISTEN becomes a stream to HOST:PORT");
    app.add_option("--hwid", o.hwid, "Hardware id to present (1-256 characters)");
    app.add_option("--window", o.window, "Per-stream window in bytes granted to the gateway (16384-16777216)");
    app.add_flag("--check", o.check, "Connect once, print whether the device is welcomed or refused, and exit (0, 1 or 75)");
    app.add_option("--timeout", o.timeout, "Seconds --check waits for an answer")->check(CLI::Range(0.1, 600.0));
  };
  return httvps::cli_main(spec, argc, argv, declare, [&](httvps::Context& ctx) { return run(ctx, o); });
}
