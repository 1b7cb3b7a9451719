-- wrk script for bench/deliver.sh: publishes payment.settled events through
-- POST /api/projects/:projectId/events, exactly QUOTA per wrk thread, and counts the answers.
--
--   wrk -t2 -c16 -d600s -s bench/deliver.lua URL -- TOKEN QUOTA DONE_PREFIX
--
-- Each event is distinct (its own externalId, invoice id and number; customers from a pool of
-- 100), with data shaped like the inbound pipeline's payment.settled (see
-- src/outbound/destination.h). Once a thread has sent its QUOTA of events, its connections ask
-- GET /healthz (answered 200, creating nothing) until the last event's answer is in; then the
-- thread stops. Closing a connection with a request still in flight could lose that request
-- (the server may read it after the reset, or not), so a thread never stops before its answers
-- are in, and a run creates exactly threads x QUOTA events. 201 counts as published, 200 is a
-- /healthz filler, anything else is counted as other.
--
-- wrk itself runs for its -d duration whatever its threads do, so each thread says how far it
-- is with files: DONE_PREFIX.sent.<thread> once it has sent its quota, DONE_PREFIX.done.<thread>
-- once every answer is in. bench/deliver.sh interrupts wrk (SIGINT, which makes it report at
-- once) when every thread is done, or some time after every thread has sent everything (an
-- answer lost to a broken connection never comes; the store's count of events tells then).
--
-- done() prints one line that bench/deliver.sh reads:
--   publish: ok=N other=N sent=N first_other=STATUS

local threads = {}

-- DELIVER_PACE_MS=N (N > 0): each connection waits N ms before each request, for a steady
-- load below saturation (connections x 1000 / N requests/s at most); unset or 0: as fast as
-- the answers come.
local pace_ms = tonumber(os.getenv("DELIVER_PACE_MS") or "0") or 0
if pace_ms > 0 then
   function delay()
      return pace_ms
   end
end

-- DELIVER_PORTS="8081 8082": several connectord processes on one store, each on its own port;
-- wrk's threads take turns (thread i connects to port i mod n). Unset: the URL's port.
local ports = {}
for p in (os.getenv("DELIVER_PORTS") or ""):gmatch("%d+") do
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
ok, other, sent, first_other = 0, 0, 0, 0

local quota, head, filler, tag, sent_file, done_file, verifying

function init(args)
   local token, q = args[1], tonumber(args[2])
   if not token or not q or not args[3] then
      error("usage: wrk ... -s bench/deliver.lua URL -- TOKEN QUOTA DONE_PREFIX")
   end
   quota = q
   -- Before the run, wrk calls request() once on the first thread to check the request it
   -- returns, and never sends that one: it gets the filler, so no event is counted unsent.
   verifying = (id == 0)
   sent_file = args[3] .. ".sent." .. id
   done_file = args[3] .. ".done." .. id
   tag = string.format("%d%04d", os.time() % 100000, id)
   head = "POST " .. wrk.path .. " HTTP/1.1\r\n" ..
      "Host: " .. wrk.headers["Host"] .. "\r\n" ..
      "Authorization: Bearer " .. token .. "\r\n" ..
      "Content-Type: application/json\r\n" ..
      "Content-Length: "
   filler = "GET /healthz HTTP/1.1\r\nHost: " .. wrk.headers["Host"] .. "\r\n\r\n"
end

local body_format = '{"type":"payment.settled","data":{"provider":"stripe",' ..
   '"event":"invoice.payment_succeeded","externalId":"in_b%s_%d","amount":"%d.%02d",' ..
   '"currency":"EUR","amountMinor":%d,"invoiceId":"inv_b%s_%d","invoiceNumber":"B%s-%d",' ..
   '"invoiceDate":"2026-03-22","direction":"revenue","party":{"id":"cus_bench%03d",' ..
   '"name":"Bench Customer %03d GmbH","email":"billing%03d@example.com","role":"customer"}}}'

function request()
   if verifying then
      verifying = false
      return filler
   end
   if sent >= quota then
      if sent_file then
         assert(io.open(sent_file, "w")):close()
         sent_file = nil
      end
      return filler
   end
   sent = sent + 1
   local minor = 1000 + (sent * 7919) % 99000
   local customer = sent % 100
   local body = string.format(body_format, tag, sent, math.floor(minor / 100), minor % 100,
                              minor, tag, sent, tag, sent, customer, customer, customer)
   return head .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
   if status == 201 then
      ok = ok + 1
   elseif status ~= 200 then
      other = other + 1
      if first_other == 0 then
         first_other = status
      end
   end
   if ok + other >= quota and done_file then
      assert(io.open(done_file, "w")):close()
      done_file = nil
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local t = {ok = 0, other = 0, sent = 0, first_other = 0}
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
   io.write(string.format("publish: ok=%d other=%d sent=%d first_other=%d\n",
                          t.ok, t.other, t.sent, t.first_other))
end
