#include "gateway/meter_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <functional>
#include <unordered_map>

namespace httvps::gateway {

namespace {

constexpr std::uint32_t kFree = 0;
constexpr std::uint32_t kLive = 1;
constexpr std::uint32_t kEnded = 2;

bool slot_is_sane(const MeterSlot& s) {
  auto state = s.state.load(std::memory_order_acquire);
  if (state != kLive && state != kEnded) return false;
  auto up = s.upload.load(std::memory_order_relaxed);
  auto down = s.download.load(std::memory_order_relaxed);
  return s.key_length >= 1 && s.key_length <= sizeof s.key && s.device_id > 0 && s.user_id > 0 && s.node_id >= 0 &&
         s.multiplier_milli >= 1 && s.multiplier_milli <= 100000 && up >= 0 && down >= 0 &&
         s.spooled_upload.load(std::memory_order_relaxed) >= 0 &&
         s.spooled_download.load(std::memory_order_relaxed) >= 0;
}

}  // namespace

std::unique_ptr<MeterFile> MeterFile::open(const std::string& path, std::uint32_t slots, std::string& error) {
  std::unique_ptr<MeterFile> m(new MeterFile());
  std::size_t want = static_cast<std::size_t>(slots) * sizeof(MeterSlot);
  void* addr = nullptr;
  if (path.empty()) {
    addr = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    m->bytes_ = want;
  } else {
    m->fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m->fd_ < 0) {
      error = "cannot open the meter file " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    struct stat st {};
    if (::fstat(m->fd_, &st) != 0) {
      error = "cannot stat the meter file " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    auto have = static_cast<std::size_t>(st.st_size);
    if (have % sizeof(MeterSlot) != 0) {
      error = "the meter file " + path + " is " + std::to_string(have) + " bytes, not a whole number of " +
              std::to_string(sizeof(MeterSlot)) + "-byte slots: it is not a meter file of this version";
      return nullptr;
    }
    m->bytes_ = std::max(have, want);
    if (have < m->bytes_ && ::ftruncate(m->fd_, static_cast<off_t>(m->bytes_)) != 0) {
      error = "cannot size the meter file " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    addr = ::mmap(nullptr, m->bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd_, 0);
  }
  if (addr == MAP_FAILED) {
    error = "cannot map the meter file " + (path.empty() ? std::string("(anonymous)") : path) + ": " +
            std::strerror(errno);
    return nullptr;
  }
  m->slots_ = static_cast<MeterSlot*>(addr);
  m->count_ = static_cast<std::uint32_t>(m->bytes_ / sizeof(MeterSlot));
  // Lowest index first: pop_back() of a descending list.
  for (std::uint32_t i = m->count_; i-- > 0;) {
    if (m->slots_[i].state.load(std::memory_order_relaxed) == kFree) {
      m->free_.push_back(i);
    } else if (m->high_ == 0) {
      m->high_ = i + 1;
    }
  }
  return m;
}

MeterFile::~MeterFile() {
  if (slots_ != nullptr) ::munmap(slots_, bytes_);
  if (fd_ >= 0) ::close(fd_);
}

UsageRecord MeterFile::record_of(const MeterSlot& s, std::int64_t observed_at, std::int64_t up,
                                 std::int64_t down) const {
  UsageRecord r;
  r.session.assign(s.key, std::min<std::size_t>(s.key_length, sizeof s.key));
  r.device_id = s.device_id;
  r.user_id = s.user_id;
  if (s.node_id != 0) r.node_id = s.node_id;
  r.multiplier_milli = s.multiplier_milli;
  r.observed_at = observed_at;
  r.bytes = {up, down};
  return r;
}

void MeterFile::recover(const std::vector<SlotMark>& marks, std::int64_t observed_at,
                        std::vector<UsageRecord>& records, std::vector<SlotMark>& new_marks,
                        std::vector<SlotMark>& spent) {
  std::unordered_map<std::uint32_t, SlotMark> latest;
  for (const auto& m : marks) {
    auto& l = latest[m.slot];
    l.slot = m.slot;
    l.upload = std::max(l.upload, m.upload);
    l.download = std::max(l.download, m.download);
  }
  std::lock_guard lock(mutex_);
  for (std::uint32_t i = 0; i < count_; ++i) {
    MeterSlot& s = slots_[i];
    if (s.state.load(std::memory_order_relaxed) == kFree) continue;
    if (!slot_is_sane(s)) {
      std::memset(static_cast<void*>(&s), 0, sizeof s);  // not ours, or torn: nothing to trust
      free_.push_back(i);
      continue;
    }
    std::int64_t sup = s.spooled_upload.load(std::memory_order_relaxed);
    std::int64_t sdown = s.spooled_download.load(std::memory_order_relaxed);
    if (auto it = latest.find(i); it != latest.end()) {
      sup = std::max(sup, it->second.upload);
      sdown = std::max(sdown, it->second.download);
    }
    std::int64_t up = s.upload.load(std::memory_order_relaxed);
    std::int64_t down = s.download.load(std::memory_order_relaxed);
    s.spooled_upload.store(std::min(sup, up), std::memory_order_relaxed);
    s.spooled_download.store(std::min(sdown, down), std::memory_order_relaxed);
    s.state.store(kEnded, std::memory_order_release);  // its session died with the process
    std::int64_t dup = std::max<std::int64_t>(up - sup, 0);
    std::int64_t ddown = std::max<std::int64_t>(down - sdown, 0);
    SlotMark mark{i, std::max(up, sup), std::max(down, sdown)};
    if (dup > 0 || ddown > 0) {
      records.push_back(record_of(s, observed_at, dup, ddown));
      new_marks.push_back(mark);
    } else {
      spent.push_back(mark);
    }
  }
  std::sort(free_.begin(), free_.end(), std::greater<>());
}

MeterSlot* MeterFile::acquire(const std::string& key, std::int64_t device_id, std::int64_t user_id,
                              std::int64_t node_id, std::int64_t multiplier_milli) noexcept {
  std::uint32_t index = 0;
  {
    std::lock_guard lock(mutex_);
    if (free_.empty()) return nullptr;
    index = free_.back();
    free_.pop_back();
  }
  {
    std::lock_guard lock(mutex_);
    high_ = std::max(high_, index + 1);
  }
  MeterSlot& s = slots_[index];
  s.key_length = static_cast<std::uint32_t>(std::min(key.size(), sizeof s.key));
  std::memset(s.key, 0, sizeof s.key);
  std::memcpy(s.key, key.data(), s.key_length);
  s.device_id = device_id;
  s.user_id = user_id;
  s.node_id = node_id;
  s.multiplier_milli = multiplier_milli;
  s.upload.store(0, std::memory_order_relaxed);
  s.download.store(0, std::memory_order_relaxed);
  s.spooled_upload.store(0, std::memory_order_relaxed);
  s.spooled_download.store(0, std::memory_order_relaxed);
  s.state.store(kLive, std::memory_order_release);
  return &s;
}

void MeterFile::end(MeterSlot* slot) noexcept {
  if (slot != nullptr) slot->state.store(kEnded, std::memory_order_release);
}

void MeterFile::collect(std::int64_t observed_at, std::vector<UsageRecord>& records, std::vector<SlotMark>& marks,
                        std::vector<SlotMark>& spent) noexcept {
  std::uint32_t high = 0;
  {
    std::lock_guard lock(mutex_);
    high = high_;
  }
  for (std::uint32_t i = 0; i < high; ++i) {
    MeterSlot& s = slots_[i];
    auto state = s.state.load(std::memory_order_acquire);
    if (state == kFree) continue;
    std::int64_t up = s.upload.load(std::memory_order_relaxed);
    std::int64_t down = s.download.load(std::memory_order_relaxed);
    std::int64_t sup = s.spooled_upload.load(std::memory_order_relaxed);
    std::int64_t sdown = s.spooled_download.load(std::memory_order_relaxed);
    // A total below its mark: bytes counted before a write and taken back after the last
    // collection (the write took fewer). They were reported already; later bytes fill the
    // gap before anything new is reported.
    std::int64_t dup = std::max<std::int64_t>(up - sup, 0);
    std::int64_t ddown = std::max<std::int64_t>(down - sdown, 0);
    SlotMark mark{i, std::max(up, sup), std::max(down, sdown)};
    if (dup == 0 && ddown == 0) {
      if (state == kEnded) spent.push_back(mark);  // nothing left: commit frees it
      continue;
    }
    records.push_back(record_of(s, observed_at, dup, ddown));
    marks.push_back(mark);
  }
}

void MeterFile::commit(const std::vector<SlotMark>& marks) noexcept {
  std::vector<std::uint32_t> freed;
  for (const auto& m : marks) {
    if (m.slot >= count_) continue;
    MeterSlot& s = slots_[m.slot];
    s.spooled_upload.store(m.upload, std::memory_order_relaxed);
    s.spooled_download.store(m.download, std::memory_order_relaxed);
    if (s.state.load(std::memory_order_acquire) == kEnded && s.upload.load(std::memory_order_relaxed) <= m.upload &&
        s.download.load(std::memory_order_relaxed) <= m.download) {
      s.state.store(kFree, std::memory_order_release);
      freed.push_back(m.slot);
    }
  }
  if (freed.empty()) return;
  std::lock_guard lock(mutex_);
  free_.insert(free_.end(), freed.begin(), freed.end());
  std::sort(free_.begin(), free_.end(), std::greater<>());
}

std::uint32_t MeterFile::in_use() const noexcept {
  std::lock_guard lock(mutex_);
  return count_ - static_cast<std::uint32_t>(free_.size());
}

}  // namespace httvps::gateway
