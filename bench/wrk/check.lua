-- Validation pass (compare.ts runs it as the discarded warm-up): every
-- response must be 200 with the expected body. Defining response() makes
-- wrk hand each body to Lua, which slows it down, so measured runs omit
-- this file and check the byte count instead (see bench/lib/validity.ts).
-- Expected body: $HELLO_EXPECTED_BODY, default "hello" (an env variable,
-- because pipeline.lua owns init()).
local expected = os.getenv("HELLO_EXPECTED_BODY") or "hello"
checked = 0
bad = 0

response = function(status, headers, body)
  checked = checked + 1
  if status ~= 200 or body ~= expected then bad = bad + 1 end
end
