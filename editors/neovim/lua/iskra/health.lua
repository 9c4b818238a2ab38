--- `:checkhealth iskra`: can this Neovim run Iskra, and what to do when it cannot.
---
--- Everything the server knows about the account comes from `iskra-ls status --json` (it
--- calls `/auth/me`), so the check runs the same program the client starts, with the same
--- environment, and reports each failure with the next step.

local M = {}

local TIMEOUT_MS = 15000

---@param argv string[]
---@return vim.SystemCompleted
local function run(argv)
  local config = require('iskra.config')
  local ok, proc = pcall(vim.system, argv, { text = true, env = config.current.cmd_env })
  if not ok then
    return { code = 127, signal = 0, stdout = '', stderr = tostring(proc) }
  end
  return proc:wait(TIMEOUT_MS)
end

--- The CLI's one-line explanation of a failure.
---@param res vim.SystemCompleted
---@return string
local function reason(res)
  if res.code == 124 then
    return ('no answer within %d s'):format(TIMEOUT_MS / 1000)
  end
  local text = vim.trim(res.stderr or '')
  if text == '' then
    text = vim.trim(res.stdout or '')
  end
  local lines = vim.split(text, '\n', { plain = true })
  return lines[#lines] ~= '' and lines[#lines] or ('exit code ' .. res.code)
end

---@param name string
---@return string?
local function env(name)
  local config = require('iskra.config')
  local cmd_env = config.current.cmd_env or {}
  local v = cmd_env[name] or vim.env[name]
  if v == nil or v == '' then
    return nil
  end
  return v
end

local function check_neovim()
  vim.health.start('Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if require('iskra.inline').available() then
    vim.health.ok('Neovim ' .. version .. ' shows inline completions (ghost text)')
  else
    vim.health.warn(
      'Neovim ' .. version .. ' has no inline completion: suggestions come in the completion menu',
      { 'Upgrade to Neovim 0.12 or later for ghost text' }
    )
  end
end

--- Where the server command comes from, in words ("installed by :Iskra install in …").
---@param exe string
---@return string
local function server_source(exe)
  local install = require('iskra.install')
  if vim.fs.normalize(vim.fn.exepath(exe)) == vim.fs.normalize(install.venv_python()) then
    return 'installed by :Iskra install in ' .. install.venv_dir()
  end
  if require('iskra.config').current.cmd_is_default == false then
    return 'set by the `cmd` option'
  end
  return 'found on PATH'
end

---@return boolean found
local function check_binary()
  vim.health.start('Server')
  local config = require('iskra.config')
  local exe = config.current.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    local advice_lines = {
      'Run `:Iskra install` (a private virtualenv built from this plugin\'s checkout)',
      "Or point the plugin at a server: require('iskra').setup({ cmd = { '/path/to/iskra-ls' } })",
    }
    local looked = require('iskra.config').current.cmd_is_default == false and 'the `cmd` option'
      or 'PATH and ' .. require('iskra.install').venv_dir()
    vim.health.error(('The server `%s` was not found (looked at %s)'):format(exe, looked), advice_lines)
    return false
  end
  local res = run(config.cli(nil, '--version'))
  if res.code ~= 0 then
    vim.health.error(('`%s --version` failed: %s'):format(exe, reason(res)), {
      'Reinstall the server: `:Iskra install`',
    })
    return false
  end
  vim.health.ok(('Server: %s, %s (%s)'):format(
    vim.trim(res.stdout),
    vim.fn.exepath(exe),
    server_source(exe)
  ))
  return true
end

--- Advice for a failed `status`, from the CLI's own words.
---@param why string
---@return string[]
local function advice(why)
  local lower = why:lower()
  if lower:find('sign') or lower:find('token') or lower:find('login') or lower:find('401') then
    return { 'Run `:Iskra login` (or set ISKRA_TOKEN)' }
  end
  if lower:find('429') or lower:find('quota') or lower:find('limit') then
    return { 'Wait for the daily reset, or upgrade the plan' }
  end
  return {
    'Check the network connection',
    'Check ISKRA_API_URL (now: ' .. (env('ISKRA_API_URL') or 'the default service') .. ')',
  }
end

local function check_account()
  vim.health.start('Account')
  if env('ISKRA_TOKEN') then
    vim.health.ok('Token: from ISKRA_TOKEN')
  end
  local config = require('iskra.config')
  local res = run(config.cli(nil, 'status', '--json'))
  if res.code ~= 0 then
    local why = reason(res)
    vim.health.error('Account check failed: ' .. why, advice(why))
    return
  end
  local ok, me = pcall(vim.json.decode, res.stdout or '', { luanil = { object = true } })
  if not ok or type(me) ~= 'table' then
    vim.health.error('`iskra-ls status --json` printed something unexpected', {
      'Update the server: `:Iskra install` (after updating the plugin)',
    })
    return
  end
  if not env('ISKRA_TOKEN') then
    vim.health.ok('Token: stored by `iskra-ls login`')
  end
  local user = type(me.user) == 'table' and me.user or {}
  local usage = type(me.usage) == 'table' and me.usage or {}
  local who = user.email and (' as ' .. user.email) or ''
  vim.health.ok(('Service reachable%s (%s)'):format(who, env('ISKRA_API_URL') or 'default service'))
  local remaining, limit = tonumber(usage.remaining), tonumber(usage.limit)
  if remaining and limit then
    local text = ('Quota: %d of %d requests left today (tier %s)'):format(
      remaining,
      limit,
      user.tier or '?'
    )
    if remaining <= 0 then
      vim.health.warn(text, { 'Wait for the daily reset, or upgrade the plan' })
    else
      vim.health.ok(text)
    end
  else
    vim.health.info('Quota: not reported by the service')
  end
end

---@param found boolean the server binary was found
local function check_clients(found)
  vim.health.start('Client')
  local clients = vim.lsp.get_clients({ name = 'iskra' })
  if #clients == 0 then
    if found then
      vim.health.info('No Iskra client is running (it starts when a file is opened)')
    else
      vim.health.info('No Iskra client is running: the server is missing (see Server above)')
    end
    return
  end
  for _, client in ipairs(clients) do
    vim.health.ok(('Client %d attached to %d buffer(s), root %s'):format(
      client.id,
      vim.tbl_count(client.attached_buffers or {}),
      client.root_dir or '(none)'
    ))
  end
  local s = require('iskra.status').get()
  if s then
    vim.health.info(require('iskra.status').describe(s))
  end
end

function M.check()
  local requirement = require('iskra.requirement')
  if not requirement.met() then
    requirement.report_health()
    return
  end
  check_neovim()
  local found = check_binary()
  if found then
    check_account()
  end
  check_clients(found)
end

return M
