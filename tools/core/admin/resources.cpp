#include "core/admin/resources.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>

#include "core/error.hpp"
#include "core/units.hpp"

namespace httvps::admin {
namespace {

const std::vector<std::string> kResetStrategies = {"none", "day", "week", "month", "month-rolling", "year"};
const std::vector<std::string> kUserStatuses = {"active", "disabled", "limited", "expired", "on_hold"};
const std::vector<std::string> kNodeKinds = {"shadowsocks", "outline", "vless"};
const std::vector<std::string> kCiphers = {"chacha20-ietf-poly1305", "aes-256-gcm", "aes-128-gcm",
                                           "xchacha20-ietf-poly1305"};
const std::vector<std::string> kAdminStates = {"active", "draining", "disabled"};
const std::vector<std::string> kRoles = {"owner", "admin", "operator", "viewer"};

// Builder for FieldSpec rows, so the table below reads as a list of facts.
class F {
 public:
  F(std::string name, FieldType type, std::string help) {
    s_.name = std::move(name);
    s_.type = type;
    s_.help = std::move(help);
  }
  F& required() { s_.required = true; return *this; }
  F& nullable() { s_.nullable = true; return *this; }
  F& def(nlohmann::json v) { s_.default_value = std::move(v); return *this; }
  F& choices(std::vector<std::string> c) { s_.choices = std::move(c); return *this; }
  F& ref(std::string r) { s_.ref = std::move(r); return *this; }
  F& range(std::int64_t lo, std::int64_t hi) { s_.min = lo; s_.max = hi; return *this; }
  F& max_length(std::size_t n) { s_.max_length = n; return *this; }
  F& pattern(std::string re, std::string help) {
    s_.pattern = std::move(re);
    s_.pattern_help = std::move(help);
    return *this;
  }
  F& create_only() { s_.create_only = true; return *this; }
  operator FieldSpec() const { return s_; }  // NOLINT: implicit by design

