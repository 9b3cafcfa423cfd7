#include "net/mux.hpp"

#include <openssl/rand.h>
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace httvps::net {

using tunnel::CloseCode;
using tunnel::FrameType;
using tunnel::StreamReason;

namespace {

constexpr std::size_t kReadSize = 256 * 1024;
constexpr std::size_t kReadBudget = 4 << 20;   // per turn of one connection
constexpr std::size_t kPumpBudget = 4 << 20;   // per pump run of one connection
constexpr std::size_t kKeepCapacity = 64 * 1024;
constexpr auto kTick = std::chrono::seconds(10);
constexpr auto kPingAfter = std::chrono::seconds(30);
constexpr auto kIdleClose = std::chrono::seconds(60);
constexpr auto kCloseWait = std::chrono::seconds(5);

std::vector<std::uint8_t>& read_scratch() {
  thread_local std::vector<std::uint8_t> buffer(kReadSize);
  return buffer;
}

std::vector<std::uint8_t>& data_scratch() {
  thread_local std::vector<std::uint8_t> buffer(kDataChunk);
  return buffer;
}

void release_if_big(std::vector<std::uint8_t>& v) noexcept {
  v.clear();
  if (v.capacity() > kKeepCapacity) std::vector<std::uint8_t>().swap(v);
}

}  // namespace

// ---- MuxStream ---------------------------------------------------------------------------

MuxStream::MuxStream(MuxConnection& conn, std::uint32_t id, std::unique_ptr<Endpoint> endpoint,
                     std::uint32_t send_credit, std::uint32_t receive_window) noexcept
    : conn_(conn),
      id_(id),
      endpoint_(std::move(endpoint)),
      window_(send_credit, receive_window),
      epoch_start_(conn.loop().now()) {}

MuxStream::~MuxStream() = default;

void MuxStream::start() noexcept { endpoint_->start(this); }

void MuxStream::endpoint_ready() noexcept {
  if (dead_ || ready_) return;
  ready_ = true;
  endpoint_readable_ = true;
  conn_.on_stream_ready(*this);
  if (dead_) return;
  flush_to_endpoint();
  if (!dead_ && wants_pump()) conn_.schedule_pump(*this);
}

void MuxStream::endpoint_failed(StreamReason reason, const std::string& why) noexcept {
  if (dead_) return;
  conn_.reset_stream(*this, true, reason, why);
}

void MuxStream::endpoint_readable() noexcept {
  if (dead_ || !ready_) return;
  endpoint_readable_ = true;
  if (wants_pump()) conn_.schedule_pump(*this);
}

void MuxStream::endpoint_writable() noexcept {
  if (dead_ || !ready_) return;
  flush_to_endpoint();
}

bool MuxStream::on_data(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() > UINT32_MAX || !window_.on_data(static_cast<std::uint32_t>(bytes.size()))) return false;
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  flush_to_endpoint();
  return true;
}

bool MuxStream::on_credit(std::uint32_t increment) noexcept {
  if (!window_.on_credit(increment)) return false;
  if (wants_pump()) conn_.schedule_pump(*this);
  return true;
}

void MuxStream::on_fin() noexcept {
  fin_received_ = true;
  flush_to_endpoint();
}

