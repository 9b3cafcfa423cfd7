#pragma once
// The gateway's usage spool: an append-only file of usage batches, each written and
// fsync'd before it is sent, and marked done once the control plane has acknowledged it
// (or refused it for good). Batches that are not done are replayed in order, also after a
// restart. File format (docs/usage-accounting.md), one JSON document per line:
//
//   {"batch":SEQ,"body":{...the POST /api/v1/usage body...},"milli":[1000,...],
//    "marks":[[SLOT,UPLOAD,DOWNLOAD],...]}     (meter_file.hpp)
//   {"done":SEQ}
//   {"rejected":SEQ,"error":"..."}        (the batch is also copied to rejected.jsonl)
//   {"seq":SEQ}                            (the highest sequence, kept by compaction)
//
// A torn last line (a crash in the middle of a write) is cut off when the file is opened.
// Batch sequence numbers only grow: the next is the larger of the last one + 1 and the
// current Unix time in microseconds, so even a lost spool directory cannot reuse one.
// Not thread-safe: the reporter thread owns it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gateway/meter_file.hpp"

namespace httvps::gateway {

struct SpooledBatch {
  std::int64_t seq = 0;
  nlohmann::json body;              // as sent
  std::vector<std::int64_t> milli;  // each record's node multiplier, thousandths
  std::vector<SlotMark> marks;      // the meter-file positions these records bring the spool to
};

class Spool {
 public:
  // Opens (creating) DIR/usage.spool. nullopt with ERROR when the directory or file cannot
  // be used. Lines that cannot be read are reported in WARNINGS and skipped.
  static std::optional<Spool> open(const std::string& dir, std::string& error, std::vector<std::string>& warnings);

  Spool(Spool&&) noexcept;
  Spool& operator=(Spool&&) noexcept;
  ~Spool();

  // Appends a batch of RECORDS (the JSON records of the usage body) and fsyncs; fills in
  // batch_seq and sent_at. False with ERROR when the disk refuses (the batch is then not
  // spooled).
  bool append(nlohmann::json records, std::vector<std::int64_t> milli, std::vector<SlotMark> marks,
              std::int64_t now_unix, std::string& error);

  const std::deque<SpooledBatch>& pending() const noexcept { return pending_; }
  // The oldest pending batch is acknowledged (DONE) or refused for good (ERROR non-empty).
  bool finish_front(const std::string& rejection, std::string& error);

  std::uint64_t file_bytes() const noexcept { return file_bytes_; }
  std::int64_t last_seq() const noexcept { return last_seq_; }

 private:
  Spool() = default;
  bool write_line(const std::string& line, bool sync, std::string& error);
  bool compact(std::string& error);

  std::string dir_;
  std::string path_;
  int fd_ = -1;
  std::deque<SpooledBatch> pending_;
  std::int64_t last_seq_ = 0;
  std::uint64_t file_bytes_ = 0;
};

}  // namespace httvps::gateway