 private:
  FieldSpec s_;
};

ResourceSpec make(std::string name, std::string plural, std::string summary, std::string key) {
  ResourceSpec r;
  r.name = std::move(name);
  r.plural = std::move(plural);
  r.summary = std::move(summary);
  r.key_field = std::move(key);
  return r;
}

std::vector<ResourceSpec> build() {
  using T = FieldType;
  std::vector<ResourceSpec> out;

  ResourceSpec plan = make("plan", "plans", "Plans: data limit, duration, devices, speed, reset strategy", "name");
  plan.fields = {
      F("name", T::kName, "plan name: a-z, 0-9, '.', '_', '-'").required(),
      F("description", T::kText, "free text shown to admins").def("").max_length(1000),
      F("data_limit", T::kBytes, "data per period, e.g. 50GB; 'unlimited'").nullable(),
      F("duration", T::kDuration, "subscription length, e.g. 30d; 'unlimited'").nullable(),
      F("device_limit", T::kInt, "devices per user; 'unlimited'").nullable().def(1).range(1, 1000),
      F("speed_limit", T::kRate, "per-device speed, e.g. 20mbit; 'unlimited'").nullable(),
      F("reset_strategy", T::kEnum, "when used data returns to zero").def("none").choices(kResetStrategies),
      F("start_on_first_use", T::kBool, "subscriptions start on hold; the clock starts at first connection").def(false),
      F("archived", T::kBool, "hidden from new subscriptions").def(false),
  };
  plan.columns = {{"name", "NAME"},           {"data_limit", "DATA"},    {"duration", "DURATION"},
                  {"device_limit", "DEVICES"}, {"speed_limit", "SPEED"}, {"reset_strategy", "RESET"},
                  {"subscribers", "USERS"},    {"archived", "ARCHIVED"}};
  out.push_back(std::move(plan));

  ResourceSpec region = make("region", "regions", "Regions: groups of nodes that serve devices", "name");
  region.fields = {
      F("name", T::kName, "region name, e.g. eu-west").required(),
      F("display_name", T::kText, "name shown to users").def(""),
  };
  region.columns = {{"name", "NAME"}, {"display_name", "DISPLAY NAME"}, {"nodes", "NODES"}, {"nodes_up", "UP"},
                    {"devices", "DEVICES"}};
  out.push_back(std::move(region));

  ResourceSpec node = make("node", "nodes", "Nodes: Shadowsocks, Outline or VLESS servers in a region", "name");
  node.fields = {
      F("name", T::kName, "node name, e.g. fra-1").required(),
      F("region", T::kRef, "region the node serves").required().ref("region"),
      F("kind", T::kEnum, "node software").def("shadowsocks").choices(kNodeKinds),
      F("host", T::kText, "address gateways and clients connect to").required().max_length(253),
      F("port", T::kInt, "TCP port").required().range(1, 65535),
      F("method", T::kEnum, "Shadowsocks AEAD cipher (not for vless)").nullable().choices(kCiphers),
      F("weight", T::kInt, "share of new devices relative to other nodes").def(100).range(0, 10000),
      F("usage_multiplier", T::kDecimal, "billed bytes per byte carried").def(1.0),
      F("data_limit", T::kBytes, "node quota; 'unlimited'").nullable(),
      F("admin_state", T::kEnum, "active, draining or disabled").def("active").choices(kAdminStates),
  };
  node.columns = {{"name", "NAME"},       {"region", "REGION"},         {"kind", "KIND"},
                  {"address", "ADDRESS"}, {"health", "HEALTH"},         {"admin_state", "STATE"},
                  {"weight", "WEIGHT"},   {"usage_multiplier", "MULT"}, {"devices", "DEVICES"},
                  {"last_latency_ms", "LATENCY MS"}};
  node.filters = {F("region", T::kRef, "only nodes of this region").ref("region")};
  out.push_back(std::move(node));

  ResourceSpec user = make("user", "users", "Users and their subscriptions", "username");
  user.fields = {
      F("username", T::kText, "login name: letters, digits, . _ @ + -")
          .required()
          .max_length(128)
          .pattern("^[A-Za-z0-9][A-Za-z0-9._@+-]*$", "letters, digits and . _ @ + -, starting with a letter or digit"),
      F("plan", T::kRef, "the user's plan").required().ref("plan"),
      F("next_plan", T::kRef, "plan that applies when the current one runs out; 'none'").nullable().ref("plan"),
      F("status", T::kEnum, "active, disabled, limited, expired or on_hold").choices(kUserStatuses),
      F("expires_at", T::kTimestamp, "override the expiry (RFC 3339 or a date); 'never'").nullable(),
      F("telegram_id", T::kInt, "Telegram user id; 'none'").nullable().range(1, 1LL << 53),
      F("language", T::kText, "language code for messages, e.g. en, ru; 'none'")
          .nullable()
          .max_length(16)
          .pattern("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", "a language code such as en, ru or pt-BR"),
      F("region", T::kRef, "default region for new devices; 'none'").nullable().ref("region"),
      F("note", T::kText, "free text for admins").def("").max_length(1000),
  };
  user.columns = {{"username", "USERNAME"}, {"status", "STATUS"},       {"plan", "PLAN"},      {"used", "USED"},
                  {"data_limit", "LIMIT"},  {"expires_at", "EXPIRES"}, {"devices", "DEVICES"}};
  user.filters = {
      F("status", T::kEnum, "only users with this status").choices(kUserStatuses),
      F("plan", T::kRef, "only users of this plan").ref("plan"),
      F("search", T::kText, "substring of the username"),
  };
  out.push_back(std::move(user));

  ResourceSpec device = make("device", "devices", "Devices of users (credentials come from issue-key)", "id");
  device.fields = {
      F("user", T::kText, "username of the owner").required().max_length(128).create_only(),
      F("name", T::kText, "device name, unique among the user's devices")
          .required()
          .max_length(64)
          .pattern("^[A-Za-z0-9][A-Za-z0-9 ._-]*$", "letters, digits, spaces and . _ -, starting with a letter or digit"),
      F("region", T::kRef, "region that serves the device; 'none': the user's").nullable().ref("region"),
  };
  device.columns = {{"id", "ID"},         {"user", "USER"}, {"name", "NAME"},          {"status", "STATUS"},
                    {"region", "REGION"}, {"node", "NODE"}, {"last_seen_at", "LAST SEEN"}};
  device.filters = {
      F("user", T::kText, "only devices of this user").max_length(128),
      F("status", T::kEnum, "active or revoked").choices({"active", "revoked"}),
  };
  out.push_back(std::move(device));

  ResourceSpec admin = make("admin", "admins", "Administrators (passwords from stdin or a file, never argv)", "username");
  admin.fields = {
      F("username", T::kName, "login name: a-z, 0-9, '.', '_', '-'").required(),
      F("role", T::kEnum, "owner, admin, operator or viewer").required().choices(kRoles),
      F("disabled", T::kBool, "a disabled admin cannot log in").def(false),
  };
  admin.columns = {{"username", "USERNAME"}, {"role", "ROLE"}, {"disabled", "DISABLED"},
                   {"last_login_at", "LAST LOGIN"}, {"created_at", "CREATED"}};
  out.push_back(std::move(admin));

  ResourceSpec gateway = make("gateway", "gateways", "Gateways and their control-plane credentials", "name");
  gateway.fields = {
      F("name", T::kName, "gateway name, e.g. gw-fra-1").required(),
      F("disabled", T::kBool, "a disabled gateway cannot validate devices").def(false),
  };
  gateway.columns = {{"name", "NAME"}, {"credential_prefix", "CREDENTIAL"}, {"disabled", "DISABLED"},
                     {"last_heartbeat_at", "LAST SEEN"}, {"last_address", "ADDRESS"}};
  out.push_back(std::move(gateway));
  return out;
}

bool valid_name(const std::string& s) {
  static const std::regex re("^[a-z0-9][a-z0-9._-]{0,63}$");
  return std::regex_match(s, re);
}

// Patterns are compiled once per process: std::regex construction is expensive.
const std::regex& compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::regex> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(pattern);
  if (it == cache.end()) it = cache.emplace(pattern, std::regex(pattern)).first;
  return it->second;
}

// Characters as the database counts them: UTF-8 code points.
std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

bool valid_text(const std::string& s) {
  // No control characters other than newline and tab; must be valid enough UTF-8 for JSON.
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && c != '\n' && c != '\t';
  });
}

}  // namespace

