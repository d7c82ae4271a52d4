-- wrk script for the benchmarks (see load_urls in endpoint.py): cycles through the request paths of the
-- file named by its first argument, one per line, putting a token never used before in place of each
-- __COUNTER__ (the run's own third argument, the thread and a count: a "cold" request is never a
-- repeat, not even of an earlier run's), and prints one summary line at the end.
local paths, accept, run, next_path, counter = {}, "*/*", "", 0, 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  accept = args[2]
  run = args[3]
end

local thread_number = 0
function setup(thread)
  thread:set("id", thread_number)
  thread_number = thread_number + 1
end

function request()
  next_path = next_path % #paths + 1
  counter = counter + 1
  local path = paths[next_path]:gsub("__COUNTER__", run .. "-" .. (id or 0) .. "-" .. counter)
  return wrk.format("GET", path, { Accept = accept })
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "WRK requests=%d seconds=%f p50=%f p99=%f status_errors=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
