#pragma once
// The httvps client SDK (docs/client-sdk.md): one WebSocket to the gateway named by an
// httvps:// URI, many streams over it, and the local ways in: a SOCKS5 listener, an HTTP
// CONNECT listener, fixed port forwards, and open() for programs that want a stream as a
// file descriptor. httvps-client is a thin command line over this class.
//
// Threads: everything runs on the client's own event loop thread (run() or start()).
// open(), stop() and status() may be called from any thread; the listen_*() calls are made
// before start()/run().

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace httvps::client {

struct ClientOptions {
  std::string uri;                    // httvps://TOKEN@HOST:PORT/PATH?security=tls...
  std::string hwid;                   // optional hardware id sent in HELLO
  std::uint32_t window = 256 * 1024;  // per-stream window granted to the gateway (HELLO)
  std::chrono::milliseconds backoff_min{500};
  std::chrono::milliseconds backoff_max{30000};
  std::chrono::milliseconds open_timeout{15000};  // a stream waiting for a connection gives up
  std::string client_name = "httvps-client";
};

// What the connection to the gateway is doing now.
struct ClientStatus {
  bool connected = false;     // WELCOME received on the current connection
  std::string session;        // WELCOME's session id
  std::string last_refusal;   // REFUSE reason of the last attempt ("" when none)
  std::string last_error;     // why the last connection ended
  std::uint64_t connects = 0; // connections welcomed so far
  std::uint64_t streams_open = 0;
  std::uint64_t bytes_up = 0;
  std::uint64_t bytes_down = 0;
  // The gateway's last word on this device's limits, as JSON text: WELCOME's `limits`, then
  // each LIMITS frame's ({"bytes_remaining", "speed_limit_bps", "expires_at"}; null members
  // are unlimited). Empty before the first WELCOME.
  std::string limits;
  std::uint64_t limits_updates = 0;  // LIMITS frames received
};

class Client {
 public:
  // Parses the URI and prepares TLS; nullptr with ERROR naming the problem.
  static std::unique_ptr<Client> create(const ClientOptions& options, std::string& error);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Local listeners, "127.0.0.1:1080" style. False with ERROR when the address is bad or
  // cannot be listened on. LISTEN may use port 0; bound_port() tells the port taken.
  bool listen_socks5(const std::string& listen, std::string& error);
  bool listen_http_connect(const std::string& listen, std::string& error);
  // Every connection to LISTEN becomes a stream to TARGET ("host:port").
  bool listen_forward(const std::string& listen, const std::string& target, std::string& error);
  // The port of the last listener added.
  std::uint16_t bound_port() const;

  // Opens a stream to HOST:PORT. DONE runs on the client's thread with a connected
  // socket (the caller owns and closes it) or -1 and the reason. Thread-safe.
  void open(const std::string& host, std::uint16_t port, std::function<void(int fd, const std::string& error)> done);

  // Connects once, waits for WELCOME or REFUSE (or TIMEOUT), and returns; for
  // `httvps-client --check`. The status tells the outcome.
  ClientStatus check(std::chrono::milliseconds timeout);

  // Runs the event loop on the calling thread until stop().
  void run();
  // Runs it on a background thread.
  void start();
  // Thread-safe; run() returns (start()'s thread is joined by the destructor or here).
  void stop();
  ClientStatus status() const;

  struct Impl;  // implementation detail (client.cpp)

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace httvps::client
