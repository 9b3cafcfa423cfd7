#pragma once
// POST /api/v1/telegram/webapp: what a Telegram Mini App shows its user. The body is
// {"init_data": "<Telegram.WebApp.initData>"}; the answer lists the account's usage and
// its live devices with the links that can be rebuilt (ss:// or vless://).

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/app.hpp"
#include "core/cgi.hpp"
#include "core/telegram/settings.hpp"

namespace httvps::telegram {

// Throws Failure(kUsage) for a malformed body, Failure(kUnauthorized) for initData that is
// tampered with, signed with another token or stale (rate-limited per address: kRateLimited),
// Failure(kNotFound) when no account is linked to the Telegram user, Failure(kConfig)
// without a bot token.
nlohmann::json webapp_view(Context& ctx, const Settings& settings, const cgi::Request& request, std::int64_t now);

}  // namespace httvps::telegram
