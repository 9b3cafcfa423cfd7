#!/usr/bin/env bash
# telegram-bot through the real nginx + fcgiwrap: Bot API updates in the shapes the Bot
# API documents, the secret header, the Mini App's initData, and `httvps telegram
# set-webhook` / `delete-webhook`. Outbound Bot API calls go to fake_bot_api.py, a local
# stand-in: no Telegram server is reachable from the test machines.
source "$(dirname "$0")/lib.sh"
WEB_NAME=telegram_nginx_test
source "$(dirname "$0")/web_fixture.sh"
export HTTVPS_CONFIG="$config"
unset HTTVPS_DATABASE_URL
BOT=$HTTVPS_BIN_DIR/telegram-bot
TOKEN="123456:TEST-token-abc"

api_log="$TEST_TMP/bot-api.log"
: >"$api_log"
python3 "$HTTVPS_SOURCE_DIR/tests/system/fake_bot_api.py" "$TEST_TMP/api.port" "$api_log" &
api_pid=$!
defer "kill $api_pid"
for _ in $(seq 50); do [ -s "$TEST_TMP/api.port" ] && break; sleep 0.1; done
check "the stand-in Bot API listens" -- test -s "$TEST_TMP/api.port"
api_port=$(cat "$TEST_TMP/api.port")

secret=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$TEST_TMP/bot-token"
printf '%s\n' "$secret" >"$TEST_TMP/webhook-secret"
cat >>"$config" <<EOF

[telegram]
bot_token_file = "$TEST_TMP/bot-token"
webhook_secret_file = "$TEST_TMP/webhook-secret"
bot_username = "HttvpsTestBot"
api_url = "http://127.0.0.1:$api_port"
api_timeout_ms = 2000
trial_plan = "trial"
templates_dir = "$HTTVPS_SOURCE_DIR/templates/messages"
EOF

"$HTTVPS" plan create trial --data-limit 5GB --duration 7d --device-limit 2 >/dev/null
"$HTTVPS" region create eu >/dev/null
"$HTTVPS" node create fra-1 --region eu --host 127.0.0.1 --port 8388 >/dev/null

hook() {  # hook JSON [SECRET]: one webhook delivery as Telegram makes it
  req -X POST -H 'Content-Type: application/json' -H "X-Telegram-Bot-Api-Secret-Token: ${2-$secret}" \
    --data-binary "$1" "$base/api/v1/telegram/webhook"
}
# private_message UPDATE_ID FROM TEXT [LANG]: a message update as the Bot API documents it.
private_message() {
  jq -cn --argjson u "$1" --argjson f "$2" --arg t "$3" --arg l "${4:-en}" \
    '{update_id:$u, message:{message_id:($u+1000), date:1767225600, text:$t,
      from:{id:$f, is_bot:false, first_name:"Test", username:"tester", language_code:$l},
      chat:{id:$f, first_name:"Test", username:"tester", type:"private"},
      entities:[{offset:0, length:($t|split(" ")[0]|length), type:"bot_command"}]}}'
}
api_calls() { jq -c "select(.method == \"$1\")" "$api_log"; }

# The secret, the route, the method, the body.
hook "$(private_message 1 1001 /start)" wrong-secret
expect_eq "a wrong secret is 401 naming the header" "401 X-Telegram-Bot-Api-Secret-Token" "$STATUS $(jqb .field)"
expect_eq "as problem+json" "application/problem+json" "$CTYPE"
req -X POST -H 'Content-Type: application/json' --data-binary "$(private_message 1 1001 /start)" "$base/api/v1/telegram/webhook"
expect_eq "no secret is 401" 401 "$STATUS"
expect_eq "and nothing was written" "0" "$(sql "SELECT count(*) FROM users")"
req "$base/api/v1/telegram/webhook"
expect_eq "GET is 405 with Allow" "405 POST" "$STATUS $(header Allow)"
req -X POST "$base/api/v1/telegram/nope"
expect_eq "another path under /api/v1/telegram/ is 404" 404 "$STATUS"
hook '{"update_id": 1, "message": '
expect_eq "malformed JSON is 400" "400 body" "$STATUS $(jqb .field)"
hook '{"message": {}}'
expect_eq "an update without update_id is 400" "400 update_id" "$STATUS $(jqb .field)"

