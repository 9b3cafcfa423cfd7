// Unit tests of metering, limits and the usage spool (tools/gateway/usage, spool, reporter).

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/meter_file.hpp"
#include "gateway/reporter.hpp"
#include "gateway/spool.hpp"
#include "gateway/usage.hpp"

using namespace httvps::gateway;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char templ[] = "/tmp/httvps-spool-XXXXXX";
    path = mkdtemp(templ);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string str() const { return path.string(); }
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json one_record(std::int64_t user, std::int64_t up, std::int64_t down) {
  UsageRecord r;
  r.session = "gw-1";
  r.device_id = 7;
  r.user_id = user;
  r.node_id = 3;
  r.observed_at = 1795000000;
  r.bytes = {up, down};
  return records_json({r});
}

}  // namespace

TEST_CASE("a token bucket grants its burst, then its rate") {
  TokenBucket b;
  auto t0 = UsageClock::time_point(std::chrono::seconds(1000));
  b.configure(1'000'000, t0);  // 1 MB/s: burst 50,000 bytes
  CHECK(b.take(64 * 1024, t0) == 50'000);
  CHECK(b.take(64 * 1024, t0) == 0);
  // 4 KiB (the smallest grant) take 4.096 ms to come back.
  auto wait = b.wait_for(64 * 1024, t0);
  CHECK(wait >= 4ms);
  CHECK(wait <= 5ms);
  CHECK(b.take(64 * 1024, t0 + 10ms) == 10'000);
  b.give_back(3000);
  CHECK(b.take(64 * 1024, t0 + 10ms) == 0);  // 3,000 < 4 KiB: no tiny grants
  CHECK(b.take(1000, t0 + 10ms) == 1000);    // but a small want is served
  // Over a long idle the bucket holds at most its burst.
  CHECK(b.take(1 << 20, t0 + 60s) == 50'000);
}

TEST_CASE("billed bytes are floor(raw x multiplier) per record") {
  UsageRecord r;
  r.bytes = {1000, 1};
  r.multiplier_milli = 1500;
  CHECK(billed_bytes(r) == 1501);  // 1001 × 1.5 = 1501.5
  r.multiplier_milli = 1;
  CHECK(billed_bytes(r) == 1);
  CHECK(multiplier_milli(1.5) == 1500);
  CHECK(multiplier_milli(0.001) == 1);
  CHECK(multiplier_milli(100) == 100000);
  CHECK_FALSE(multiplier_milli(0));
  CHECK_FALSE(multiplier_milli(-1));
  CHECK_FALSE(multiplier_milli(100.5));
  CHECK_FALSE(multiplier_milli(std::nan("")));
}

TEST_CASE("a fresh answer counts what this gateway metered and the control plane has not acknowledged") {
  Ledger ledger;
  auto now = UsageClock::now();
  auto remaining = ledger.apply_answer(1, 10, {1000, std::nullopt}, true, now, now);
  REQUIRE(remaining == 1000);
  auto account = ledger.user(1);
  {
    std::lock_guard lock(account->mutex);
    account->remaining_milli -= 400 * kMilli;  // a stream took 400 bytes
    account->unacked_milli += 400 * kMilli;    // and they were metered
  }
  // The control plane has not seen the 400 bytes: its answer still says 1000.
  CHECK(ledger.apply_answer(1, 10, {1000, std::nullopt}, true, UsageClock::now(), UsageClock::now()) == 600);
  // A cached answer changes nothing.
  CHECK(ledger.apply_answer(1, 10, {5000, std::nullopt}, false, UsageClock::now(), UsageClock::now()) == 600);
  // The batch is acknowledged while a validation is on its way; the answer may or may not
  // count it, so it is taken off anyway (the safe side)...
  auto asked = UsageClock::now();
  UsageRecord r;
  r.user_id = 1;
  r.bytes = {400, 0};
  ledger.acknowledged({r}, asked + 1ms);
  CHECK(ledger.apply_answer(1, 10, {1000, std::nullopt}, true, asked, asked + 2ms) == 600);
  // ...and the next answer, asked after the acknowledgement, is taken as it is.
  CHECK(ledger.apply_answer(1, 10, {600, std::nullopt}, true, asked + 3ms, asked + 4ms) == 600);
  // No limit.
  CHECK_FALSE(ledger.apply_answer(1, 10, {std::nullopt, std::nullopt}, true, asked, asked));
}

TEST_CASE("session meters hand out deltas per node, once") {
  Ledger ledger;
  auto meter = ledger.open_session("gw-abc", 7, 1, "198.51.100.7", 1795000000);
  REQUIRE(meter->reserve(3, 1500));
  REQUIRE(meter->reserve(0, 1000));
  meter->add(3, 1500, 100, 2000);
  meter->add(0, 1000, 5, 6);
  meter->add(3, 1500, 1, 1);
  std::vector<UsageRecord> first;
  std::vector<SlotMark> marks, spent;
  ledger.collect(1795000002, first, marks, spent);
  REQUIRE(first.size() == 2);
  REQUIRE(marks.size() == 2);
  CHECK(spent.empty());
  REQUIRE(first[0].node_id == 3);  // the slot taken first
  CHECK(first[0].bytes.upload == 101);
  CHECK(first[0].bytes.download == 2001);
  CHECK(first[0].multiplier_milli == 1500);
  CHECK(first[0].observed_at == 1795000002);
  CHECK(first[0].session == "gw-abc");
  CHECK_FALSE(first[1].node_id);  // node 0: the direct upstream
  CHECK(first[1].bytes.upload == 5);
  // Not committed (the spool did not take it): the same deltas come again.
  std::vector<UsageRecord> again;
  std::vector<SlotMark> again_marks;
  ledger.collect(1795000003, again, again_marks, spent);
  CHECK(again.size() == 2);
  ledger.commit(again_marks);
  std::vector<UsageRecord> none;
  std::vector<SlotMark> none_marks;
  ledger.collect(1795000004, none, none_marks, spent);
  CHECK(none.empty());
  REQUIRE(ledger.live_sessions().size() == 1);
  CHECK(ledger.live_sessions()[0].total.download == 2007);
  meter->add(3, 1500, 9, 0);
  meter->end();
  CHECK(ledger.live_sessions().empty());
  std::vector<UsageRecord> last;
  std::vector<SlotMark> last_marks;
  ledger.collect(1795000006, last, last_marks, spent);
  REQUIRE(last.size() == 1);
  CHECK(last[0].bytes.upload == 9);
  CHECK(ledger.meters().in_use() == 2);
  ledger.commit(last_marks);  // the node-3 slot is spent now
  std::vector<UsageRecord> tail;
  std::vector<SlotMark> tail_marks, tail_spent;
  ledger.collect(1795000008, tail, tail_marks, tail_spent);
  CHECK(tail.empty());
  CHECK(tail_spent.size() == 1);  // the direct slot ended with nothing left
  ledger.commit(tail_spent);
  CHECK(ledger.meters().in_use() == 0);
}

TEST_CASE("a meter file keeps what was metered across a crash, and a restart reports it once") {
  TempDir dir;
  std::string path = dir.str() + "/meters.bin";
  std::string error;
  std::vector<SlotMark> spooled_marks;
  {
    auto file = MeterFile::open(path, 16, error);
    REQUIRE(file);
    // c comes first in the file and has nothing left: the residue of the others must
    // still line up with their marks.
    MeterSlot* c = file->acquire("gw-0", 6, 3, 3, 1000);
    REQUIRE(c);
    c->upload.store(10);
    c->spooled_upload.store(10);
    file->end(c);
    MeterSlot* a = file->acquire("gw-1", 7, 1, 3, 1000);
    MeterSlot* b = file->acquire("gw-2", 8, 2, 0, 1000);
    REQUIRE(a);
    REQUIRE(b);
    a->upload.store(1000);
    a->download.store(5000);
    b->download.store(42);
    std::vector<UsageRecord> records;
    std::vector<SlotMark> marks, spent;
    file->collect(1795000000, records, marks, spent);
    REQUIRE(records.size() == 2);
    file->commit({marks[1]});  // b's batch is spooled and marked
    spooled_marks = {marks[0]};  // a's batch reached the spool, the crash came before its mark
    a->download.store(7000);     // and 2,000 more bytes were metered
    b->download.store(50);
    // The process dies here: no destructor runs for the mapping's contents.
  }
  auto file = MeterFile::open(path, 16, error);
  REQUIRE(file);
  std::vector<UsageRecord> residue;
  std::vector<SlotMark> marks, spent;
  file->recover(spooled_marks, 1795000100, residue, marks, spent);
  REQUIRE(residue.size() == 2);
  REQUIRE(marks.size() == 2);
  CHECK(spent.size() == 1);  // c: ended with everything spooled
  CHECK(residue[0].session == "gw-1");
  CHECK(marks[0].slot == 1);
  CHECK(marks[1].slot == 2);
  CHECK(marks[0].download == 7000);
  CHECK(residue[0].bytes.upload == 0);
  CHECK(residue[0].bytes.download == 2000);  // not the 5,000 the spool already holds
  CHECK(residue[1].bytes.download == 8);
  file->commit(marks);
  file->commit(spent);
  CHECK(file->in_use() == 0);  // the sessions died with the process: their slots are free
  std::vector<UsageRecord> none;
  std::vector<SlotMark> none_marks, none_spent;
  file->recover({}, 1795000200, none, none_marks, none_spent);
  CHECK(none.empty());
  CHECK(none_spent.empty());
}

TEST_CASE("a meter file of another size or with garbage slots is refused or cleaned") {
  TempDir dir;
  std::string path = dir.str() + "/meters.bin";
  {
    std::ofstream out(path);
    out << "not a meter file";
  }
  std::string error;
  CHECK_FALSE(MeterFile::open(path, 16, error));
  CHECK(error.find("not a whole number") != std::string::npos);
  std::filesystem::resize_file(path, sizeof(MeterSlot) * 4);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    std::uint32_t live = 1;
    f.write(reinterpret_cast<const char*>(&live), sizeof live);  // "live", every other field zero
  }
  auto file = MeterFile::open(path, 16, error);
  REQUIRE(file);
  CHECK(file->capacity() == 16);
  std::vector<UsageRecord> residue;
  std::vector<SlotMark> marks, spent;
  file->recover({}, 1795000000, residue, marks, spent);
  CHECK(residue.empty());
  CHECK(file->in_use() == 0);
}

TEST_CASE("the spool keeps batches across a restart until they are done") {
  TempDir dir;
  std::string error;
  std::vector<std::string> warnings;
  std::int64_t first_seq = 0;
  {
    auto spool = Spool::open(dir.str(), error, warnings);
    REQUIRE(spool);
    REQUIRE(spool->append(one_record(1, 10, 20), {1000}, {{0, 10, 20}}, 1795000000, error));
    REQUIRE(spool->append(one_record(1, 30, 40), {2000}, {}, 1795000001, error));
    REQUIRE(spool->append(one_record(2, 50, 60), {1000}, {}, 1795000002, error));
    first_seq = spool->pending().front().seq;
    CHECK(spool->pending()[1].seq > first_seq);
    CHECK(spool->pending()[0].body["batch_seq"] == first_seq);
    CHECK(spool->pending()[0].body["sent_at"] == "2026-11-18T11:06:40Z");
    REQUIRE(spool->finish_front("", error));  // acknowledged
  }
  auto spool = Spool::open(dir.str(), error, warnings);
  REQUIRE(spool);
  CHECK(warnings.empty());
  REQUIRE(spool->pending().size() == 2);
  CHECK(spool->pending()[0].seq > first_seq);
  CHECK(spool->pending()[0].milli == std::vector<std::int64_t>{2000});
  auto records = records_of(spool->pending()[0]);
  REQUIRE(records.size() == 1);
  CHECK(records[0].bytes.upload == 30);
  CHECK(records[0].multiplier_milli == 2000);
  // Sequence numbers never go back, even after compaction.
  std::int64_t last = spool->last_seq();
  REQUIRE(spool->finish_front("records[0].upload is implausible", error));
  REQUIRE(spool->finish_front("", error));
  REQUIRE(spool->append(one_record(1, 1, 1), {1000}, {}, 1795000003, error));
  CHECK(spool->pending().back().seq > last);
  // The refused batch is kept for the operator.
  auto rejected = read_file(dir.path / "rejected.jsonl");
  CHECK(rejected.find("implausible") != std::string::npos);
  CHECK(rejected.find("\"upload\":30") != std::string::npos);
}

TEST_CASE("a torn last line is cut off and the rest replays") {
  TempDir dir;
  std::string error;
  std::vector<std::string> warnings;
  {
    auto spool = Spool::open(dir.str(), error, warnings);
    REQUIRE(spool);
    REQUIRE(spool->append(one_record(1, 10, 20), {1000}, {{0, 10, 20}}, 1795000000, error));
  }
  {
    std::ofstream out(dir.path / "usage.spool", std::ios::app);
    out << "{\"batch\":99,\"body\":{\"recor";  // a crash in the middle of a write
  }
  auto spool = Spool::open(dir.str(), error, warnings);
  REQUIRE(spool);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("torn last line") != std::string::npos);
  REQUIRE(spool->pending().size() == 1);
  REQUIRE(spool->append(one_record(1, 1, 2), {1000}, {{3, 1, 2}}, 1795000001, error));
  // The new batch starts on a line of its own.
  auto text = read_file(dir.path / "usage.spool");
  CHECK(text.find("recor{") == std::string::npos);
  auto again = Spool::open(dir.str(), error, warnings);
  REQUIRE(again);
  REQUIRE(again->pending().size() == 2);
  REQUIRE(again->pending()[1].marks.size() == 1);
  CHECK(again->pending()[1].marks[0].slot == 3);
  CHECK(again->pending()[1].marks[0].download == 2);
}

TEST_CASE("a spool directory that cannot be created is an error that names it") {
  std::string error;
  std::vector<std::string> warnings;
  CHECK_FALSE(Spool::open("/proc/httvps-no/spool", error, warnings));
  CHECK(error.find("/proc/httvps-no/spool") != std::string::npos);
}

TEST_CASE("a heartbeat with more sessions than a page is sent in pages of one round, in order") {
  std::vector<SessionInfo> sessions(5);
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    sessions[i].session = "gw-" + std::to_string(i);
    sessions[i].device_id = 7;
    sessions[i].user_id = 1;
  }
  auto one = heartbeat_bodies(sessions, "0.1.0", 5, "r1");
  REQUIRE(one.size() == 1);
  CHECK_FALSE(one[0].contains("page"));
  CHECK(one[0]["sessions"].size() == 5);
  auto pages = heartbeat_bodies(sessions, "0.1.0", 2, "r1");
  REQUIRE(pages.size() == 3);
  std::vector<std::string> named;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    CHECK(pages[i]["page"] == nlohmann::json({{"round", "r1"}, {"index", i}, {"count", 3}}));
    CHECK(pages[i]["version"] == "0.1.0");
    for (const auto& s : pages[i]["sessions"]) named.push_back(s["session"]);
  }
  CHECK(named == std::vector<std::string>{"gw-0", "gw-1", "gw-2", "gw-3", "gw-4"});
  CHECK(pages[2]["sessions"].size() == 1);
}

TEST_CASE("heartbeat and usage bodies carry the contract's members") {
  SessionInfo s;
  s.session = "gw-1";
  s.device_id = 7;
  s.user_id = 1;
  s.client_addr = "198.51.100.7";
  s.started_at = 1795000000;
  s.total = {5, 6};
  auto hb = heartbeat_json({s}, "0.1.0");
  CHECK(hb.dump() ==
        R"({"sessions":[{"client_addr":"198.51.100.7","device_id":7,"download":6,"node_id":null,"session":"gw-1",)"
        R"("started_at":"2026-11-18T11:06:40Z","upload":5,"user_id":1}],"version":"0.1.0"})");
  CHECK(one_record(1, 10, 20).dump() ==
        R"([{"device_id":7,"download":20,"node_id":3,"observed_at":"2026-11-18T11:06:40Z","session":"gw-1",)"
        R"("upload":10,"user_id":1}])");
}
