#pragma once
// One httvps.v1 connection (docs/protocol.md): a WebSocket over a Transport carrying many
// streams, each with its own flow-control window in both directions. MuxConnection does
// everything both sides share (TLS and WebSocket I/O, tunnel frames, streams, credit,
// pings, close); the gateway and the client subclass it for their handshake and for what
// OPEN, OPENED and the connection frames mean to them.
//
// Buffers: what a stream receives waits in its own buffer, never more than the window it
// granted; what the connection sends waits in one output buffer, and streams stop reading
// their endpoints while it holds more than kOutHighWater bytes (so a slow link pushes back
// on every stream fairly, and a stalled reader stops only its own stream).
//
// No exceptions: every member is noexcept. A connection ends by close_connection(), which
// tears down its streams; the owner then destroys it through the loop (event_loop.hpp).

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/endpoint.hpp"
#include "net/event_loop.hpp"
#include "net/transport.hpp"
#include "tunnel/tunnel_frame.hpp"
#include "tunnel/ws_frame.hpp"

namespace httvps::net {

inline constexpr std::size_t kOutHighWater = 1 << 20;
inline constexpr std::size_t kDataChunk = 64 * 1024;

class MuxConnection;

// Byte counters a connection reports as it goes (metering, metrics).
// The two directions of a stream, for budgets (quota, speed limits).
enum class Direction {
  kToEndpoint,    // peer → endpoint (on the gateway: upload)
  kFromEndpoint,  // endpoint → peer (on the gateway: download)
};

struct StreamCounters {
  std::uint64_t to_endpoint = 0;    // DATA bytes received from the peer and written out
  std::uint64_t from_endpoint = 0;  // DATA bytes read from the endpoint and sent to the peer
};

class MuxStream final : public EndpointEvents {
 public:
  MuxStream(MuxConnection& conn, std::uint32_t id, std::unique_ptr<Endpoint> endpoint, std::uint32_t send_credit,
            std::uint32_t receive_window) noexcept;
  ~MuxStream();

  std::uint32_t id() const noexcept { return id_; }
  Endpoint& endpoint() noexcept { return *endpoint_; }
  bool ready() const noexcept { return ready_; }
  const StreamCounters& counters() const noexcept { return counters_; }
  // Bytes held for the endpoint (at most one window).
  std::size_t buffered() const noexcept { return in_.size() - in_off_; }

  // EndpointEvents.
  void endpoint_ready() noexcept override;
  void endpoint_failed(tunnel::StreamReason reason, const std::string& why) noexcept override;
  void endpoint_readable() noexcept override;
  void endpoint_writable() noexcept override;

 private:
  friend class MuxConnection;

  void start() noexcept;
  // Peer frames.
  bool on_data(std::span<const std::uint8_t> bytes) noexcept;  // false: flow-control error
  bool on_credit(std::uint32_t increment) noexcept;
  void on_fin() noexcept;
  // Moves buffered bytes to the endpoint; grants credit.
  void flush_to_endpoint() noexcept;
  // Reads at most one chunk from the endpoint into a DATA frame. True when more may follow.
  bool pump_once() noexcept;
  bool wants_pump() const noexcept;
  bool finished() const noexcept;

  MuxConnection& conn_;
  std::uint32_t id_;
  std::unique_ptr<Endpoint> endpoint_;
  tunnel::StreamWindow window_;
  Clock::time_point epoch_start_;
  std::vector<std::uint8_t> in_;  // from the peer, for the endpoint
  std::size_t in_off_ = 0;
  StreamCounters counters_;
  bool ready_ = false;             // endpoint connected
  bool endpoint_readable_ = false;
  bool queued_ = false;            // in the connection's pump queue
  bool fin_sent_ = false;          // endpoint EOF passed on as FIN
  bool fin_received_ = false;      // the peer's FIN
  bool shut_done_ = false;         // endpoint write side shut after the peer's FIN
  bool dead_ = false;
  bool wait_to_endpoint_ = false;    // stopped until resume_budget(): no budget was granted
  bool wait_from_endpoint_ = false;
};

class MuxConnection : public Handler {
 public:
  enum class Role { kServer, kClient };