# /start in a private chat signs the user up on the trial plan, in Russian.
hook "$(private_message 10 1001 /start ru)"
expect_eq "/start is answered 200 with sendMessage" "200 sendMessage 1001" "$STATUS $(jqb '"\(.method) \(.chat_id)"')"
expect_contains "in Russian" "Добро пожаловать" "$(jqb .text)"
expect_contains "naming the new account" "tg1001" "$(jqb .text)"
expect_contains "and whether the service is up" "онлайн" "$(jqb .text)"
expect_eq "with the inline keyboard" "key" "$(jqb '.reply_markup.inline_keyboard[0][0].callback_data')"
expect_eq "the user row is linked to the Telegram id" "tg1001|1001|ru|trial" \
  "$(sql "SELECT u.username, u.telegram_id, u.language, p.name FROM users u JOIN subscriptions s ON s.user_id = u.id JOIN plans p ON p.id = s.plan_id")"

# /key@botname issues a device through issue-key's code and sends the QR code as a photo.
hook "$(private_message 11 1001 '/key@HttvpsTestBot phone' en)"
expect_eq "/key is answered 200" "200 sendMessage" "$STATUS $(jqb .method)"
expect_contains "with the subscription URL" "$base/api/v1/sub/hts_" "$(jqb .text)"
expect_contains "and the ss:// link" "ss://" "$(jqb .text)"
expect_eq "one device exists" "phone|active" "$(sql "SELECT name, status FROM devices")"
expect_eq "with four live credentials" "4" "$(sql "SELECT count(*) FROM device_credentials WHERE revoked_at IS NULL")"
expect_eq "audited as the Telegram user" "telegram:1001" "$(sql "SELECT actor FROM audit_log WHERE action = 'device.issue'")"
expect_eq "the QR code went out through the Bot API" "1001 true" "$(api_calls sendPhoto | jq -r '"\(.fields.chat_id) \(.png)"')"
expect_eq "with the bot token in the path" "$TOKEN" "$(api_calls sendPhoto | jq -r .token)"
sub_url=$(jqb .text | grep -o "$base/api/v1/sub/hts_[A-Za-z0-9_-]*" | head -1)
req "$sub_url?format=json"
expect_eq "the subscription URL from the chat works" "200 phone" "$STATUS $(jqb .device)"

hook "$(private_message 11 1001 '/key@HttvpsTestBot phone' en)"
expect_eq "a redelivered update is 200 and ignored" "200 duplicate" "$STATUS $(jqb .ignored)"
expect_eq "so still one device" "1" "$(sql "SELECT count(*) FROM devices")"

# Shapes the bot ignores with 200, so Telegram does not retry them.
group=$(jq -cn '{update_id:20, message:{message_id:5, date:1767225600, text:"/start",
  from:{id:2002, is_bot:false, first_name:"G"}, chat:{id:-100123, title:"A group", type:"group"}}}')
hook "$group"
expect_eq "a group message is 200 and ignored" "200 not a private chat" "$STATUS $(jqb .ignored)"
expect_eq "and creates no user" "0" "$(sql "SELECT count(*) FROM users WHERE telegram_id = 2002")"
edited=$(jq -cn '{update_id:21, edited_message:{message_id:1011, date:1767225600, edit_date:1767225700, text:"/usage",
  from:{id:1001, is_bot:false, first_name:"Test"}, chat:{id:1001, type:"private"}}}')
