-- wrk script for `make bench-hub` at saturation: replays the request list
-- load.py wrote (METHOD TAB PATH TAB SUBKEY TAB BODY), each thread from its
-- own offset, with the headers bam's client sends; prints one JSON line.
local list = {}
local file = os.getenv("BENCH_REQUESTS")

local function split(line)
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
    return fields
end

local threads = {}
local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("offset", counter * 7919)
    table.insert(threads, thread)
end

function init(args)
    for line in io.lines(file) do
        local f = split(line)
        local headers = { ["Accept"] = "application/json", ["X-Bam-Client"] = "1" }
        if f[3] ~= "" then headers["subkey"] = f[3] end
        local body = nil
        if f[1] == "POST" or f[1] == "PUT" then
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = f[4]
        end
        list[#list + 1] = wrk.format(f[1], f[2], headers, body)
    end
    index = offset % #list
    bad = 0
end

function request()
    index = index % #list + 1
    return list[index]
end

function response(status, headers, body)
    if status >= 400 then bad = bad + 1 end
end

function done(summary, latency, requests)
    local bad_total = 0
    for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        '{"achieved": %.1f, "requests": %d, "p50_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f, "errors": %d, "http_errors": %d}\n',
        summary.requests / seconds, summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, e.connect + e.read + e.write + e.timeout + e.status, bad_total))
end
