#include "core/usage/batch.hpp"

#include <catch2/catch.hpp>

#include "core/error.hpp"

using namespace httvps;
using namespace httvps::usage;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1795352405;  // 2026-11-22T13:00:05Z
constexpr std::int64_t kWeek = 7 * 86400;

json record() {
  return {{"session", "3f9a.s-1_x"}, {"device_id", 12}, {"user_id", 7}, {"node_id", 3},
          {"observed_at", "2026-11-22T13:00:05Z"}, {"upload", 1234}, {"download", 567890}};
}

json batch_of(json records) {
  return {{"batch_seq", 1795000000123456LL}, {"sent_at", "2026-11-22T13:00:05Z"}, {"records", std::move(records)}};
}

// The field a refused body names.
std::string refused_field(const json& body) {
  try {
    parse_usage_batch(body, kNow, kWeek);
  } catch (const Failure& f) {
    CHECK(f.code() == ExitCode::kUsage);
    return f.field();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("a well-formed usage batch parses into records", "[usage]") {
  json r2 = record();
  r2["node_id"] = nullptr;
  r2["upload"] = 0;
  r2["download"] = 0;
  auto b = parse_usage_batch(batch_of({record(), r2}), kNow, kWeek);
  CHECK(b.batch_seq == 1795000000123456LL);
  REQUIRE(b.records.size() == 2);
  CHECK(b.records[0].session == "3f9a.s-1_x");
  CHECK(b.records[0].node_id == 3);
  CHECK(b.records[0].observed_at == kNow);
  CHECK(b.records[0].download == 567890);
  CHECK_FALSE(b.records[1].node_id.has_value());
  auto rows = records_for_insert(b);
  CHECK(rows[1]["node_id"].is_null());
  CHECK(rows[0]["observed_at"] == kNow);
  CHECK(parse_usage_batch(batch_of(json::array()), kNow, kWeek).records.empty());
}

TEST_CASE("a malformed usage batch is refused naming the member at fault", "[usage]") {
  auto with = [](const char* key, json value) {
    json r = record();
    if (value.is_discarded()) r.erase(key);
    else r[key] = std::move(value);
    return batch_of({record(), record(), record(), r});
  };
  const json gone = json(json::value_t::discarded);
  CHECK(refused_field(with("upload", -1)) == "records[3].upload");
  CHECK(refused_field(with("upload", (1LL << 40) + 1)) == "records[3].upload");
  CHECK(refused_field(with("upload", 1LL << 40)) == "(accepted)");
  CHECK(refused_field(with("download", 1.5)) == "records[3].download");
  CHECK(refused_field(with("download", "12")) == "records[3].download");
  CHECK(refused_field(with("download", gone)) == "records[3].download");
  CHECK(refused_field(with("device_id", 0)) == "records[3].device_id");
  CHECK(refused_field(with("user_id", -7)) == "records[3].user_id");
  CHECK(refused_field(with("node_id", 0)) == "records[3].node_id");
  CHECK(refused_field(with("session", "")) == "records[3].session");
  CHECK(refused_field(with("session", std::string(129, 'a'))) == "records[3].session");
  CHECK(refused_field(with("session", "a b")) == "records[3].session");
  CHECK(refused_field(with("observed_at", "yesterday")) == "records[3].observed_at");
  CHECK(refused_field(with("observed_at", 1795352405)) == "records[3].observed_at");
  CHECK(refused_field(with("observed_at", "2026-11-22T13:05:06Z")) == "records[3].observed_at");  // 301 s ahead
  CHECK(refused_field(with("observed_at", "2026-11-22T13:05:05Z")) == "(accepted)");
  CHECK(refused_field(with("observed_at", "2026-11-15T13:00:04Z")) == "records[3].observed_at");  // past retention
  CHECK(refused_field(with("extra", 1)) == "records[3].extra");

  json b = batch_of({record()});
  b["batch_seq"] = -1;
  CHECK(refused_field(b) == "batch_seq");
  b["batch_seq"] = "1";
  CHECK(refused_field(b) == "batch_seq");
  b.erase("batch_seq");
  CHECK(refused_field(b) == "batch_seq");
  b = batch_of({record()});
  b["gateway"] = "me";
  CHECK(refused_field(b) == "gateway");
  b = batch_of({record()});
  b["records"] = json::object();
  CHECK(refused_field(b) == "records");
  b = batch_of(json::array({1}));
  CHECK(refused_field(b) == "records[0]");
  b = batch_of({record()});
  b["sent_at"] = "soon";
  CHECK(refused_field(b) == "sent_at");
  CHECK(refused_field(json::array()) == "body");
}

TEST_CASE("a usage batch holds at most 5000 records", "[usage]") {
  json records = json::array();
  for (int i = 0; i < 5000; ++i) records.push_back(record());
  CHECK(parse_usage_batch(batch_of(records), kNow, kWeek).records.size() == 5000);
  records.push_back(record());
  CHECK(refused_field(batch_of(records)) == "records");
}

TEST_CASE("a heartbeat lists unique live sessions", "[usage]") {
  json s = {{"session", "abc"}, {"device_id", 12}, {"user_id", 7}, {"node_id", nullptr},
            {"client_addr", "198.51.100.7"}, {"started_at", "2026-11-22T12:59:00Z"}, {"upload", 123}, {"download", 456}};
  json body = {{"version", "0.1.0"}, {"sessions", {s}}};
  auto h = parse_heartbeat(body, kNow);
  CHECK(h.version == "0.1.0");
  REQUIRE(h.sessions.size() == 1);
  CHECK(h.sessions[0].client_addr == "198.51.100.7");
  CHECK(sessions_for_upsert(h)[0]["started_at"] == kNow - 65);

  auto field_of = [](const json& b) {
    try {
      parse_heartbeat(b, kNow);
    } catch (const Failure& f) {
      return f.field();
    }
    return std::string("(accepted)");
  };
  json twice = {{"version", "0.1.0"}, {"sessions", {s, s}}};
  CHECK(field_of(twice) == "sessions[1].session");
  json bad = body;
  bad["sessions"][0]["client_addr"] = "<script>";
  CHECK(field_of(bad) == "sessions[0].client_addr");
  bad = body;
  bad["sessions"][0]["started_at"] = "2026-11-22T14:00:00Z";
  CHECK(field_of(bad) == "sessions[0].started_at");
  bad = body;
  bad["version"] = "";
  CHECK(field_of(bad) == "version");
  bad = body;
  bad.erase("sessions");
  CHECK(field_of(bad) == "sessions");

  // Pages: a round of letters, digits, '-' and '_', and an index below the count.
  CHECK(h.closes_round());
  json paged = body;
  paged["page"] = {{"round", "r-17_a"}, {"index", 1}, {"count", 3}};
  auto p = parse_heartbeat(paged, kNow);
  REQUIRE(p.page);
  CHECK(p.page->round == "r-17_a");
  CHECK_FALSE(p.closes_round());
  paged["page"]["index"] = 2;
  CHECK(parse_heartbeat(paged, kNow).closes_round());
  paged["page"]["index"] = 3;
  CHECK(field_of(paged) == "page.index");
  paged["page"] = {{"round", "single.x"}, {"index", 0}, {"count", 1}};
  CHECK(field_of(paged) == "page.round");
  paged["page"] = {{"round", "r"}, {"index", 0}, {"count", 1001}};
  CHECK(field_of(paged) == "page.count");
  paged["page"] = {{"round", "r"}, {"index", 0}, {"count", 1}, {"extra", 1}};
  CHECK(field_of(paged) == "page.extra");
  paged["page"] = "r";
  CHECK(field_of(paged) == "page");
}
