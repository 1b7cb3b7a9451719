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
--   ingest: ok=N other=N sent=N exhausted=N first_other=STATUS

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- Per thread (globals, so done() can read them with thread:get).
ok, other, sent, exhausted, first_other = 0, 0, 0, 0, 0

local file, head, last

function init(args)
   local prefix = args[1]
   if not prefix then
      error("usage: wrk ... -s bench/ingest.lua URL -- EVENTS_PREFIX")
   end
   file = assert(io.open(prefix .. "." .. id, "rb"))
   head = "POST " .. wrk.path .. " HTTP/1.1\r\n" ..
      "Host: " .. wrk.headers["Host"] .. "\r\n" ..
      "Content-Type: application/json\r\n" ..
      "X-Forwarded-Proto: https\r\n" ..
      "Stripe-Signature: "
end

function request()
   local line = file:read("*l")
   if not line then
      exhausted = exhausted + 1
      wrk.thread:stop()
      return last or (head .. "\r\nContent-Length: 0\r\n\r\n")
   end
   local tab = line:find("\t", 1, true)
   local body = line:sub(tab + 1)
   last = head .. line:sub(1, tab - 1) .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
   sent = sent + 1
   return last
end

function response(status, headers, body)
   if status == 200 then
      ok = ok + 1
   else
      other = other + 1
      if first_other == 0 then
         first_other = status
      end
   end
end

function done(summary, latency, requests)
   local t = {ok = 0, other = 0, sent = 0, exhausted = 0, first_other = 0}
   for _, thread in ipairs(threads) do
      for k, _ in pairs(t) do
         local v = thread:get(k) or 0
         if k == "first_other" then
            if t[k] == 0 then t[k] = v end
         else
            t[k] = t[k] + v
         end
      end
   end
   io.write(string.format("ingest: ok=%d other=%d sent=%d exhausted=%d first_other=%d\n",
                          t.ok, t.other, t.sent, t.exhausted, t.first_other))
end
