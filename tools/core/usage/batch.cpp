#include "core/usage/batch.hpp"

#include <string_view>
#include <unordered_set>

#include "core/error.hpp"
#include "core/units.hpp"

namespace httvps::usage {
namespace {

using nlohmann::json;

// Refuses members of OBJ not in ALLOWED.
void only_members(const json& obj, std::initializer_list<const char*> allowed, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) {
      std::string field = where + it.key();
      throw usage_error("unknown member '" + it.key() + "'", field.empty() ? "body" : field);
    }
  }
}

const json& member(const json& obj, const char* name, const std::string& field) {
  auto it = obj.find(name);
  if (it == obj.end()) throw usage_error(field + " is required", field);
  return *it;
}

std::int64_t integer(const json& v, const std::string& field, std::int64_t lo, std::int64_t hi) {
  std::int64_t n = 0;
  if (v.is_number_unsigned()) {
    if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      throw usage_error(field + " must be at most " + std::to_string(hi), field);
    }
    n = static_cast<std::int64_t>(v.get<std::uint64_t>());
  } else if (v.is_number_integer()) {
    n = v.get<std::int64_t>();
  } else {
    throw usage_error(field + " must be an integer", field);
  }
  if (n < lo) throw usage_error(field + " must be at least " + std::to_string(lo), field);
  if (n > hi) throw usage_error(field + " must be at most " + std::to_string(hi), field);
  return n;
}

std::optional<std::int64_t> optional_id(const json& obj, const char* name, const std::string& field) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  return integer(*it, field, 1, INT64_MAX);
}

std::int64_t timestamp(const json& v, const std::string& field) {
  if (!v.is_string()) throw usage_error(field + " must be an RFC 3339 timestamp string", field);
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() < 20 || s.size() > 40 || s[10] != 'T') {
    throw usage_error(field + " must be an RFC 3339 timestamp such as 2026-11-22T13:00:05Z", field);
  }
  try {
    return units::parse_timestamp(s);
  } catch (const Failure&) {
    throw usage_error(field + " must be an RFC 3339 timestamp such as 2026-11-22T13:00:05Z", field);
  }
}

// A name of 1 to MAX characters: letters, digits and the characters of PUNCTUATION.
std::string name_string(const json& v, const std::string& field, std::size_t max, std::string_view punctuation) {
  if (!v.is_string()) throw usage_error(field + " must be a string", field);
  const auto& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > max) throw usage_error(field + " must be 1 to " + std::to_string(max) + " characters", field);
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              punctuation.find(c) != std::string_view::npos;
    if (!ok) {
      std::string allowed;
      for (char p : punctuation) allowed += std::string(", '") + p + "'";
      throw usage_error(field + " may hold only A-Z, a-z, 0-9" + allowed, field);
    }
  }
  return s;
}

std::string session_key(const json& v, const std::string& field) { return name_string(v, field, 128, "._-"); }

const json& array_member(const json& body, const char* name, std::size_t max) {
  const json& a = member(body, name, name);
  if (!a.is_array()) throw usage_error(std::string(name) + " must be an array", name);
  if (a.size() > max) throw usage_error(std::string(name) + " holds more than " + std::to_string(max) + " entries", name);
  return a;
}

}  // namespace

UsageBatch parse_usage_batch(const json& body, std::int64_t now, std::int64_t retention_seconds) {
  if (!body.is_object()) throw usage_error("the usage batch must be a JSON object", "body");
  only_members(body, {"batch_seq", "sent_at", "records"}, "");
  UsageBatch b;
  b.batch_seq = integer(member(body, "batch_seq", "batch_seq"), "batch_seq", 0, INT64_MAX);
  if (auto it = body.find("sent_at"); it != body.end() && !it->is_null()) b.sent_at = timestamp(*it, "sent_at");
  const json& records = array_member(body, "records", kMaxRecords);
  b.records.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string at = "records[" + std::to_string(i) + "]";
    const json& r = records[i];
    if (!r.is_object()) throw usage_error(at + " must be an object", at);
    only_members(r, {"session", "device_id", "user_id", "node_id", "observed_at", "upload", "download"}, at + ".");
    UsageRecord u;
    u.session = session_key(member(r, "session", at + ".session"), at + ".session");
    u.device_id = integer(member(r, "device_id", at + ".device_id"), at + ".device_id", 1, INT64_MAX);
    u.user_id = integer(member(r, "user_id", at + ".user_id"), at + ".user_id", 1, INT64_MAX);
    u.node_id = optional_id(r, "node_id", at + ".node_id");
    u.observed_at = timestamp(member(r, "observed_at", at + ".observed_at"), at + ".observed_at");
    if (u.observed_at > now + kMaxFutureSeconds) {
      throw usage_error(at + ".observed_at is more than " + std::to_string(kMaxFutureSeconds) + " s in the future",
                        at + ".observed_at");
    }
    if (u.observed_at < now - retention_seconds) {
      throw usage_error(at + ".observed_at is older than the raw usage retention (usage.retention_days)",
                        at + ".observed_at");
    }
    u.upload = integer(member(r, "upload", at + ".upload"), at + ".upload", 0, kMaxBytes);
    u.download = integer(member(r, "download", at + ".download"), at + ".download", 0, kMaxBytes);
    b.records.push_back(std::move(u));
  }
  return b;
}