hook "$edited"
expect_eq "an edited message is 200 and ignored" "200 edited message" "$STATUS $(jqb .ignored)"
blocked=$(jq -cn '{update_id:22, my_chat_member:{chat:{id:1001, type:"private"}, from:{id:1001, is_bot:false, first_name:"Test"},
  date:1767225600, old_chat_member:{status:"member", user:{id:42, is_bot:true, first_name:"Bot"}},
  new_chat_member:{status:"kicked", until_date:0, user:{id:42, is_bot:true, first_name:"Bot"}}}}')
hook "$blocked"
expect_eq "my_chat_member (the user blocked the bot) is 200 and ignored" "200 blocked by the user" "$STATUS $(jqb .ignored)"
hook '{"update_id":23,"message_reaction":{"chat":{"id":1001,"type":"private"},"message_id":1,"date":1,"old_reaction":[],"new_reaction":[]}}'
expect_eq "an update type the bot does not know is 200 and ignored" "200 update type 'message_reaction'" "$STATUS $(jqb .ignored)"
hook "$(private_message 24 1001 "$(head -c 20000 /dev/zero | tr '\0' 'x')")"
expect_eq "a very long text is answered" "200 sendMessage" "$STATUS $(jqb .method)"
hook "$(private_message 25 1001 '/start@SomeOtherBot')"
expect_eq "a command for another bot is ignored" "200 a command for another bot" "$STATUS $(jqb .ignored)"

# An inline keyboard button.
callback=$(jq -cn '{update_id:30, callback_query:{id:"4382bfdwdsb323b2d9", chat_instance:"-123", data:"usage",
  from:{id:1001, is_bot:false, first_name:"Test", language_code:"en"},
  message:{message_id:1012, date:1767225600, text:"...", chat:{id:1001, type:"private"}}}}')
hook "$callback"
expect_eq "a callback query is answered with a message" "200 sendMessage" "$STATUS $(jqb .method)"
expect_contains "with the usage" "Plan: trial" "$(jqb .text)"
expect_contains "per device" "phone" "$(jqb .text)"
expect_eq "and the button's spinner is stopped through the Bot API" "4382bfdwdsb323b2d9" \
  "$(api_calls answerCallbackQuery | jq -r .json.callback_query_id)"
hook "$(private_message 31 1001 /devices)"
expect_contains "/devices lists the device" "phone" "$(jqb .text)"
hook "$(private_message 32 1001 '/revoke phone')"
expect_contains "/revoke switches it off" "switched off" "$(jqb .text)"
expect_eq "in the database" "revoked" "$(sql "SELECT status FROM devices WHERE name = 'phone'")"
req "$sub_url"
expect_eq "and its subscription URL is gone" 404 "$STATUS"
hook "$(private_message 33 1001 '/key laptop')"
expect_eq "a second device for the Mini App" "200" "$STATUS"
expect_eq "every update acted on is recorded once" "12" "$(sql "SELECT count(*) FROM telegram_updates")"

# The Mini App entry: initData signed with the bot token (by an independent implementation).
sign_init_data() {  # sign_init_data TOKEN USER_ID AUTH_DATE
  python3 - "$@" <<'PY'
import hashlib, hmac, json, sys, urllib.parse
token, uid, auth = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fields = {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "auth_date": auth,
          "user": json.dumps({"id": uid, "first_name": "Test", "language_code": "en"}, separators=(",", ":"))}
check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
print(urllib.parse.urlencode(fields))
PY
}
webapp() { req -X POST -H 'Content-Type: application/json' --data-binary "$(jq -cn --arg d "$1" '{init_data:$d}')" \
  "$base/api/v1/telegram/webapp"; }