void MuxStream::flush_to_endpoint() noexcept {
  if (!ready_ || dead_) return;
  std::uint64_t granted = 0;
  while (in_off_ < in_.size() && !wait_to_endpoint_) {
    std::size_t allowed = conn_.take_budget(*this, Direction::kToEndpoint, in_.size() - in_off_);
    if (allowed == 0) {
      wait_to_endpoint_ = true;
      break;
    }
    // Counted before the write: a process killed as the write returns has them counted,
    // and what the endpoint did not take is taken back below.
    conn_.on_bytes(*this, allowed, 0);
    IoResult r = endpoint_->write({in_.data() + in_off_, allowed});
    if (r.status == IoStatus::kOk) {
      if (r.n < allowed) {
        conn_.on_bytes_unsent(*this, allowed - r.n);
        conn_.return_budget(*this, Direction::kToEndpoint, allowed - r.n);
      }
      in_off_ += r.n;
      counters_.to_endpoint += r.n;
      granted += window_.bytes_consumed(static_cast<std::uint32_t>(r.n));
      if (window_.full_window_consumed()) {
        auto rtt = conn_.rtt().count() > 0 ? conn_.rtt() : std::chrono::nanoseconds(std::chrono::milliseconds(1));
        auto now = conn_.loop().now();
        granted += window_.grow(rtt, now - epoch_start_);
        epoch_start_ = now;
      }
      if (conn_.closed() || dead_) return;
      continue;
    }
    conn_.on_bytes_unsent(*this, allowed);
    conn_.return_budget(*this, Direction::kToEndpoint, allowed);
    if (r.status == IoStatus::kWantWrite || r.status == IoStatus::kWantRead) break;
    conn_.reset_stream(*this, true, StreamReason::kUpstream, "write to " + endpoint_->describe() + " failed");
    return;
  }
  while (granted > 0) {
    auto step = static_cast<std::uint32_t>(std::min<std::uint64_t>(granted, tunnel::kMaxOutstandingCredit));
    auto payload = tunnel::credit_payload(step);
    conn_.send_frame(FrameType::kCredit, id_, payload);
    granted -= step;
  }
  if (in_off_ == in_.size()) {
    release_if_big(in_);
    in_off_ = 0;
    if (fin_received_ && !shut_done_) {
      endpoint_->shutdown_write();
      shut_done_ = true;
      conn_.finish_stream(*this);
    }
  }
}

bool MuxStream::wants_pump() const noexcept {
  return ready_ && !dead_ && endpoint_readable_ && !fin_sent_ && !wait_from_endpoint_ && window_.credit() > 0;
}

bool MuxStream::pump_once() noexcept {
  auto& buf = data_scratch();
  std::size_t n = std::min<std::size_t>(window_.credit(), buf.size());
  n = conn_.take_budget(*this, Direction::kFromEndpoint, n);
  if (n == 0) {
    wait_from_endpoint_ = true;
    return false;
  }
  IoResult r = endpoint_->read({buf.data(), n});
  if (r.status != IoStatus::kOk) {
    conn_.return_budget(*this, Direction::kFromEndpoint, n);
  } else if (r.n < n) {
    conn_.return_budget(*this, Direction::kFromEndpoint, n - r.n);
  }
  switch (r.status) {
    case IoStatus::kOk:
      window_.consume(static_cast<std::uint32_t>(r.n));
      counters_.from_endpoint += r.n;
      conn_.send_frame(FrameType::kData, id_, {buf.data(), r.n});
      conn_.on_bytes(*this, 0, r.n);
      return !conn_.closed() && !dead_;
    case IoStatus::kWantRead:
    case IoStatus::kWantWrite:
      endpoint_readable_ = false;
      return false;
    case IoStatus::kEof:
      fin_sent_ = true;
      conn_.send_frame(FrameType::kFin, id_, {});
      conn_.finish_stream(*this);
      return false;
    case IoStatus::kError:
      conn_.reset_stream(*this, true, StreamReason::kUpstream, "read from " + endpoint_->describe() + " failed");
      return false;
  }
  return false;
}

bool MuxStream::finished() const noexcept { return fin_sent_ && fin_received_ && shut_done_; }

// ---- MuxConnection -------------------------------------------------------------------------

MuxConnection::MuxConnection(EventLoop& loop, std::unique_ptr<Transport> transport, Role role) noexcept
    : role_(role), loop_(loop), transport_(std::move(transport)), assembler_(tunnel::kMaxTunnelMessage) {
  last_received_ = loop_.now();
}

MuxConnection::~MuxConnection() {
  loop_.cancel_timer(tick_timer_);
  loop_.cancel_timer(close_timer_);
}

bool MuxConnection::start() noexcept {
  if (!loop_.add(transport_->fd(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, this)) return false;
  tick_timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::milliseconds>(kTick), [this] { on_tick(); });
  drive();
  return true;
}

void MuxConnection::on_io(std::uint32_t events) noexcept {
  if (closed_) return;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable_ = true;
  if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
    writable_ = true;
    readable_ = true;  // TLS may have been waiting to write in order to read
  }
  drive();
}

