#include "core/telegram/bot.hpp"

#include "core/access/rate_limit.hpp"
#include "core/admin/resource_ops.hpp"
#include "core/keys/issue.hpp"
#include "core/log.hpp"
#include "core/qr.hpp"
#include "core/telegram/bot_api.hpp"
#include "core/telegram/messages.hpp"
#include "core/telegram/views.hpp"

namespace httvps::telegram {
namespace {

struct Account {
  std::int64_t id = 0;
  std::string username;
  UsageFacts usage;
  std::int64_t period_started_at = 0;
};

Reply ignore(std::string why) { return Reply{nullptr, std::move(why)}; }

// One conversation turn: the update's chat, sender, language and the database.
class Turn {
 public:
  Turn(Context& ctx, const Settings& s, const Update& u)
      : ctx_(ctx), s_(s), u_(u), m_(resolve_templates_dir(s.templates_dir), u.language_code) {}

  Reply run(const Command& cmd) {
    if (cmd.name == "start") return start();
    if (cmd.name == "help") return say(m_.text("help"), keyboard());
    std::optional<Account> account = find_account();
    if (!account) return say(m_.text("not_registered", {{"telegram_id", std::to_string(*u_.from_id)}}), nullptr);
    if (cmd.name == "key") return key(*account, cmd.args);
    if (cmd.name == "devices") return devices(*account);
    if (cmd.name == "revoke") return revoke(*account, cmd.args);
    if (cmd.name == "usage") return usage(*account);
    return say(m_.text("unknown_command"), keyboard());
  }

  Reply say(const std::string& text, const nlohmann::json& keyboard) {
    return Reply{send_message(*u_.chat_id, text, keyboard), ""};
  }

  const Messages& messages() const { return m_; }
  nlohmann::json keyboard() const { return main_keyboard(m_, s_.webapp_url); }

 private:
  std::optional<Account> find_account() {
    auto rows = ctx_.db().exec("telegram_user", {static_cast<long long>(*u_.from_id)});
    if (rows.empty()) return std::nullopt;
    auto r = rows[0];
    Account a;
    a.id = r.int64("id");
    a.username = r.text("username");
    a.usage.plan = r.opt_text("plan").value_or("-");
    a.usage.status = r.text("status");
    a.usage.used_bytes = r.opt_int64("used_bytes").value_or(0);
    a.usage.data_limit = r.opt_int64("data_limit_bytes");
    a.usage.expires_at = r.opt_int64("expires_at");
    a.usage.started = r.is_null("started") ? true : r.boolean("started");
    a.period_started_at = r.opt_int64("period_started_at").value_or(0);
    return a;
  }

  std::vector<DeviceFacts> live_devices(const Account& a) {
    std::vector<DeviceFacts> out;
    for (auto r : ctx_.db().exec("telegram_devices", {static_cast<long long>(a.id), static_cast<long long>(a.period_started_at)})) {
      DeviceFacts d;
      d.id = r.int64("id");
      d.name = r.text("name");
      d.region = r.opt_text("region").value_or("");
      d.last_seen_at = r.opt_int64("last_seen_at");
      d.used_bytes = r.int64("used_bytes");
      out.push_back(std::move(d));
    }
    return out;
  }

  std::string service_status() {
    const bool up = ctx_.db().exec("telegram_service_nodes")[0].int64("n") > 0;
    return m_.text(up ? "service_up" : "service_down");
  }