const std::vector<ResourceSpec>& resources() {
  static const std::vector<ResourceSpec> specs = build();
  return specs;
}

const ResourceSpec& resource(std::string_view name) {
  for (const auto& r : resources()) {
    if (r.name == name) return r;
  }
  throw usage_error("unknown resource '" + std::string(name) + "'");
}

const FieldSpec* find_field(const ResourceSpec& spec, std::string_view name) {
  for (const auto& f : spec.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string flag_name(const std::string& field) {
  std::string out = field;
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

nlohmann::json parse_field(const FieldSpec& f, const std::string& text) {
  const std::string flag = flag_name(f.name);
  auto bad = [&](const std::string& why) { return usage_error(flag + ": " + why, f.name); };
  if (f.nullable && units::means_unlimited(text)) return nullptr;
  if (f.type == FieldType::kTimestamp && f.nullable && text == "never") return nullptr;
  try {
    switch (f.type) {
      case FieldType::kName:
        if (!valid_name(text)) throw bad("'" + text + "' is not a valid name (a-z, 0-9, '.', '_', '-', at most 64)");
        return text;
      case FieldType::kText:
        if (utf8_length(text) > f.max_length) throw bad("longer than " + std::to_string(f.max_length) + " characters");
        if (!valid_text(text)) throw bad("contains control characters");
        if (f.required && text.empty()) throw bad("must not be empty");
        if (!f.pattern.empty() && !std::regex_match(text, compiled(f.pattern))) {
          throw bad("'" + text + "' is not valid: use " + f.pattern_help);
        }
        return text;
      case FieldType::kInt: {
        std::size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::exception&) {
          throw bad("'" + text + "' is not an integer");
        }
        if (used != text.size()) throw bad("'" + text + "' is not an integer");
        if (v < f.min || v > f.max) throw bad("must be between " + std::to_string(f.min) + " and " + std::to_string(f.max));
        return v;
      }
      case FieldType::kDecimal: {
        std::size_t used = 0;
        double v = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          throw bad("'" + text + "' is not a number");
        }
        if (used != text.size() || !(v > 0) || v > 100) throw bad("must be a number above 0 and at most 100");
        return v;
      }
      case FieldType::kBytes: return units::parse_bytes(text);
      case FieldType::kDuration: {
        auto v = units::parse_duration(text);
        if (v <= 0) throw bad("must be positive");
        return v;
      }
      case FieldType::kRate: {
        auto v = units::parse_rate(text);
        if (v <= 0) throw bad("must be positive");
        return v;
      }
      case FieldType::kBool:
        if (text == "true" || text == "yes" || text == "1" || text == "on") return true;
        if (text == "false" || text == "no" || text == "0" || text == "off") return false;
        throw bad("'" + text + "' is not true or false");
      case FieldType::kEnum:
        if (std::find(f.choices.begin(), f.choices.end(), text) == f.choices.end()) {
          std::string list;
          for (const auto& c : f.choices) list += (list.empty() ? "" : ", ") + c;
          throw bad("'" + text + "' is not one of " + list);
        }
        return text;
      case FieldType::kRef:
        if (text.empty() || text.size() > 128 || !valid_text(text)) throw bad("'" + text + "' is not a valid name");
        return text;
      case FieldType::kTimestamp: return units::format_timestamp(units::parse_timestamp(text));
    }
  } catch (const Failure& e) {
    if (e.field().empty()) throw bad(e.what());
    throw;
  }
  throw bad("unsupported field type");
}

nlohmann::json apply_inputs(const ResourceSpec& spec, nlohmann::json base,
                            const std::map<std::string, std::string>& inputs, bool creating) {
  if (!base.is_object()) base = nlohmann::json::object();
  for (const auto& [name, text] : inputs) {
    const FieldSpec* f = find_field(spec, name);
    if (f == nullptr) throw usage_error("unknown field '" + name + "' for " + spec.name, name);
    if (!creating && f->create_only) throw usage_error(flag_name(name) + ": cannot be changed after creation", name);
    base[name] = parse_field(*f, text);
  }
  if (creating) {
    for (const auto& f : spec.fields) {
      if (base.contains(f.name)) continue;
      if (f.required) throw usage_error(spec.name + " needs --" + flag_name(f.name), f.name);
      base[f.name] = f.default_value;
    }
  }
  return base;
}

}  // namespace httvps::admin