void MuxConnection::drive() noexcept {
  if (closed_) return;
  if (phase_ == Phase::kTls) {
    IoResult r = transport_->handshake();
    if (r.status == IoStatus::kWantRead || r.status == IoStatus::kWantWrite) return;
    if (r.status != IoStatus::kOk) {
      teardown("TLS handshake failed: " + transport_->error());
      return;
    }
    phase_ = Phase::kUpgrade;
    on_transport_ready();
    if (closed_) return;
  }
  read_input();
  if (!closed_) write_output();
}

void MuxConnection::read_input() noexcept {
  std::size_t budget = kReadBudget;
  while (readable_ && !closed_) {
    auto& buf = read_scratch();
    IoResult r = transport_->read({buf.data(), buf.size()});
    if (r.status == IoStatus::kOk) {
      last_received_ = loop_.now();
      // Parse straight from the scratch buffer when nothing is held; keep only the rest.
      bool held = !in_.empty();
      if (held) in_.insert(in_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(r.n));
      cur_ = held ? std::span<std::uint8_t>(in_) : std::span<std::uint8_t>(buf.data(), r.n);
      cur_off_ = 0;
      process_input();
      if (closed_) return;
      std::size_t rest = cur_.size() - std::min(cur_off_, cur_.size());
      if (held) {
        if (rest == 0) {
          release_if_big(in_);
        } else {
          in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_.size() - rest));
        }
      } else if (rest > 0) {
        in_.assign(buf.begin() + static_cast<std::ptrdiff_t>(r.n - rest), buf.begin() + static_cast<std::ptrdiff_t>(r.n));
      }
      cur_ = {};
      if (r.n >= budget) {
        loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
          if (!alive.expired()) drive();
        });
        return;
      }
      budget -= r.n;
      continue;
    }
    if (r.status == IoStatus::kWantRead || r.status == IoStatus::kWantWrite) {
      readable_ = false;
      return;
    }
    teardown(r.status == IoStatus::kEof ? "the peer closed the connection"
                                        : "read failed: " + transport_->error());
    return;
  }
}

void MuxConnection::process_input() noexcept {
  if (phase_ == Phase::kUpgrade) {
    if (!process_upgrade()) return;
  }
  if (phase_ == Phase::kOpen || phase_ == Phase::kClosing) process_frames();
}

bool MuxConnection::process_upgrade() noexcept {
  std::string_view text(reinterpret_cast<const char*>(cur_.data() + cur_off_), cur_.size() - cur_off_);
  std::size_t consumed = 0;
  if (role_ == Role::kServer) {
    tunnel::UpgradeRequest request;
    std::string error;
    auto status = tunnel::parse_upgrade_request(text, tunnel::kMaxHandshakeBytes, request, consumed, error);
    if (status == tunnel::HandshakeStatus::kIncomplete) return false;
    if (status == tunnel::HandshakeStatus::kBad) {
      on_bad_upgrade(error);
      send_raw(tunnel::build_error_response(request.refusal_status, error));
      cur_off_ = cur_.size();
      phase_ = Phase::kClosing;
      close_sent_ = true;
      return false;
    }
    cur_off_ += consumed;
    if (!on_upgrade_request(request)) {
      cur_off_ = cur_.size();
      phase_ = Phase::kClosing;
      close_sent_ = true;
      return false;
    }
  } else {
    bool incomplete = false;
    if (!on_upgrade_response(text, consumed, incomplete)) {
      if (!incomplete) teardown("the gateway refused the WebSocket upgrade");
      return false;
    }
    cur_off_ += consumed;
  }
  phase_ = Phase::kOpen;
  on_upgraded();
  if (!closed_) send_ping();
  return !closed_;
}

