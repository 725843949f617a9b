-- wrk's HTTP/1.1 pipelining for `make bench` (bench/run.sh, PARTS=pipeline):
--   wrk -t1 -c50 -d10s -s bench/pipeline.lua URL -- DEPTH
-- The classic script from wrk's examples: init builds DEPTH requests with
-- wrk.format() (the request wrk sends without a script, Host included) and
-- request returns them all at once. wrk counts the requests in that string,
-- writes them in one go on a connection and writes the next batch once all
-- DEPTH responses have come; every response counts as one request in its
-- report. DEPTH defaults to 16.

init = function(args)
   local depth = 16
   if args[1] ~= nil then
      depth = tonumber(args[1])
      if depth == nil or depth < 1 or depth % 1 ~= 0 then
         error("pipeline.lua: the depth must be a whole number >= 1, not '" .. args[1] .. "'")
      end
   end
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format()
   end
   req = table.concat(r)
end

request = function()
   return req
end
