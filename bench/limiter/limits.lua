-- wrk script of the limiter proxy benchmark: four GET shapes of
-- bench/limiter/openapi.yaml with varying ids, and a done() that prints the
-- results as one JSON line (WRK_RESULT {...}) for proxy.ts. Refusals (429)
-- are counted by wrk as non-2xx/3xx answers (errors.status); a response()
-- callback would count them by code but slows wrk down, and proxy.ts checks
-- beforehand that a limited target answers 429 and nothing else.

local requests = {}
local count = 0
local index = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local headers = {
  ["Accept"] = "application/json",
  ["User-Agent"] = "storefront-app/5.2 (limiter bench)",
}

local function add(path)
  count = count + 1
  requests[count] = wrk.format("GET", path, headers)
end

function init(args)
  for i = 1, 16 do
    local n = 1000 + i * 37
    add("/api/v1/customers/cus_" .. n)
    add("/api/v1/customers/cus_" .. n .. "/orders/ord_" .. (n * 3))
    add("/api/v1/orders?status=open&limit=20")
    add("/api/v1/products/SKU-" .. (n % 500))
  end
  index = ((id or 1) - 1) * 13 % count
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