void MuxConnection::process_frames() noexcept {
  tunnel::FramePolicy policy;
  policy.require_masked = role_ == Role::kServer;
  policy.max_payload = tunnel::kMaxTunnelMessage;
  while (!closed_ && cur_off_ < cur_.size()) {
    std::span<std::uint8_t> data = cur_.subspan(cur_off_);
    tunnel::FrameHeader header;
    CloseCode error = CloseCode::kNormal;
    auto status = tunnel::parse_frame_header(data, policy, header, error);
    if (status == tunnel::ParseStatus::kNeedMore) return;
    if (status == tunnel::ParseStatus::kError) {
      cur_off_ = cur_.size();
      close_connection(error, "bad WebSocket frame");
      return;
    }
    if (data.size() < header.header_size + header.length) return;
    auto payload = data.subspan(header.header_size, static_cast<std::size_t>(header.length));
    if (header.masked) tunnel::apply_mask(payload, header.mask, 0);
    cur_off_ += header.header_size + static_cast<std::size_t>(header.length);
    if (phase_ == Phase::kClosing && close_sent_ && role_ == Role::kServer && header.opcode != tunnel::kOpClose) {
      continue;  // after our close only the peer's close matters
    }
    auto result = assembler_.feed(header, payload);
    switch (result.event) {
      case tunnel::AssemblerEvent::kNone:
        break;
      case tunnel::AssemblerEvent::kMessage:
        if (result.text) {
          close_connection(CloseCode::kUnsupportedData, "text messages are not part of httvps.v1");
          return;
        }
        if (phase_ == Phase::kOpen) handle_message(result.payload);
        break;
      case tunnel::AssemblerEvent::kPing:
        send_ws(tunnel::kOpPong, result.payload, {});
        break;
      case tunnel::AssemblerEvent::kPong:
        if (ping_outstanding_) {
          ping_outstanding_ = false;
          rtt_ = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - ping_sent_at_);
        }
        break;
      case tunnel::AssemblerEvent::kClose:
        if (!close_sent_) {
          std::array<std::uint8_t, tunnel::kMaxControlPayload> buf{};
          auto code = result.close_code == CloseCode::kNoStatus ? CloseCode::kNormal : result.close_code;
          std::size_t n = tunnel::write_close_payload(buf, code, "");
          send_ws(tunnel::kOpClose, {buf.data(), n}, {});
          close_sent_ = true;
        }
        phase_ = Phase::kClosing;
        cur_off_ = cur_.size();
        on_peer_close(result.close_code, result.close_reason);
        write_output();
        if (!closed_ && out_pending() == 0) teardown("closed by the peer");
        return;
      case tunnel::AssemblerEvent::kError:
        cur_off_ = cur_.size();
        close_connection(result.close_code, result.error);
        return;
    }
  }
}

void MuxConnection::handle_message(std::span<const std::uint8_t> payload) noexcept {
  std::size_t pos = 0;
  while (pos < payload.size() && !closed_ && phase_ == Phase::kOpen) {
    tunnel::TunnelFrame frame;
    tunnel::FrameError error = tunnel::FrameError::kNone;
    auto status = tunnel::parse_tunnel_frame(payload.subspan(pos), frame, error);
    if (status != tunnel::ParseStatus::kOk) {
      std::string why = status == tunnel::ParseStatus::kNeedMore ? std::string("a tunnel frame is cut short")
                                                                 : std::string(tunnel::describe(error));
      close_connection(CloseCode::kTunnelProtocol, why);
      return;
    }
    pos += frame.size;
    if (!frame.known()) continue;  // IGNORABLE frames of a later version
    if (!handle_frame(frame)) {
      close_connection(CloseCode::kTunnelProtocol,
                       std::string("unexpected ") + std::string(tunnel::frame_type_name(frame.type)) + " frame");
      return;
    }
  }
}

