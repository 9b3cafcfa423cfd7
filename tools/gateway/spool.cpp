#include "gateway/spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/units.hpp"

namespace httvps::gateway {

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kCompactAbove = 1 << 20;

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string batch_line(const SpooledBatch& b) {
  Json marks = Json::array();
  for (const auto& m : b.marks) marks.push_back({m.slot, m.upload, m.download});
  Json line = {{"batch", b.seq}, {"body", b.body}, {"milli", b.milli}, {"marks", std::move(marks)}};
  return line.dump() + "\n";
}

}  // namespace

Spool::Spool(Spool&& other) noexcept { *this = std::move(other); }

Spool& Spool::operator=(Spool&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(other.dir_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
    pending_ = std::move(other.pending_);
    last_seq_ = other.last_seq_;
    file_bytes_ = other.file_bytes_;
  }
  return *this;
}

Spool::~Spool() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Spool> Spool::open(const std::string& dir, std::string& error, std::vector<std::string>& warnings) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = "cannot create the spool directory " + dir + ": " + ec.message();
    return std::nullopt;
  }
  Spool spool;
  spool.dir_ = dir;
  spool.path_ = dir + "/usage.spool";

  std::string content;
  {
    std::ifstream in(spool.path_, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      content = ss.str();
    }
  }
  // Replays the lines; a last line without its newline was cut by a crash.
  std::size_t pos = 0;
  std::size_t keep = 0;  // bytes of whole lines
  std::size_t line_no = 0;
  bool finished_any = false;
  while (pos < content.size()) {
    std::size_t nl = content.find('\n', pos);
    if (nl == std::string::npos) {
      warnings.push_back("cut off a torn last line of " + spool.path_ + " (" + std::to_string(content.size() - pos) +
                         " bytes written when the gateway stopped)");
      break;
    }
    ++line_no;
    std::string_view text(content.data() + pos, nl - pos);
    pos = nl + 1;
    keep = pos;
    Json line = Json::parse(text, nullptr, false);
    auto where = spool.path_ + ":" + std::to_string(line_no);
    if (line.is_discarded() || !line.is_object()) {
      warnings.push_back(where + ": not a JSON object; skipped");
      continue;
    }
    auto seq_of = [&](const char* key) -> std::optional<std::int64_t> {
      auto it = line.find(key);
      if (it == line.end() || !it->is_number_integer()) return std::nullopt;
      return it->get<std::int64_t>();
    };
    if (auto seq = seq_of("batch")) {
      auto body = line.find("body");
      auto milli = line.find("milli");
      if (body == line.end() || !body->is_object() || milli == line.end() || !milli->is_array()) {
        warnings.push_back(where + ": a batch without body or milli; skipped");
        continue;
      }
      SpooledBatch b;
      b.seq = *seq;
      b.body = *body;
      for (const auto& m : *milli) b.milli.push_back(m.is_number_integer() ? m.get<std::int64_t>() : 1000);
      if (auto marks = line.find("marks"); marks != line.end() && marks->is_array()) {
        for (const auto& m : *marks) {
          if (m.is_array() && m.size() == 3 && m[0].is_number_unsigned() && m[1].is_number_integer() &&
              m[2].is_number_integer()) {
            b.marks.push_back({m[0].get<std::uint32_t>(), m[1].get<std::int64_t>(), m[2].get<std::int64_t>()});
          }
        }
      }
      spool.pending_.push_back(std::move(b));
      spool.last_seq_ = std::max(spool.last_seq_, *seq);
    } else if (auto done = seq_of("done") ? seq_of("done") : seq_of("rejected")) {
      std::erase_if(spool.pending_, [&](const SpooledBatch& b) { return b.seq == *done; });
      finished_any = true;
    } else if (auto high = seq_of("seq")) {
      spool.last_seq_ = std::max(spool.last_seq_, *high);
    } else {
      warnings.push_back(where + ": unknown entry; skipped");
    }
  }

  spool.fd_ = ::open(spool.path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (spool.fd_ < 0) {
    error = errno_text("cannot open the usage spool", spool.path_);
    return std::nullopt;
  }
  if (keep < content.size() && ::ftruncate(spool.fd_, static_cast<off_t>(keep)) != 0) {
    error = errno_text("cannot cut the torn line of", spool.path_);
    return std::nullopt;
  }
  spool.file_bytes_ = keep;
  if (finished_any && !spool.compact(error)) return std::nullopt;
  return spool;
}

bool Spool::write_line(const std::string& line, bool sync, std::string& error) {
  if (!write_all(fd_, line)) {
    error = errno_text("cannot write the usage spool", path_);
    return false;
  }
  file_bytes_ += line.size();
  if (sync && ::fdatasync(fd_) != 0) {
    error = errno_text("cannot sync the usage spool", path_);
    return false;
  }
  return true;
}

bool Spool::append(Json records, std::vector<std::int64_t> milli, std::vector<SlotMark> marks, std::int64_t now_unix,
                   std::string& error) {
  SpooledBatch b;
  b.seq = std::max(last_seq_ + 1, now_micros());
  b.body = {{"batch_seq", b.seq}, {"sent_at", units::format_timestamp(now_unix)}, {"records", std::move(records)}};
  b.milli = std::move(milli);
  b.marks = std::move(marks);
  std::string line = batch_line(b);
  off_t before = static_cast<off_t>(file_bytes_);
  if (!write_line(line, true, error)) {
    // Leave no half line behind: the batch is not spooled.
    if (::ftruncate(fd_, before) == 0) file_bytes_ = static_cast<std::uint64_t>(before);
    return false;
  }
  last_seq_ = b.seq;
  pending_.push_back(std::move(b));
  return true;
}

bool Spool::finish_front(const std::string& rejection, std::string& error) {
  if (pending_.empty()) return true;
  const SpooledBatch& b = pending_.front();
  if (!rejection.empty()) {
    std::string rejected_path = dir_ + "/rejected.jsonl";
    int fd = ::open(rejected_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    Json entry = {{"batch_seq", b.seq}, {"error", rejection}, {"body", b.body}};
    bool ok = fd >= 0 && write_all(fd, entry.dump() + "\n") && ::fdatasync(fd) == 0;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      error = errno_text("cannot keep the refused batch in", rejected_path);
      return false;
    }
  }
  Json line = rejection.empty() ? Json{{"done", b.seq}} : Json{{"rejected", b.seq}, {"error", rejection}};
  // No fsync: a lost "done" only means the batch is sent again, and the control plane
  // acknowledges it as a duplicate.
  if (!write_line(line.dump() + "\n", false, error)) return false;
  pending_.pop_front();
  if (pending_.empty() && file_bytes_ > kCompactAbove) return compact(error);
  return true;
}

bool Spool::compact(std::string& error) {
  std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = errno_text("cannot write", tmp);
    return false;
  }
  std::string data = Json{{"seq", last_seq_}}.dump() + "\n";
  for (const auto& b : pending_) data += batch_line(b);
  bool ok = write_all(fd, data) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path_.c_str()) != 0 || !sync_dir(dir_)) {
    error = errno_text("cannot replace", path_);
    ::unlink(tmp.c_str());
    return false;
  }
  int nfd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (nfd < 0) {
    error = errno_text("cannot reopen", path_);
    return false;
  }
  ::close(fd_);
  fd_ = nfd;
  file_bytes_ = data.size();
  return true;
}

}  // namespace httvps::gateway
