-- wrk script: POST pre-built ingest bodies in turn, each a different simulated agent.
-- env: BODIES (directory), TOKEN, GZIP=1 when the bodies are gzip'd, DELAY_MS=N to pace each connection (a
-- fixed offered load instead of as fast as the server answers).
local bodies = {}
local i = 0

function init(args)
  local dir = os.getenv("BODIES")
  local p = io.popen('ls "' .. dir .. '"')
  for name in p:lines() do
    local f = io.open(dir .. "/" .. name, "rb")
    bodies[#bodies + 1] = f:read("*all")
    f:close()
  end
  p:close()
  -- From the first body: with ROUNDS the bodies are in time order (bench/ingest.sh runs one wrk thread).
  i = 0
end

function request()
  i = i % #bodies + 1
  local headers = {
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
    ["Content-Type"] = "application/json",
  }
  if os.getenv("GZIP") == "1" then headers["Content-Encoding"] = "gzip" end
  return wrk.format("POST", "/api/v1/ingest", headers, bodies[i])
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("status " .. status .. ": " .. body .. "\n")
  end
end

local pause = tonumber(os.getenv("DELAY_MS") or "0")

function delay()
  return pause
end