bool MuxConnection::handle_frame(const tunnel::TunnelFrame& frame) noexcept {
  switch (frame.type) {
    case FrameType::kData:
    case FrameType::kCredit:
    case FrameType::kFin:
    case FrameType::kReset: {
      if (!streams_allowed_) return false;
      MuxStream* s = find_stream(frame.stream_id);
      if (s == nullptr) return frame.stream_id <= highest_stream_;  // a stream that was reset
      if (frame.type == FrameType::kData) {
        if (s->fin_received_) {
          reset_stream(*s, true, StreamReason::kProtocol, "DATA after FIN");
        } else if (!s->on_data(frame.payload)) {
          reset_stream(*s, true, StreamReason::kFlowControl, "DATA beyond the granted credit");
        }
      } else if (frame.type == FrameType::kCredit) {
        std::uint32_t increment = 0;
        if (!tunnel::parse_credit(frame.payload, increment)) return false;
        if (!s->on_credit(increment)) reset_stream(*s, true, StreamReason::kFlowControl, "credit overflow");
      } else if (frame.type == FrameType::kFin) {
        if (s->fin_received_) return false;
        s->on_fin();
      } else {
        reset_stream(*s, false, StreamReason::kNone, "");
      }
      return true;
    }
    default:
      return on_control(frame);
  }
}

void MuxConnection::send_raw(std::string_view bytes) noexcept {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  schedule_flush();
}

void MuxConnection::send_ws(std::uint8_t opcode, std::span<const std::uint8_t> a,
                            std::span<const std::uint8_t> b) noexcept {
  if (closed_ || (close_sent_ && opcode != tunnel::kOpClose)) return;
  std::size_t length = a.size() + b.size();
  std::array<std::uint8_t, tunnel::kMaxFrameHeader> header{};
  std::array<std::uint8_t, 4> mask{};
  bool masked = role_ == Role::kClient;
  if (masked) {
    if (mask_off_ + 4 > mask_pool_.size()) {
      mask_pool_.resize(1024);
      if (RAND_bytes(mask_pool_.data(), static_cast<int>(mask_pool_.size())) != 1) std::terminate();
      mask_off_ = 0;
    }
    std::memcpy(mask.data(), mask_pool_.data() + mask_off_, 4);
    mask_off_ += 4;
  }
  std::size_t hs = tunnel::write_frame_header(header, true, opcode, length, masked ? &mask : nullptr);
  if (hs == 0) return;
  out_.insert(out_.end(), header.begin(), header.begin() + static_cast<std::ptrdiff_t>(hs));
  std::size_t start = out_.size();
  out_.insert(out_.end(), a.begin(), a.end());
  out_.insert(out_.end(), b.begin(), b.end());
  if (masked) tunnel::apply_mask({out_.data() + start, length}, mask, 0);
  schedule_flush();
}

void MuxConnection::send_frame(FrameType type, std::uint32_t stream, std::span<const std::uint8_t> payload) noexcept {
  std::array<std::uint8_t, tunnel::kTunnelHeaderSize> header{};
  if (tunnel::write_tunnel_header(header, type, tunnel::default_flags(type), stream,
                                  static_cast<std::uint32_t>(payload.size())) == 0) {
    return;
  }
  send_ws(tunnel::kOpBinary, header, payload);
}

void MuxConnection::send_json(FrameType type, std::string_view json) noexcept {
  send_frame(type, 0, {reinterpret_cast<const std::uint8_t*>(json.data()), json.size()});
}

void MuxConnection::send_reason(FrameType type, std::uint32_t stream, StreamReason reason,
                                std::string_view text) noexcept {
  std::vector<std::uint8_t> payload;
  std::string_view cut = text.substr(0, std::min<std::size_t>(text.size(), 200));
  if (!tunnel::append_reason_payload(payload, reason, cut)) {
    payload.clear();
    tunnel::append_reason_payload(payload, reason, "");
  }
  send_frame(type, stream, payload);
}

void MuxConnection::send_ping() noexcept {
  if (ping_outstanding_) return;
  ping_outstanding_ = true;
  ping_sent_at_ = Clock::now();
  send_ws(tunnel::kOpPing, {}, {});
}

void MuxConnection::schedule_flush() noexcept {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired()) return;
    flush_scheduled_ = false;
    if (!closed_) write_output();
  });
}

