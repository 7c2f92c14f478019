-- wrk script of the auth benchmark (bench/auth/run.ts).
--
-- Without arguments, every request is wrk's own: the URL with the -H headers
-- (the API key or the one token). With a file of tokens after `--`, the
-- requests cycle through them, one token per request, as
-- `Authorization: Bearer <token>`, each thread from its own offset.
-- Either way the request comes from request() and a prepared table, so the
-- Lua cost per request is the same in every variant.
-- done() prints the results as one JSON line (WRK_RESULT {...}), as
-- bench/proxy/mix.lua does.

local requests = {}
local count = 0
local index = 0

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = args[1]
  if file == nil then
    count = 1
    requests[1] = wrk.format()
    return
  end
  for token in io.lines(file) do
    if token ~= "" then
      local headers = {}
      for k, v in pairs(wrk.headers) do headers[k] = v end
      headers["Authorization"] = "Bearer " .. token
      count = count + 1
      requests[count] = wrk.format(nil, nil, headers)
    end
  end
  if count == 0 then error("no tokens in " .. file) end
  index = ((id or 1) - 1) * 97 % count
end

function request()
  index = index % count + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