json records_for_insert(const UsageBatch& batch) {
  json out = json::array();
  for (const auto& r : batch.records) {
    out.push_back({{"session", r.session},
                   {"device_id", r.device_id},
                   {"user_id", r.user_id},
                   {"node_id", r.node_id ? json(*r.node_id) : json(nullptr)},
                   {"observed_at", r.observed_at},
                   {"upload", r.upload},
                   {"download", r.download}});
  }
  return out;
}

Heartbeat parse_heartbeat(const json& body, std::int64_t now) {
  if (!body.is_object()) throw usage_error("the heartbeat must be a JSON object", "body");
  only_members(body, {"version", "sessions", "page"}, "");
  Heartbeat h;
  if (auto it = body.find("page"); it != body.end()) {
    if (!it->is_object()) throw usage_error("page must be an object {round, index, count}", "page");
    only_members(*it, {"round", "index", "count"}, "page.");
    HeartbeatPage p;
    // No '.': the control plane names one-body rounds "single.…", which no page can take.
    p.round = name_string(member(*it, "round", "page.round"), "page.round", 64, "_-");
    p.count = integer(member(*it, "count", "page.count"), "page.count", 1, kMaxHeartbeatPages);
    p.index = integer(member(*it, "index", "page.index"), "page.index", 0, p.count - 1);
    h.page = std::move(p);
  }
  const json& version = member(body, "version", "version");
  if (!version.is_string() || version.get_ref<const std::string&>().empty() ||
      version.get_ref<const std::string&>().size() > 64) {
    throw usage_error("version must be a string of 1 to 64 characters", "version");
  }
  h.version = version.get<std::string>();
  for (unsigned char c : h.version) {
    if (c < 0x20 || c == 0x7f) throw usage_error("version must be printable", "version");
  }
  const json& sessions = array_member(body, "sessions", kMaxSessions);
  h.sessions.reserve(sessions.size());
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const std::string at = "sessions[" + std::to_string(i) + "]";
    const json& s = sessions[i];
    if (!s.is_object()) throw usage_error(at + " must be an object", at);
    only_members(s, {"session", "device_id", "user_id", "node_id", "client_addr", "started_at", "upload", "download"},
                 at + ".");
    LiveSession l;
    l.session = session_key(member(s, "session", at + ".session"), at + ".session");
    if (!seen.insert(l.session).second) throw usage_error(at + ".session repeats an earlier session", at + ".session");
    l.device_id = integer(member(s, "device_id", at + ".device_id"), at + ".device_id", 1, INT64_MAX);
    l.user_id = integer(member(s, "user_id", at + ".user_id"), at + ".user_id", 1, INT64_MAX);
    l.node_id = optional_id(s, "node_id", at + ".node_id");
    if (auto it = s.find("client_addr"); it != s.end() && !it->is_null()) {
      if (!it->is_string() || it->get_ref<const std::string&>().empty() || it->get_ref<const std::string&>().size() > 64) {
        throw usage_error(at + ".client_addr must be an address of 1 to 64 characters", at + ".client_addr");
      }
      for (char c : it->get_ref<const std::string&>()) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':' ||
                  c == '[' || c == ']';
        if (!ok) throw usage_error(at + ".client_addr must be an IP address", at + ".client_addr");
      }
      l.client_addr = it->get<std::string>();
    }
    l.started_at = timestamp(member(s, "started_at", at + ".started_at"), at + ".started_at");
    if (l.started_at > now + kMaxFutureSeconds) {
      throw usage_error(at + ".started_at is in the future", at + ".started_at");
    }
    l.upload = integer(member(s, "upload", at + ".upload"), at + ".upload", 0, INT64_MAX / 4);
    l.download = integer(member(s, "download", at + ".download"), at + ".download", 0, INT64_MAX / 4);
    h.sessions.push_back(std::move(l));
  }
  return h;
}

json sessions_for_upsert(const Heartbeat& h) {
  json out = json::array();
  for (const auto& s : h.sessions) {
    out.push_back({{"session", s.session},
                   {"device_id", s.device_id},
                   {"user_id", s.user_id},
                   {"node_id", s.node_id ? json(*s.node_id) : json(nullptr)},
                   {"client_addr", s.client_addr ? json(*s.client_addr) : json(nullptr)},
                   {"started_at", s.started_at},
                   {"upload", s.upload},
                   {"download", s.download}});
  }
  return out;
}

}  // namespace httvps::usage