void MuxConnection::write_output() noexcept {
  while (out_pending() > 0 && writable_ && !closed_) {
    IoResult r = transport_->write({out_.data() + out_off_, out_pending()});
    if (r.status == IoStatus::kOk) {
      out_off_ += r.n;
      continue;
    }
    if (r.status == IoStatus::kWantWrite || r.status == IoStatus::kWantRead) {
      writable_ = false;
      break;
    }
    teardown("write failed: " + transport_->error());
    return;
  }
  if (out_pending() == 0) {
    release_if_big(out_);
    out_off_ = 0;
    if (phase_ == Phase::kClosing && close_sent_) {
      if (role_ == Role::kServer || close_timer_ == 0) {
        teardown("closed");
        return;
      }
    }
  } else if (out_off_ > (1u << 20)) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_off_));
    out_off_ = 0;
  }
  if (!pump_queue_.empty() && out_pending() < kOutHighWater / 2 && !pump_scheduled_) {
    pump_scheduled_ = true;
    loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) run_pump();
    });
  }
}

void MuxConnection::schedule_pump(MuxStream& stream) noexcept {
  if (stream.queued_ || closed_) return;
  stream.queued_ = true;
  pump_queue_.push_back(stream.id());
  if (!pump_scheduled_ && out_pending() < kOutHighWater) {
    pump_scheduled_ = true;
    loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) run_pump();
    });
  }
}

void MuxConnection::run_pump() noexcept {
  pump_scheduled_ = false;
  if (closed_) return;
  std::size_t budget = kPumpBudget;
  std::size_t before = out_.size();
  while (!pump_queue_.empty() && out_pending() < kOutHighWater && !closed_) {
    std::uint32_t id = pump_queue_.front();
    pump_queue_.pop_front();
    MuxStream* s = find_stream(id);
    if (s == nullptr) continue;
    s->queued_ = false;
    if (!s->wants_pump()) continue;
    if (s->pump_once() && s->wants_pump()) {
      s->queued_ = true;
      pump_queue_.push_back(id);
    }
    std::size_t produced = out_.size() > before ? out_.size() - before : 0;
    if (produced >= budget) break;
  }
  write_output();
  if (!closed_ && !pump_queue_.empty() && out_pending() < kOutHighWater && !pump_scheduled_) {
    pump_scheduled_ = true;
    loop_.defer([this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) run_pump();
    });
  }
}

MuxStream* MuxConnection::add_stream(std::uint32_t id, std::unique_ptr<Endpoint> endpoint, std::uint32_t send_credit,
                                     std::uint32_t receive_window) noexcept {
  auto stream = std::make_unique<MuxStream>(*this, id, std::move(endpoint), send_credit, receive_window);
  MuxStream* raw = stream.get();
  streams_.emplace(id, std::move(stream));
  if (id > highest_stream_) highest_stream_ = id;
  raw->start();
  return raw->dead_ ? nullptr : raw;
}

bool MuxConnection::send_data(MuxStream& stream, std::span<const std::uint8_t> bytes) noexcept {
  if (stream.dead_ || bytes.size() > stream.window_.credit()) return false;
  while (!bytes.empty()) {
    std::size_t n = std::min(bytes.size(), kDataChunk);
    stream.window_.consume(static_cast<std::uint32_t>(n));
    stream.counters_.from_endpoint += n;
    send_frame(FrameType::kData, stream.id(), bytes.first(n));
    on_bytes(stream, 0, n);
    bytes = bytes.subspan(n);
  }
  return true;
}

void MuxConnection::resume_budget() noexcept {
  std::vector<std::uint32_t> waiting;
  for (auto& [id, stream] : streams_) {
    if (stream->wait_to_endpoint_ || stream->wait_from_endpoint_) waiting.push_back(id);
  }
  std::sort(waiting.begin(), waiting.end());
  for (std::uint32_t id : waiting) {
    if (closed_) return;
    MuxStream* s = find_stream(id);
    if (s == nullptr || s->dead_) continue;
    bool in = s->wait_to_endpoint_;
    s->wait_to_endpoint_ = false;
    s->wait_from_endpoint_ = false;
    if (in) s->flush_to_endpoint();
    if (!s->dead_ && s->wants_pump()) schedule_pump(*s);
  }
}