  MuxConnection(EventLoop& loop, std::unique_ptr<Transport> transport, Role role) noexcept;
  ~MuxConnection() override;

  void on_io(std::uint32_t events) noexcept override;

  // Registers the transport with the loop and starts the handshake (TLS, then upgrade).
  bool start() noexcept;

  bool closed() const noexcept { return closed_; }
  std::size_t stream_count() const noexcept { return streams_.size(); }
  EventLoop& loop() noexcept { return loop_; }
  // The last WebSocket ping round trip; zero until the first pong.
  std::chrono::nanoseconds rtt() const noexcept { return rtt_; }

  // Sending (after the upgrade).
  void send_frame(tunnel::FrameType type, std::uint32_t stream, std::span<const std::uint8_t> payload) noexcept;
  void send_json(tunnel::FrameType type, std::string_view json) noexcept;
  void send_reason(tunnel::FrameType type, std::uint32_t stream, tunnel::StreamReason reason,
                   std::string_view text) noexcept;
  void send_ping() noexcept;

  // Streams. The window sizes are the initial credit granted by the peer (send) and by us
  // (receive). The endpoint starts at once.
  MuxStream* add_stream(std::uint32_t id, std::unique_ptr<Endpoint> endpoint, std::uint32_t send_credit,
                        std::uint32_t receive_window) noexcept;
  MuxStream* find_stream(std::uint32_t id) noexcept;
  // Sends BYTES on STREAM as if read from its endpoint (bytes an application sent before
  // its stream existed). False, sending nothing, when the stream's credit does not cover them.
  bool send_data(MuxStream& stream, std::span<const std::uint8_t> bytes) noexcept;
  // Ends a stream: RESET to the peer with REASON when SEND_RESET, the endpoint closed.
  void reset_stream(MuxStream& stream, bool send_reset, tunnel::StreamReason reason, std::string_view text) noexcept;
  // Resets every stream with REASON.
  void reset_all_streams(tunnel::StreamReason reason, std::string_view text) noexcept;

  // Sends a WebSocket close (CODE, REASON) after what is queued and ends the connection
  // once it is written (or after 5 s).
  void close_connection(tunnel::CloseCode code, std::string_view reason) noexcept;
  // Ends at once without a close frame (transport broken).
  void abort_connection(std::string_view why) noexcept;

  // Queues raw bytes (the HTTP upgrade request or answer).
  void send_raw(std::string_view bytes) noexcept;

 protected:
  // The handshake, per role. Server: the client's upgrade request; answer with
  // send_raw(build_upgrade_response(...)) and return true, or send a refusal and return
  // false (the connection closes after it). Client: send the request in
  // on_transport_ready() and check the answer in on_upgrade_response().
  virtual bool on_upgrade_request(const tunnel::UpgradeRequest&) noexcept { return false; }
  virtual void on_transport_ready() noexcept {}
  virtual bool on_upgrade_response(std::string_view buffer, std::size_t& consumed, bool& incomplete) noexcept {
    (void)buffer;
    (void)consumed;
    incomplete = false;
    return false;
  }
  // After a successful upgrade.
  virtual void on_upgraded() noexcept {}
  // Frames on stream 0 (HELLO, WELCOME, REFUSE, GOAWAY, LIMITS) and the stream-opening
  // frames (OPEN on the server; OPENED, OPEN_FAILED on the client). Return false for a
  // frame that is not allowed now (closes with 4002).
  virtual bool on_control(const tunnel::TunnelFrame& frame) noexcept = 0;
  // A stream ended (finished, reset either way); COUNTERS hold its totals.
  virtual void on_stream_closed(MuxStream& stream) noexcept { (void)stream; }
  // DATA metering hook, per chunk moved between STREAM's endpoint and the WebSocket. Bytes
  // towards the endpoint are reported just before the write; what it did not take comes
  // back through on_bytes_unsent().
  virtual void on_bytes(MuxStream& stream, std::uint64_t to_endpoint, std::uint64_t from_endpoint) noexcept {
    (void)stream;
    (void)to_endpoint;
    (void)from_endpoint;
  }
  virtual void on_bytes_unsent(MuxStream& stream, std::uint64_t to_endpoint) noexcept {
    (void)stream;
    (void)to_endpoint;
  }
  // Budgets (quota, speed limits): before moving up to WANT bytes of STREAM in DIRECTION,
  // the stream asks how many it may move; it moves at most that many and hands back what
  // it did not use. Zero stops the stream in that direction until resume_budget().
  virtual std::size_t take_budget(MuxStream& stream, Direction direction, std::size_t want) noexcept {
    (void)stream;
    (void)direction;
    return want;
  }
  virtual void return_budget(MuxStream& stream, Direction direction, std::size_t unused) noexcept {
    (void)stream;
    (void)direction;
    (void)unused;
  }
  // Restarts every stream a zero budget stopped (after a refill or a new answer).
  void resume_budget() noexcept;
  // The endpoint of a stream connected (the gateway answers OPENED here).
  virtual void on_stream_ready(MuxStream& stream) noexcept { (void)stream; }
  // The peer sent a WebSocket close.
  virtual void on_peer_close(tunnel::CloseCode code, std::string_view reason) noexcept {
    (void)code;
    (void)reason;
  }
  // We close the connection for a broken WebSocket or tunnel rule (1002, 1003, 1007, 1009,
  // 4002), or refuse a malformed upgrade request: for metrics and logs.
  virtual void on_protocol_error(tunnel::CloseCode code, std::string_view why) noexcept {
    (void)code;
    (void)why;
  }
  virtual void on_bad_upgrade(std::string_view why) noexcept { (void)why; }
  // The connection is over; called once.
  virtual void on_closed(std::string_view why) noexcept { (void)why; }

