-- Pipelined load, as the TechEmpower plaintext test does: every write
-- carries 16 requests, wrk counts the 16 responses one by one.
-- Usage: wrk -t1 -c64 -d5s -s bench/pipeline.lua http://127.0.0.1:8000/
-- Built in init(), not at load time: wrk adds the Host header (required
-- by RFC 9112 §3.2) to wrk.headers just before calling init().
-- Headers given with -H are included (wrk.format uses wrk.headers).
local depth = 16
local pipelined

init = function(args)
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format(nil, "/")
  end
  pipelined = table.concat(batch)
end

request = function()
  return pipelined
end