MuxStream* MuxConnection::find_stream(std::uint32_t id) noexcept {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void MuxConnection::reset_stream(MuxStream& stream, bool send_reset, StreamReason reason,
                                 std::string_view text) noexcept {
  if (stream.dead_) return;
  if (!send_reset && role_ == Role::kClient && stream.ready_) {
    // The gateway reset the stream (a quota, say): hand the application what already
    // arrived, as far as its socket takes it without waiting. (On the gateway the same
    // bytes would pass the budgets, so it drops them.)
    while (stream.in_off_ < stream.in_.size()) {
      IoResult r = stream.endpoint_->write({stream.in_.data() + stream.in_off_, stream.in_.size() - stream.in_off_});
      if (r.status != IoStatus::kOk) break;
      stream.in_off_ += r.n;
      stream.counters_.to_endpoint += r.n;
      on_bytes(stream, r.n, 0);
    }
  }
  stream.dead_ = true;
  if (send_reset && !closed_) {
    send_reason(stream.ready_ || role_ == Role::kClient ? FrameType::kReset : FrameType::kOpenFailed, stream.id(),
                reason, text);
  }
  detach_stream(stream);
}

void MuxConnection::reset_all_streams(StreamReason reason, std::string_view text) noexcept {
  std::vector<std::uint32_t> ids;
  for (auto& [id, stream] : streams_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (std::uint32_t id : ids) {
    if (MuxStream* s = find_stream(id)) reset_stream(*s, true, reason, text);
  }
}

void MuxConnection::finish_stream(MuxStream& stream) noexcept {
  if (stream.dead_ || !stream.finished()) return;
  stream.dead_ = true;
  detach_stream(stream);
}

void MuxConnection::detach_stream(MuxStream& stream) noexcept {
  stream.endpoint_->close();
  on_stream_closed(stream);
  auto it = streams_.find(stream.id());
  if (it != streams_.end()) {
    MuxStream* raw = it->second.release();
    streams_.erase(it);
    loop_.defer([raw] { delete raw; });  // events of this batch may still name it
  }
}

void MuxConnection::close_connection(CloseCode code, std::string_view reason) noexcept {
  if (closed_ || close_sent_) return;
  switch (code) {
    case CloseCode::kProtocolError:
    case CloseCode::kUnsupportedData:
    case CloseCode::kInvalidPayload:
    case CloseCode::kMessageTooBig:
    case CloseCode::kTunnelProtocol:
      on_protocol_error(code, reason);
      break;
    default:
      break;
  }
  std::array<std::uint8_t, tunnel::kMaxControlPayload> buf{};
  std::size_t n = tunnel::write_close_payload(buf, code, reason);
  send_ws(tunnel::kOpClose, {buf.data(), n}, {});
  close_sent_ = true;
  phase_ = Phase::kClosing;
  streams_allowed_ = false;
  close_reason_ = std::string(reason);
  close_timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::milliseconds>(kCloseWait), [this] {
    close_timer_ = 0;
    teardown("closed (" + close_reason_ + ")");
  });
  write_output();
}

void MuxConnection::abort_connection(std::string_view why) noexcept { teardown(why); }

void MuxConnection::teardown(std::string_view why) noexcept {
  if (closed_) return;
  closed_ = true;
  phase_ = Phase::kClosed;
  loop_.cancel_timer(tick_timer_);
  tick_timer_ = 0;
  loop_.cancel_timer(close_timer_);
  close_timer_ = 0;
  for (auto& [id, stream] : streams_) {
    stream->dead_ = true;
    stream->endpoint_->close();
    on_stream_closed(*stream);
    MuxStream* raw = stream.release();
    loop_.defer([raw] { delete raw; });
  }
  streams_.clear();
  pump_queue_.clear();
  loop_.remove(transport_->fd());
  on_closed(why);
}

void MuxConnection::on_tick() noexcept {
  tick_timer_ = 0;
  if (closed_) return;
  auto idle = loop_.now() - last_received_;
  if (idle > kIdleClose) {
    close_connection(CloseCode::kGoingAway, "idle");
    return;
  }
  if (idle > kPingAfter) {
    ping_outstanding_ = false;
    send_ping();
  }
  tick_timer_ = loop_.add_timer(std::chrono::duration_cast<std::chrono::milliseconds>(kTick), [this] { on_tick(); });
}

}  // namespace httvps::net
