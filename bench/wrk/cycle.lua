-- Cycle through a file of presigned request targets (path?query, one per line).
--
--   wrk -t T -c C -d D --latency -s bench/wrk/cycle.lua http://127.0.0.1:PORT -- FILE METHOD BODYSIZE T
--
-- METHOD is GET or PUT; for PUT a body of BODYSIZE bytes is sent (the URLs are presigned with
-- UNSIGNED-PAYLOAD, so any body is accepted).  Each wrk thread takes its own contiguous slice of the
-- file.  done() prints one line "BENCHJSON {...}" with the counts and latency percentiles (in µs)
-- for bench/load.py to parse.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local file = args[1]
   meth = args[2] or "GET"
   local size = tonumber(args[3] or "0")
   local nthreads = tonumber(args[4] or "1")
   local all = {}
   for line in io.lines(file) do
      if #line > 0 then all[#all + 1] = line end
   end
   local n = #all
   local lo = math.floor(n * id / nthreads) + 1
   local hi = math.floor(n * (id + 1) / nthreads)
   paths = {}
   for k = lo, hi do paths[#paths + 1] = all[k] end
   all = nil
   count = #paths
   i = 1
   wrapped = 0
   if size > 0 then body = string.rep("x", size) else body = nil end
end

function request()
   local p = paths[i]
   i = i + 1
   if i > count then
      i = 1
      wrapped = wrapped + 1
   end
   return wrk.format(meth, p, nil, body)
end

function done(summary, latency, requests)
   local wrapped_total = 0
   for _, t in ipairs(threads) do
      wrapped_total = wrapped_total + (t:get("wrapped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
      '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"mean_us":%.1f,"max_us":%d,"wrapped":%d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, wrapped_total))
end