  Reply start() {
    std::optional<Account> account = find_account();
    if (account) {
      return say(m_.text("start_back", {{"username", account->username}, {"service", service_status()}}), keyboard());
    }
    if (s_.trial_plan.empty()) {
      return say(m_.text("start_no_access", {{"telegram_id", std::to_string(*u_.from_id)}, {"service", service_status()}}),
                 nullptr);
    }
    std::map<std::string, std::string> inputs = {{"username", "tg" + std::to_string(*u_.from_id)},
                                                 {"plan", s_.trial_plan},
                                                 {"telegram_id", std::to_string(*u_.from_id)}};
    std::string lang = m_.language();
    if (lang.size() >= 2 && lang.size() <= 3) inputs["language"] = lang;
    try {
      admin::create_record(ctx_, admin::resource("user"), inputs);
    } catch (const Failure& f) {
      // A second /start that raced this one created the account first: welcome back.
      if (f.code() == ExitCode::kConflict && find_account()) return start();
      if (f.code() == ExitCode::kNotFound || f.code() == ExitCode::kConflict) {
        log::error("cannot create the user of a new Telegram chat: " + std::string(f.what()),
                   {{"telegram_id", *u_.from_id}});
        return say(m_.text("error_try_later"), nullptr);
      }
      throw;
    }
    log::info("created a user from Telegram", {{"username", inputs["username"]}, {"plan", s_.trial_plan}});
    return say(m_.text("start_new", {{"username", inputs["username"]}, {"plan", s_.trial_plan}, {"service", service_status()}}),
               keyboard());
  }

  Reply key(const Account& a, const std::string& args) {
    std::vector<DeviceFacts> live = live_devices(a);
    std::string name;
    if (args.empty()) {
      std::vector<std::string> names;
      for (const auto& d : live) names.push_back(d.name);
      name = next_device_name(names);
    } else if (auto valid = valid_device_name(args)) {
      name = *valid;
    } else {
      return say(m_.text("key_bad_name"), nullptr);
    }
    keys::IssuedKeys issued;
    try {
      issued = keys::issue_device(ctx_, {a.username, name, std::nullopt});
    } catch (const Failure& f) {
      if (f.code() == ExitCode::kConflict && f.field() == "device_limit") {
        return say(m_.text("key_limit"), revoke_keyboard(live, m_));
      }
      if (f.code() == ExitCode::kConflict && f.field() == "name") return say(m_.text("key_exists", {{"device", name}}), nullptr);
      if (f.code() == ExitCode::kConflict || f.code() == ExitCode::kNotFound || f.code() == ExitCode::kUsage) {
        log::warn("cannot issue a key from Telegram: " + std::string(f.what()), {{"user", a.username}});
        return say(m_.text("key_unavailable"), nullptr);
      }
      throw;
    }
    nlohmann::json links = keys::share_links(ctx_, issued);
    send_qr(links.value("subscription_url", ""), m_.text("key_photo_caption", {{"device", name}}));
    return say(m_.text("key_issued", {{"device", name}, {"links", links_text(links, m_)}}), keyboard());
  }

  // The QR code goes out as a photo through the Bot API; the links follow in the webhook
  // answer, so a failure here costs the picture, never the key.
  void send_qr(const std::string& text, const std::string& caption) {
    if (text.empty()) return;
    if (s_.bot_token.empty()) {
      log::warn("no telegram.bot_token: the QR code of a new key is not sent");
      return;
    }
    try {
      BotApi(s_.api).send_photo(*u_.chat_id, render_qr_png(text, 6), caption);
    } catch (const Failure& f) {
      log::warn("could not send the QR code: " + std::string(f.what()), {{"chat_id", *u_.chat_id}});
    }
  }

  Reply devices(const Account& a) {
    std::vector<DeviceFacts> live = live_devices(a);
    if (live.empty()) return say(m_.text("devices_none"), keyboard());
    return say(m_.text("devices_list", {{"devices", device_lines(live, m_)}, {"count", std::to_string(live.size())}}),
               keyboard());
  }

  Reply revoke(const Account& a, const std::string& args) {
    std::vector<DeviceFacts> live = live_devices(a);
    if (args.empty()) {
      if (live.empty()) return say(m_.text("devices_none"), keyboard());
      return say(m_.text("revoke_choose"), revoke_keyboard(live, m_));
    }
    // "#<id>" comes from a revoke button; anything else is a device name.
    const DeviceFacts* target = nullptr;
    for (const auto& d : live) {
      if ((args.front() == '#' && args.substr(1) == std::to_string(d.id)) || d.name == args) target = &d;
    }
    if (target == nullptr) return say(m_.text("revoke_unknown", {{"device", args.front() == '#' ? "?" : args}}), nullptr);
    try {
      keys::revoke_device(ctx_, std::to_string(target->id));
    } catch (const Failure& f) {
      if (f.code() != ExitCode::kConflict) throw;  // revoked meanwhile: say so below
    }
    return say(m_.text("revoke_done", {{"device", target->name}}), keyboard());
  }

