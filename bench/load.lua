-- wrk script for the intake benchmarks: builds each request's body and counts what was accepted.
--
-- Run with as many threads as connections (-t N -c N): each thread then owns one connection, so a
-- response always answers the request that thread sent last, and the events it carried are counted
-- as accepted (per dedup key) when the answer is 2xx. Settings come from the environment:
--   BENCH_KIND    pagerduty | generic_batch | alertmanager   (body shape)
--   BENCH_KEY     integration key (routing_key, or part of the generic batch URL)
--   BENCH_PREFIX  prefix of every dedup key, unique per run
--   BENCH_POOL    size of the pool of repeated dedup keys (half the events use one)
--   BENCH_BATCH   events per request (1 for single-event intakes)
--   BENCH_DELAY   milliseconds each connection waits between requests (0: as fast as answered)
--   BENCH_OUT     file that receives "dedup_key<TAB>accepted count" lines, and the summary as JSON

local kind = os.getenv("BENCH_KIND") or "pagerduty"
local key = os.getenv("BENCH_KEY") or ""
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local pool = tonumber(os.getenv("BENCH_POOL") or "50")
local batch = tonumber(os.getenv("BENCH_BATCH") or "1")
local pause = tonumber(os.getenv("BENCH_DELAY") or "0")
local out = os.getenv("BENCH_OUT")
local severities = {"critical", "error", "warning", "info"}

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  sent = 0            -- events built by this thread
  last_keys = {}      -- dedup keys of the request in flight on this thread's one connection
  accepted = {}       -- dedup key -> accepted events
  accepted_requests = 0
  statuses = {}
  math.randomseed(id * 7919 + os.time())
end

-- Half the events repeat a key of the small pool (a storm attaching to open incidents), half are new.
local function next_key()
  sent = sent + 1
  if sent % 2 == 0 then
    return string.format("%s-r%d", prefix, math.random(pool))
  end
  return string.format("%s-n%d-%d", prefix, id, sent)
end

local function severity()
  return severities[(sent % #severities) + 1]
end

local builders = {}

builders.pagerduty = function(k)
  return string.format('{"routing_key":"%s","event_action":"trigger","dedup_key":"%s",' ..
    '"payload":{"summary":"latency high on %s","source":"bench","severity":"%s"}}', key, k, k, severity())
end

builders.generic_batch = function(k)
  return string.format('{"summary":"latency high on %s","severity":"%s","source":"bench","dedup_key":"%s",' ..
    '"labels":{"env":"bench"}}', k, severity(), k)
end

builders.alertmanager = function(k)
  return string.format('{"labels":{"alertname":"LatencyHigh","dedup":"%s","severity":"%s"},' ..
    '"annotations":{"summary":"latency high on %s"}}', k, severity(), k)
end

function request()
  local parts = {}
  last_keys = {}
  for i = 1, batch do
    local k = next_key()
    last_keys[i] = k
    parts[i] = builders[kind](k)
  end
  local body
  if kind == "generic_batch" then
    body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  elseif kind == "alertmanager" then
    body = "[" .. table.concat(parts, ",") .. "]"
  else
    body = parts[1]
  end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 200 and status < 300 then
    accepted_requests = accepted_requests + 1
    for _, k in ipairs(last_keys) do
      accepted[k] = (accepted[k] or 0) + 1
    end
  end
  last_keys = {}
end

if pause > 0 then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local file = assert(io.open(out, "w"))
  local events, total_requests, counts, codes = 0, 0, {}, {}
  for _, thread in ipairs(threads) do
    total_requests = total_requests + thread:get("accepted_requests")
    for k, n in pairs(thread:get("accepted")) do
      file:write(k, "\t", n, "\n")
      events = events + n
    end
    for code, n in pairs(thread:get("statuses")) do
      counts[code] = (counts[code] or 0) + n
    end
  end
  for code, n in pairs(counts) do
    codes[#codes + 1] = string.format('"%d":%d', code, n)
  end
  local e = summary.errors
  file:write(string.format('#{"seconds":%f,"requests":%d,"accepted_requests":%d,"accepted_events":%d,' ..
    '"p50_ms":%f,"p99_ms":%f,"max_ms":%f,"statuses":{%s},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.duration / 1e6, summary.requests, total_requests, events,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3, table.concat(codes, ","),
    e.connect, e.read, e.write, e.status, e.timeout))
  file:close()
end
