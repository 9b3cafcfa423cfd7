#pragma once
// Byte counters that outlive a crash of the gateway process: a memory-mapped file of
// fixed slots, one per (session, node), holding cumulative upload and download totals that
// the data path updates with plain atomic stores, and the totals already spooled. After a
// kill -9 the kernel still holds the pages; the next start reads what was metered and not
// yet spooled and reports it, so a process crash loses nothing that was metered
// (docs/usage-accounting.md). A power cut loses what the kernel had not written back.
//
// The reporter collects a slot's delta (total − spooled), writes it to the spool with the
// new "spooled" marks (fsync), and only then moves the slot's marks; marks found in
// pending spool batches at start-up are applied first, so a crash between the two steps
// neither loses nor repeats the delta.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/usage.hpp"

namespace httvps::gateway {

struct MeterSlot {
  std::atomic<std::uint32_t> state;  // 0 free, 1 live, 2 ended
  std::uint32_t key_length;
  std::int64_t device_id;
  std::int64_t user_id;
  std::int64_t node_id;  // 0: the direct upstream
  std::int64_t multiplier_milli;
  std::atomic<std::int64_t> upload;       // cumulative, written by the session's thread
  std::atomic<std::int64_t> download;
  std::atomic<std::int64_t> spooled_upload;    // what the spool holds, written by the reporter
  std::atomic<std::int64_t> spooled_download;
  char key[96];
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "the meter file needs lock-free 64-bit atomics");
static_assert(sizeof(MeterSlot) == 168, "the meter file format: docs/usage-accounting.md");

// A new "spooled" position of a slot, carried in the spool with the batch.
struct SlotMark {
  std::uint32_t slot = 0;
  std::int64_t upload = 0;
  std::int64_t download = 0;
};

class MeterFile {
 public:
  // Maps PATH (created, sized for SLOTS; a bigger existing file keeps its size). An empty
  // PATH maps anonymous memory (unit tests). nullptr with ERROR when it cannot.
  static std::unique_ptr<MeterFile> open(const std::string& path, std::uint32_t slots, std::string& error);
  ~MeterFile();
  MeterFile(const MeterFile&) = delete;
  MeterFile& operator=(const MeterFile&) = delete;

  // After a restart: applies MARKS found in pending spool batches, then returns the
  // residue of every slot that is not free (metered, never spooled) as records with their
  // marks, to be spooled before anything else. Call before any acquire().
  // NEW_MARKS[i] belongs to RECORDS[i]; slots with nothing left go to SPENT.
  void recover(const std::vector<SlotMark>& marks, std::int64_t observed_at, std::vector<UsageRecord>& records,
               std::vector<SlotMark>& new_marks, std::vector<SlotMark>& spent);

  // A live slot for (session KEY, NODE). nullptr when every slot is taken (the stream is
  // then refused: usage that cannot be kept is not carried).
  MeterSlot* acquire(const std::string& key, std::int64_t device_id, std::int64_t user_id, std::int64_t node_id,
                     std::int64_t multiplier_milli) noexcept;
  // The session is over; the slot is freed once its last delta is spooled.
  void end(MeterSlot* slot) noexcept;

  // Deltas of every live or ended slot, with the marks to commit after spooling them
  // (MARKS[i] belongs to RECORDS[i]); ended slots with nothing left go to SPENT, whose
  // commit frees them.
  void collect(std::int64_t observed_at, std::vector<UsageRecord>& records, std::vector<SlotMark>& marks,
               std::vector<SlotMark>& spent) noexcept;
  // The spool holds these deltas now: moves the marks; ended slots with nothing left are freed.
  void commit(const std::vector<SlotMark>& marks) noexcept;

  std::uint32_t capacity() const noexcept { return count_; }
  std::uint32_t in_use() const noexcept;

 private:
  MeterFile() = default;
  UsageRecord record_of(const MeterSlot& s, std::int64_t observed_at, std::int64_t up, std::int64_t down) const;

  MeterSlot* slots_ = nullptr;
  std::uint32_t count_ = 0;
  std::size_t bytes_ = 0;
  int fd_ = -1;
  mutable std::mutex mutex_;  // the free list and allocation
  std::vector<std::uint32_t> free_;
  std::uint32_t high_ = 0;  // above every slot ever used: collect() scans below it
};

}  // namespace httvps::gateway
