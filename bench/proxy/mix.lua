-- wrk script of the proxy benchmark: a request mix over documented, templated
-- operations of bench/proxy/openapi.yaml (7 GETs of different shapes and one
-- small JSON POST in 8), with varying ids so routing does real work, and a
-- done() that prints the results as one JSON line (WRK_RESULT {...}) for run.ts.

local requests = {}
local count = 0
local index = 0

-- setup() runs once per thread in the main Lua state; numbering the threads
-- lets each one start at a different place in the list
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

local common = {
  ["Accept"] = "application/json",
  ["Authorization"] = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXNfMTA0MiJ9.c2lnbmF0dXJl",
  ["User-Agent"] = "storefront-app/5.2 (bench)",
}

local function add(method, path, body)
  local headers = {}
  for k, v in pairs(common) do headers[k] = v end
  if body then headers["Content-Type"] = "application/json" end
  count = count + 1
  requests[count] = wrk.format(method, path, headers, body)
end

function init(args)
  for i = 1, 16 do
    local n = 1000 + i * 37
    add("GET", "/api/v1/customers/cus_" .. n)
    add("GET", "/api/v1/customers/cus_" .. n .. "/orders/ord_" .. (n * 3))
    add("GET", "/api/v1/products/SKU-" .. (n % 500) .. "/reviews?limit=10")
    add("GET", "/api/v1/orders?status=open&limit=20")
    add("GET", "/api/v1/orders/ord_" .. n .. "/shipments/shp_" .. (i % 4) .. "/tracking")
    add("GET", "/api/v1/customers/me")
    add("POST", "/api/v1/carts/cart_" .. n .. "/items", '{"sku":"SKU-' .. (n % 500) .. '","quantity":' .. (i % 3 + 1) .. '}')
    add("GET", "/api/v1/products/SKU-" .. (n % 500))
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