now=$(date +%s)
good=$(sign_init_data "$TOKEN" 1001 "$now")
webapp "$good"
expect_eq "correctly signed initData is 200" 200 "$STATUS"
expect_eq "with the account" "tg1001 trial 5000000000" "$(jqb '.user | "\(.username) \(.plan) \(.data_limit_bytes)"')"
expect_eq "and its live devices" "laptop" "$(jqb '[.devices[].name] | join(",")')"
expect_contains "with their links" "ss://" "$(jqb '.devices[0].links[0]')"
tampered=${good/Test/Tesu}
webapp "$tampered"
expect_eq "one changed byte is 401" "401 init_data" "$STATUS $(jqb .field)"
webapp "$(sign_init_data "654321:OTHER-token" 1001 "$now")"
expect_eq "initData signed with another bot's token is 401" 401 "$STATUS"
webapp "$(sign_init_data "$TOKEN" 1001 $((now - 200000)))"
expect_eq "an old auth_date is 401" 401 "$STATUS"
expect_contains "saying so" "too old" "$(jqb .detail)"
webapp "$(sign_init_data "$TOKEN" 9999 "$now")"
expect_eq "a Telegram user without an account is 404" 404 "$STATUS"
req -X POST -H 'Content-Type: application/json' --data-binary '{"init_data": 5}' "$base/api/v1/telegram/webapp"
expect_eq "a body without init_data text is 400" "400 init_data" "$STATUS $(jqb .field)"

# No secret reached a log.
logs=$(cat "$prefix"/logs/*.log)
expect_not_contains "the bot token is in no log" "TEST-token-abc" "$logs"
expect_not_contains "the webhook secret is in no log" "$secret" "$logs"

# httvps telegram set-webhook / webhook-info / delete-webhook against the stand-in API.
expect_exit 0 "set-webhook" -- "$HTTVPS" -o json telegram set-webhook --url https://vpn.example.org/api/v1/telegram/webhook
expect_eq "reports the URL" "https://vpn.example.org/api/v1/telegram/webhook" "$(jq -r .webhook <<<"$OUT")"
expect_not_contains "and never the secret" "$secret" "$OUT$ERR"
set_call=$(api_calls setWebhook | tail -1)
expect_eq "setWebhook carries the URL and the secret" "https://vpn.example.org/api/v1/telegram/webhook true" \
  "$(jq -r --arg s "$secret" '"\(.json.url) \(.json.secret_token == $s)"' <<<"$set_call")"
expect_eq "and the update types the bot handles" "callback_query,edited_message,message,my_chat_member" \
  "$(jq -r '.json.allowed_updates | sort | join(",")' <<<"$set_call")"
expect_exit 0 "set-webhook without --url uses public.api_url" -- "$HTTVPS" -o json telegram set-webhook
expect_eq "so the webhook is this server's" "$base/api/v1/telegram/webhook" "$(jq -r .webhook <<<"$OUT")"
expect_exit 0 "webhook-info" -- "$HTTVPS" -o json telegram webhook-info
expect_eq "shows what Telegram has" "$base/api/v1/telegram/webhook" "$(jq -r .url <<<"$OUT")"
expect_exit 0 "delete-webhook --drop-pending-updates" -- "$HTTVPS" -o json telegram delete-webhook --drop-pending-updates
expect_eq "deleteWebhook was called with it" "true" "$(api_calls deleteWebhook | tail -1 | jq -r .json.drop_pending_updates)"
expect_exit 5 "a token the Bot API refuses is unauthorized" -- \
  "$HTTVPS" telegram set-webhook --set telegram.bot_token_file= --set telegram.bot_token=401:bad
expect_contains "saying which method failed" "setWebhook failed (401)" "$ERR"
expect_not_contains "without the token" "401:bad" "$ERR"
expect_exit 75 "an unreachable Bot API is a temporary failure" -- \
  "$HTTVPS" telegram delete-webhook --set telegram.api_url=http://127.0.0.1:1
expect_exit 78 "set-webhook without a secret is a configuration error" -- \
  "$HTTVPS" telegram set-webhook --set telegram.webhook_secret_file=

# The command line handles one update the same way.
expect_exit 0 "telegram-bot --update - answers an update from stdin" -- \
  sh -c "printf '%s' '$(private_message 40 1001 /help)' | '$BOT' -o json --update -"
expect_eq "with sendMessage" "sendMessage" "$(jq -r .method <<<"$OUT")"
expect_exit 2 "telegram-bot without --update is a usage error" -- "$BOT"