  // Stream frames are accepted only after this is set (after WELCOME on both sides).
  bool streams_allowed_ = false;
  // Highest stream id seen or used: DATA for ids at or below it that have no stream is
  // ignored (the stream was reset), above it is a protocol error.
  std::uint32_t highest_stream_ = 0;
  Role role_;

 private:
  friend class MuxStream;

  enum class Phase { kTls, kUpgrade, kOpen, kClosing, kClosed };

  void drive() noexcept;
  void read_input() noexcept;
  void process_input() noexcept;
  bool process_upgrade() noexcept;
  void process_frames() noexcept;
  void handle_message(std::span<const std::uint8_t> payload) noexcept;
  bool handle_frame(const tunnel::TunnelFrame& frame) noexcept;
  void write_output() noexcept;
  void schedule_flush() noexcept;
  void schedule_pump(MuxStream& stream) noexcept;
  void run_pump() noexcept;
  void send_ws(std::uint8_t opcode, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;
  void finish_stream(MuxStream& stream) noexcept;
  // Closes the endpoint, reports the stream closed and destroys it after this batch.
  void detach_stream(MuxStream& stream) noexcept;
  void teardown(std::string_view why) noexcept;
  void on_tick() noexcept;
  std::size_t out_pending() const noexcept { return out_.size() - out_off_; }

  EventLoop& loop_;
  std::unique_ptr<Transport> transport_;
  Phase phase_ = Phase::kTls;
  bool readable_ = true;
  bool writable_ = true;
  bool flush_scheduled_ = false;
  bool pump_scheduled_ = false;
  bool closed_ = false;
  bool close_sent_ = false;

  std::vector<std::uint8_t> in_;  // received bytes not yet parsed (a partial frame)
  std::span<std::uint8_t> cur_;   // what process_input() parses: in_ or the read scratch
  std::size_t cur_off_ = 0;
  std::vector<std::uint8_t> out_;
  std::size_t out_off_ = 0;
  tunnel::MessageAssembler assembler_;
  std::vector<std::uint8_t> mask_pool_;
  std::size_t mask_off_ = 0;

  std::unordered_map<std::uint32_t, std::unique_ptr<MuxStream>> streams_;
  std::deque<std::uint32_t> pump_queue_;

  Clock::time_point last_received_;
  Clock::time_point ping_sent_at_;
  bool ping_outstanding_ = false;
  std::chrono::nanoseconds rtt_{0};
  EventLoop::TimerId tick_timer_ = 0;
  EventLoop::TimerId close_timer_ = 0;
  std::string close_reason_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace httvps::net
