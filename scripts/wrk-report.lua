-- Appended to every wrk script of scripts/bench.sh (and given alone where a run has none): when
-- the run ends, one JSON object with what the report needs goes to the file $WRK_REPORT, so no
-- script reads wrk's human-readable summary. `non2xx` is wrk's count of answers with a status
-- of 400 or above; `ok_rps` counts only the rest, minus socket errors.
done = function(summary, latency, requests)
  local path = os.getenv("WRK_REPORT")
  if not path then return end -- a warm-up run: nothing to report
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local ok = summary.requests - e.status - socket
  local out = assert(io.open(path, "w"))
  out:write(string.format(
    '{"requests":%d,"non2xx":%d,"socket_errors":%d,"seconds":%.3f,"rps":%.1f,"ok_rps":%.0f,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, e.status, socket, seconds, summary.requests / seconds, ok / seconds,
    latency:percentile(50), latency:percentile(99)))
  out:close()
end
