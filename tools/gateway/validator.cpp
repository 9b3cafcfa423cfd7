#include "gateway/validator.hpp"

#include "gateway/http_timeouts.hpp"

#include <nlohmann/json.hpp>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "gateway/usage.hpp"
#include "net/socket.hpp"
#include "tunnel/shadowsocks.hpp"

namespace httvps::gateway {

namespace {

using Json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

std::optional<std::int64_t> optional_int(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::string string_or(const Json& object, const char* key, std::string fallback = {}) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::optional<NodeRoute> parse_node(const Json& node, std::string& why) {
  if (!node.is_object()) {
    why = "a node that is not an object";
    return std::nullopt;
  }
  NodeRoute route;
  route.id = optional_int(node, "id").value_or(0);
  route.name = string_or(node, "name", "node-" + std::to_string(route.id));
  std::string kind = string_or(node, "kind");
  std::string host = string_or(node, "host");
  auto port = optional_int(node, "port");
  std::string method = string_or(node, "method");
  std::string password = string_or(node, "password");
  if (kind != "shadowsocks" && kind != "outline") {
    why = "node '" + route.name + "' is of kind '" + kind + "', which the gateway cannot reach";
    return std::nullopt;
  }
  if (host.empty() || !port || *port < 1 || *port > 65535) {
    why = "node '" + route.name + "' has no valid host and port";
    return std::nullopt;
  }
  auto cipher = tunnel::parse_cipher(method);
  if (!cipher) {
    why = "node '" + route.name + "' uses the cipher '" + method + "', which is not an AEAD cipher the gateway speaks";
    return std::nullopt;
  }
  if (password.empty()) {
    why = "node '" + route.name + "' has no gateway secret";
    return std::nullopt;
  }
  std::string error;
  auto address = net::resolve(host, static_cast<std::uint16_t>(*port), error);
  if (!address) {
    why = "node '" + route.name + "': " + error;
    return std::nullopt;
  }
  route.hop.address = *address;
  route.hop.name = route.name;
  route.hop.shadowsocks = true;
  route.hop.cipher = *cipher;
  route.hop.key = tunnel::password_to_key(password, tunnel::key_size(*cipher));
  if (auto m = node.find("usage_multiplier"); m != node.end() && !m->is_null()) {
    auto milli = m->is_number() ? multiplier_milli(m->get<double>()) : std::nullopt;
    if (!milli) {
      why = "node '" + route.name + "' has a usage_multiplier that is not a number in (0, 100]";
      return std::nullopt;
    }
    route.multiplier_milli = *milli;
  }
  return route;
}

}  // namespace

std::optional<Verdict> parse_validate_answer(int status, const std::string& body, std::vector<std::string>& dropped) {
  if (status != 200 && status != 403) return std::nullopt;
  Json doc = Json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  std::string verdict = string_or(doc, "verdict");
  if (status == 403 && string_or(doc, "code") != "refused") return std::nullopt;  // the gateway itself is refused
  if ((status == 200) != (verdict == "allowed")) return std::nullopt;
  Verdict v;
  v.allowed = verdict == "allowed";
  v.reason = string_or(doc, "reason", v.allowed ? "ok" : "refused");
  v.detail = string_or(doc, "detail");
  v.device_id = optional_int(doc, "device_id").value_or(0);
  v.user_id = optional_int(doc, "user_id").value_or(0);
  v.username = string_or(doc, "username");
  v.device = string_or(doc, "device");
  auto ttl = optional_int(doc, "cache_ttl").value_or(0);
  v.cache_ttl = static_cast<int>(std::clamp<std::int64_t>(ttl, 0, 3600));
  if (auto limits = doc.find("limits"); limits != doc.end() && limits->is_object()) {
    // A limit that is present but not a whole number is not an answer: never fail open.
    for (const char* key : {"bytes_remaining", "speed_limit_bps"}) {
      auto it = limits->find(key);
      if (it != limits->end() && !it->is_null() && !it->is_number_integer()) return std::nullopt;
    }
    v.bytes_remaining = optional_int(*limits, "bytes_remaining");
    v.speed_limit_bps = optional_int(*limits, "speed_limit_bps");
    v.expires_at = string_or(*limits, "expires_at");
  }
  if (auto nodes = doc.find("nodes"); nodes != doc.end() && nodes->is_array()) {
    for (const auto& node : *nodes) {
      std::string why;
      if (auto route = parse_node(node, why)) {
        v.nodes.push_back(std::move(*route));
      } else {
        dropped.push_back(why);
      }
    }
  }
  return v;
}

Validator::Validator(ValidatorOptions options, Observer observer)
    : options_(std::move(options)), observer_(std::move(observer)), pool_(options_.threads) {}

Validator::~Validator() = default;

void Validator::check(net::EventLoop& loop, const std::string& token, const std::string& hwid, Callback done,
                      bool fresh) {
  std::string key = crypto::sha256_hex(token + '\n' + hwid);
  auto now = SteadyClock::now();
  if (!fresh) {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second.fresh_until) {
      Verdict v = it->second.verdict;
      v.cached = true;
      if (observer_) observer_("cache_hit", std::chrono::nanoseconds(0));
      loop.post([done = std::move(done), v = std::move(v)] { done(v); });
      return;
    }
  }
  pool_.submit([this, job = Job{&loop, std::move(key), token, hwid, std::move(done)}] {
    Verdict v = call(job);
    job.loop->post([done = job.done, v = std::move(v)] { done(v); });
  });
}

void Validator::clear_cache() {
  std::lock_guard lock(mutex_);
  cache_.clear();
}

Verdict Validator::call(const Job& job) {
  auto started = SteadyClock::now();
  std::string request_id;
  {
    std::lock_guard lock(mutex_);
    request_id = options_.gateway_name + "-" + std::to_string(++sequence_);
  }
  Json body = {{"token", job.token}};
  if (!job.hwid.empty()) body["hwid"] = job.hwid;

  std::optional<Verdict> answer;
  std::string failure;
  try {
    httplib::Client client(options_.control_url);
    set_timeouts(client, options_.timeout);
    httplib::Headers headers = {{"Authorization", "Bearer " + options_.credential}, {"X-Request-Id", request_id}};
    auto result = client.Post("/api/v1/validate-device", headers, body.dump(), "application/json");
    if (!result) {
      failure = "cannot reach " + options_.control_url + ": " + httplib::to_string(result.error());
    } else {
      std::vector<std::string> dropped;
      answer = parse_validate_answer(result->status, result->body, dropped);
      for (const auto& why : dropped) log::warn("skipping a node of the validate-device answer", {{"why", why}});
      if (!answer) failure = "validate-device answered " + std::to_string(result->status);
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  auto took = SteadyClock::now() - started;
  auto now = SteadyClock::now();
  std::lock_guard lock(mutex_);
  if (answer) {
    Entry entry{*answer, now + std::chrono::seconds(answer->cache_ttl),
                now + std::chrono::seconds(answer->cache_ttl) + options_.stale_for};
    if (answer->cache_ttl > 0) {
      cache_[job.key] = entry;
    } else {
      cache_.erase(job.key);
    }
    if (observer_) observer_(answer->allowed ? "allowed" : "refused", took);
    if (cache_.size() > 100000) cache_.clear();  // a flood of distinct tokens: bounded memory
    return *answer;
  }
  log::warn("the control plane did not answer a device check", {{"error", failure}, {"request_id", request_id}});
  auto it = cache_.find(job.key);
  if (options_.serve_stale && it != cache_.end() && it->second.verdict.allowed && now < it->second.stale_until) {
    Verdict v = it->second.verdict;
    v.stale = true;
    v.cached = true;
    if (observer_) observer_("stale", took);
    return v;
  }
  if (observer_) observer_("unreachable", took);
  Verdict v;
  v.reason = "unavailable";
  v.detail = "the control plane cannot be reached; try again shortly";
  return v;
}

}  // namespace httvps::gateway
