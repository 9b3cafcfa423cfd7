#pragma once
// The CGI handler of the telegram-bot binary:
//
//   POST /api/v1/telegram/webhook   Bot API updates from Telegram, authenticated by the
//                                   X-Telegram-Bot-Api-Secret-Token header (constant-time)
//   POST /api/v1/telegram/webapp    a Mini App's initData → the user's devices, links, usage
//
// docs/api.md and docs/telegram.md describe both.

#include "core/app.hpp"
#include "core/cgi.hpp"

namespace httvps::telegram {

cgi::Response serve_telegram(Context& ctx, const cgi::Request& request);

}  // namespace httvps::telegram
