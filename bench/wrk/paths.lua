-- wrk script of bench/api.sh: each request is a path drawn at random from a
-- file (one URL-encoded path a line), given after "--":
--   wrk -s bench/wrk/paths.lua URL -- FILE [in-order]
-- With "in-order" each thread takes the paths in the file's order instead,
-- over and over, the second thread starting halfway: the warm-up, so that
-- every path has been asked once (by the time either thread has made as many
-- requests as there are paths) before the measured run starts.
-- and at the end one line that bench/api.sh reads:
--   RESULT requests=N rps=R p50_ms=A p95_ms=B p99_ms=C errors=E
local paths = {}
local threads = 0
local in_order = false
local next_path = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot read " .. tostring(args[1]))
  for line in file:lines() do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  file:close()
  -- each thread its own sequence, the same from run to run
  math.randomseed(#paths + (tonumber(id) or 0) * 7919)
  in_order = args[2] == "in-order"
  next_path = ((tonumber(id) or 1) - 1) * math.floor(#paths / 2)
end

function request()
  if in_order then
    local path = paths[next_path % #paths + 1]
    next_path = next_path + 1
    return wrk.format("GET", path)
  end
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, errors))
end
