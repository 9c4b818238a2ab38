--- The last `iskra/status` notification, and who wants to hear about it.
---
--- The server sends `{state, tier, requestsToday, limit, remaining, model, message}` on start,
--- after each request and on errors, with the day across every editor on this machine
--- (`byKind`, `automaticLeft`, `resetsAt`, `planKnown`: the server's quota ledger). We keep
--- only the latest payload (the statusline needs nothing older), fan it out to callbacks, and
--- fire `User IskraStatus` so statuslines redraw.

local M = {}

---@class iskra.Status
--- state: "starting"|"ready"|"working"|"signedOut"|"quotaExhausted"|"paused"|"offline"|
--- "error"|"disabled".
---@field state string
---@field tier string?
---@field requestsToday integer?
---@field limit integer?
---@field remaining integer?
---@field model string?
---@field message string?
---@field byKind {automatic: integer?, invoked: integer?, action: integer?}?
---@field automaticLeft integer?
---@field resetsAt string? ISO 8601, UTC
---@field planKnown boolean? false until Iskra's /auth/me answered today

---@type iskra.Status?
local last = nil

---@type table<integer, fun(status: iskra.Status)>
local callbacks = {}
local next_id = 0

--- JSON null arrives as `vim.NIL`; treat it as absent.
---@param v any
---@return any
local function value(v)
  if v == vim.NIL then
    return nil
  end
  return v
end

--- Records a payload and notifies everyone who asked.
---@param payload table
function M.update(payload)
  if type(payload) ~= 'table' then
    return
  end
  ---@type iskra.Status
  local status = {
    state = value(payload.state) or 'ready',
    tier = value(payload.tier),
    requestsToday = value(payload.requestsToday),
    limit = value(payload.limit),
    remaining = value(payload.remaining),
    model = value(payload.model),
    message = value(payload.message),
    byKind = type(value(payload.byKind)) == 'table' and payload.byKind or nil,
    automaticLeft = value(payload.automaticLeft),
    resetsAt = value(payload.resetsAt),
    planKnown = value(payload.planKnown),
  }
  last = status
  for _, cb in pairs(callbacks) do
    local ok, err = pcall(cb, status)
    if not ok then
      vim.notify_once('Iskra: a status callback failed: ' .. tostring(err), vim.log.levels.WARN)
    end
  end
  vim.schedule(function()
    vim.api.nvim_exec_autocmds('User', { pattern = 'IskraStatus', modeline = false })
  end)
end

--- LSP handler for the `iskra/status` notification (register under `handlers`).
---@param err lsp.ResponseError?
---@param result table?
function M.handler(err, result, _)
  if err or not result then
    return
  end
  M.update(result)
end

--- The latest status, or nil before the server has sent one.
---@return iskra.Status?
function M.get()
  return last
end

--- Calls `fn(status)` on every new status; returns a function that unsubscribes.
---@param fn fun(status: iskra.Status)
---@return fun()
function M.on_change(fn)
  next_id = next_id + 1
  local id = next_id
  callbacks[id] = fn
  return function()
    callbacks[id] = nil
  end
end

local words = {
  signedOut = 'sign in',
  quotaExhausted = 'quota spent',
  paused = 'paused',
  offline = 'offline',
  error = 'error',
  disabled = 'off',
}

--- A short statusline text: "Iskra: 15/20" (requests left of the day's limit),
--- "Iskra: sign in", "Iskra: quota spent", ...; "" before the server has said anything.
---@return string
function M.statusline()
  local s = last
  if not s then
    return ''
  end
  local word = words[s.state]
  if word then
    return 'Iskra: ' .. word
  end
  if type(s.remaining) == 'number' and type(s.limit) == 'number' then
    return ('Iskra: %d/%d'):format(s.remaining, s.limit)
  end
  return 'Iskra: ' .. s.state
end

--- The day across every editor on this machine: "today on this machine: 3 automatic, 1 invoked,
--- 2 action; 6 automatic left; resets 00:00 UTC"; nil when the server did not say.
---@param s iskra.Status?
---@return string?
function M.usage(s)
  s = s or last
  if not s or type(s.byKind) ~= 'table' then
    return nil
  end
  local k = s.byKind
  local function n(x)
    return type(value(x)) == 'number' and value(x) or 0
  end
  local parts = {
    ('today on this machine: %d automatic, %d invoked, %d action'):format(
      n(k.automatic),
      n(k.invoked),
      n(k.action)
    ),
  }
  if type(s.automaticLeft) == 'number' then
    table.insert(parts, ('%d automatic left'):format(s.automaticLeft))
  end
  if type(s.resetsAt) == 'string' then
    local hm = s.resetsAt:match('T(%d%d:%d%d)')
    table.insert(parts, 'resets ' .. (hm and (hm .. ' UTC') or s.resetsAt))
  end
  if s.planKnown == false then
    table.insert(parts, "free plan's 20 assumed until Iskra answers")
  end
  return table.concat(parts, '; ')
end

--- A full sentence for `:Iskra status`.
---@param s iskra.Status?
---@return string
function M.describe(s)
  s = s or last
  if not s then
    return 'Iskra: no status yet (is the server attached to this buffer?)'
  end
  local parts = { 'Iskra: ' .. s.state }
  if s.tier then
    table.insert(parts, 'tier ' .. s.tier)
  end
  if type(s.requestsToday) == 'number' and type(s.limit) == 'number' then
    table.insert(parts, ('%d of %d requests used today'):format(s.requestsToday, s.limit))
  end
  if type(s.remaining) == 'number' then
    table.insert(parts, ('%d left'):format(s.remaining))
  end
  if s.model then
    table.insert(parts, 'model ' .. s.model)
  end
  local text = table.concat(parts, ', ')
  local day = M.usage(s)
  if day then
    text = text .. '; ' .. day
  end
  if s.message and s.message ~= '' then
    text = text .. ' — ' .. s.message
  end
  return text
end

--- Forgets the last status (tests; a restarted server).
function M.reset()
  last = nil
end

return M