  Reply usage(Account& a) {
    a.usage.devices = live_devices(a);
    return say(m_.text("usage", usage_vars(a.usage, m_)), keyboard());
  }

  Context& ctx_;
  const Settings& s_;
  const Update& u_;
  Messages m_;
};

// The per-chat limit: the first update past it gets one "slow down", later ones nothing.
std::optional<Reply> over_limit(Context& ctx, const Settings& s, const Update& u, std::int64_t now, Turn& turn) {
  access::RateLimit limit{"tg:chat:" + std::to_string(*u.chat_id), s.chat_rate_limit, 60};
  access::RateState state = access::hit(ctx.db(), limit, now);
  if (!state.hits_over_limit) return std::nullopt;
  if (state.hits == s.chat_rate_limit + 1) return turn.say(turn.messages().text("rate_limited"), nullptr);
  return ignore("rate limited");
}

void answer_callback(const Settings& s, const Update& u) {
  if (s.bot_token.empty() || u.callback_id.empty()) return;
  try {
    BotApi(s.api).call("answerCallbackQuery", {{"callback_query_id", u.callback_id}});
  } catch (const Failure& f) {
    log::warn("could not answer a callback query: " + std::string(f.what()));
  }
}

Reply dispatch(Context& ctx, const Settings& s, const Update& u, std::int64_t now) {
  switch (u.kind) {
    case UpdateKind::kEditedMessage: return ignore("edited message");
    case UpdateKind::kOther: return ignore("update type '" + u.type + "'");
    case UpdateKind::kMyChatMember:
      if (u.member_status == "kicked") {
        log::info("a user blocked the bot", {{"telegram_id", u.from_id.value_or(0)}});
        return ignore("blocked by the user");
      }
      return ignore("membership change to '" + u.member_status + "'");
    case UpdateKind::kMessage:
    case UpdateKind::kCallbackQuery: break;
  }
  if (!u.chat_id || !u.from_id) return ignore("no chat or sender");
  if (u.chat_type != "private") return ignore("not a private chat");
  if (u.from_bot) return ignore("sent by a bot");
  Turn turn(ctx, s, u);
  if (auto limited = over_limit(ctx, s, u, now, turn)) return *limited;
  if (u.kind == UpdateKind::kCallbackQuery) {
    answer_callback(s, u);
    std::optional<Command> cmd = parse_callback(u.callback_data);
    if (!cmd) return ignore("unknown button");
    if (cmd->name == "revoke") cmd->args = "#" + cmd->args;
    return turn.run(*cmd);
  }
  if (!u.text) return turn.say(turn.messages().text("only_text"), turn.keyboard());
  std::optional<Command> cmd = parse_command(*u.text, s.bot_username);
  if (!cmd) {
    const std::string first_word = u.text->substr(0, u.text->find_first_of(" \t\n"));
    if (first_word.starts_with("/") && first_word.find('@') != std::string::npos) return ignore("a command for another bot");
    return turn.say(turn.messages().text("unknown_command"), turn.keyboard());
  }
  return turn.run(*cmd);
}

}  // namespace

Reply handle_update(Context& ctx, const Settings& settings, const Update& update, std::int64_t now) {
  auto& db = ctx.db();
  if (db.exec("telegram_update_seen", {static_cast<long long>(update.update_id)})[0].boolean("seen")) {
    return ignore("duplicate");
  }
  if (update.from_id) ctx.set_actor("telegram:" + std::to_string(*update.from_id));
  Reply reply = dispatch(ctx, settings, update, now);
  db.exec("telegram_update_record", {static_cast<long long>(update.update_id),
                                     update.chat_id ? db::Param(static_cast<long long>(*update.chat_id)) : db::Param(std::nullopt),
                                     std::string(kind_name(update.kind))});
  if (update.update_id % 97 == 0) db.exec("telegram_updates_prune");
  return reply;
}

}  // namespace httvps::telegram
