-- One request shape per run, from the environment:
--   WRK_METHOD      GET or POST (default GET)
--   WRK_BODY_FILE   a JSON body sent with every request
--   WRK_TOKEN       a bearer token
--   WRK_PATHS_FILE  one path per line; each request takes one at random (the --keys spread case).
--                   Without it every request goes to the URL given to wrk.
--  WRK_PATHS_ORDER  "sequential": the threads walk the list in turn instead, and stop once every path has
--                   had its request (warming every key once); wrk still runs for the whole -d.
-- done() prints one line that bench/hotpath.sh reads: RESULT <requests/s> <p50 ms> <p99 ms> <errors> <requests>,
-- where errors counts refused connections, timeouts and answers outside 2xx/3xx.
wrk.method = os.getenv("WRK_METHOD") or "GET"
local file = os.getenv("WRK_BODY_FILE")
if file and file ~= "" then
  local f = assert(io.open(file, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local paths = nil
local list = os.getenv("WRK_PATHS_FILE")
if list and list ~= "" then
  paths = {}
  for line in io.lines(list) do
    if line ~= "" then paths[#paths + 1] = line end
  end
end

-- setup() runs in the main Lua state once per thread; init() then runs in each thread's own state.
local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

local sequential = os.getenv("WRK_PATHS_ORDER") == "sequential"
local next_path, step = 1, 1
function init(args)
  math.randomseed(os.time() + (index or 0) * 7919)
  -- Thread i takes paths i+1, i+1+T, i+1+2T, ... where T (WRK_THREADS) is wrk's -t.
  next_path, step = (index or 0) + 1, tonumber(os.getenv("WRK_THREADS") or "1")
end

if paths then
  function request()
    if sequential then
      local path = paths[(next_path - 1) % #paths + 1]
      next_path = next_path + step
      return wrk.format(nil, path)
    end
    return wrk.format(nil, paths[math.random(#paths)])
  end

  if sequential then
    function response(status, headers, body)
      if next_path > #paths then wrk.thread:stop() end
    end
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n", summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout + e.status, summary.requests))
end
