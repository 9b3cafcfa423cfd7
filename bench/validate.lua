-- wrk script for POST /api/v1/validate-device, used by bench/cgi.sh:
--   wrk -s bench/validate.lua URL -- PAIRS_FILE
-- PAIRS_FILE holds one "GATEWAY_CREDENTIAL DEVICE_TOKEN" pair per line. Each request takes
-- the next pair, so the writes every allowed validation makes (the gateway's heartbeat,
-- the device's last_seen_at) spread over many rows as they would with real gateways,
-- instead of queueing on a single row lock. Threads start at different offsets.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local pairs_list = {}
local next_index = 1

function init(args)
  local path = args[1]
  if path == nil then error("validate.lua: usage: wrk -s validate.lua URL -- PAIRS_FILE") end
  local f = assert(io.open(path, "r"))
  for line in f:lines() do
    local gw, token = line:match("^(%S+)%s+(%S+)$")
    if gw then
      table.insert(pairs_list, {
        headers = { ["Authorization"] = "Bearer " .. gw, ["Content-Type"] = "application/json" },
        body = '{"token":"' .. token .. '"}',
      })
    end
  end
  f:close()
  if #pairs_list == 0 then error("validate.lua: no pairs in " .. path) end
  next_index = ((id or 0) * 7) % #pairs_list + 1
end

function request()
  local p = pairs_list[next_index]
  next_index = next_index % #pairs_list + 1
  return wrk.format("POST", nil, p.headers, p.body)
end
