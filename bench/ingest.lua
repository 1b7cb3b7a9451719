-- wrk script for bench/ingest.sh: POSTs pre-signed Stripe webhooks, one distinct event per
-- request, and counts the answers.
--
--   wrk -t2 -c64 -d20s --latency -s bench/ingest.lua URL -- EVENTS_PREFIX
--
-- Thread i reads EVENTS_PREFIX.i (written by bench/ingest-sign.js), one event a line:
-- "<Stripe-Signature>\t<body>". Lines are read as requests go out, so the events need no
-- memory here. X-Forwarded-Proto: https marks the request as having come through a TLS proxy
-- (connectord trusts it from 127.0.0.1 with --trusted-proxy; the reference ignores it).
-- A thread that runs out of events stops and reports it: the run is then void, because a
-- repeated event would be a duplicate, answered 200 without a new invoice.
--
-- done() prints one line that bench/ingest.sh reads:
--   ingest: ok=N other=N sent=N exhausted=N

local threads = {}

-- INGEST_PORTS="8081 8082": several processes of one server, each on its own port; wrk's
-- threads take turns (thread i connects to port i mod n), so each process gets the
-- connections of its threads. Unset: every thread connects to the URL's port.
local ports = {}
for p in (os.getenv("INGEST_PORTS") or ""):gmatch("%d+") do
   table.insert(ports, p)
end

function setup(thread)
   if #ports > 0 then
      thread.addr = wrk.lookup(wrk.host, ports[(#threads % #ports) + 1])[1]
   end
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- Per thread (globals, so done() can read them with thread:get).
sent, exhausted = 0, 0

local file, last
local heads = {}

function init(args)
   local prefix = args[1]
   if not prefix then
      error("usage: wrk ... -s bench/ingest.lua URL -- EVENTS_PREFIX")
   end
   file = assert(io.open(prefix .. "." .. id, "rb"))
   -- INGEST_PATHS="/p1 /p2": the webhook URLs of several tenants (one secret), taken in
   -- turn request by request; unset: the URL's path.
   local paths = {}
   for path in (os.getenv("INGEST_PATHS") or ""):gmatch("%S+") do
      table.insert(paths, path)
   end
   if #paths == 0 then
      paths[1] = wrk.path
   end
   for i, path in ipairs(paths) do
      heads[i] = "POST " .. path .. " HTTP/1.1\r\n" ..
         "Host: " .. wrk.headers["Host"] .. "\r\n" ..
         "Content-Type: application/json\r\n" ..
         "X-Forwarded-Proto: https\r\n" ..
         "Stripe-Signature: "
   end
end

function request()
   local line = file:read("*l")
   if not line then
      exhausted = exhausted + 1
      wrk.thread:stop()
      return last or (heads[1] .. "\r\nContent-Length: 0\r\n\r\n")
   end
   local tab = line:find("\t", 1, true)
   local body = line:sub(tab + 1)
   last = heads[(sent % #heads) + 1] .. line:sub(1, tab - 1) .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
   sent = sent + 1
   return last
end

function done(summary, latency, requests)
   -- Answers are counted from wrk's summary: a response() callback would have wrk copy
   -- every answer's headers and body into Lua, which costs the load generator, and so the
   -- servers sharing its cores, more than the counting is worth. errors.status counts the
   -- answers with a status of 400 or more; neither server answers 1xx or 3xx here, so the
   -- rest are 200s.
   local sent, exhausted = 0, 0
   for _, thread in ipairs(threads) do
      sent = sent + (thread:get("sent") or 0)
      exhausted = exhausted + (thread:get("exhausted") or 0)
   end
   local other = summary.errors.status
   io.write(string.format("ingest: ok=%d other=%d sent=%d exhausted=%d\n",
                          summary.requests - other, other, sent, exhausted))
end
