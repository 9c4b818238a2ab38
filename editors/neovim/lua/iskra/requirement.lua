--- The oldest Neovim the plugin supports, and the one plain message older ones get.
---
--- Loaded first by every entry point (plugin/iskra.lua, `setup()`, `:Iskra`,
--- `:checkhealth iskra`), so it may use nothing newer than Neovim 0.7 (Debian 12's): no
--- `vim.fs`, no `vim.health`, no `vim.lsp.config`.

local M = {}

--- 0.11: `vim.lsp.config`/`enable` and `vim.lsp.completion` (suggestions as menu items);
--- 0.12 adds ghost text. Both are tested end to end (tests/e2e/test_neovim.py).
M.minimum = '0.11'

--- Whether this Neovim is new enough.
---@return boolean
function M.met()
  return vim.fn.has('nvim-' .. M.minimum) == 1
end

---@return string
local function running()
  local v = vim.fn.api_info().version
  return ('%d.%d.%d'):format(v.major, v.minor, v.patch)
end

--- What is needed, in one line: this version, the one needed, where to get it.
---@return string
function M.message()
  return ('Iskra needs Neovim %s or later (this is %s): install a newer Neovim from '
    .. 'https://github.com/neovim/neovim/releases or your package manager, or use Iskra '
    .. 'from another editor. Iskra stays off until then.'):format(M.minimum, running())
end

local shown = false

--- Says it once per session (plugin load and `setup()` both ask).
function M.notify_once()
  if not shown then
    shown = true
    vim.notify(M.message(), vim.log.levels.WARN)
  end
end

--- `:Iskra …` on an old Neovim: every subcommand gets the message.
function M.create_command()
  vim.api.nvim_create_user_command('Iskra', function()
    vim.notify(M.message(), vim.log.levels.WARN)
  end, { nargs = '*', range = true, desc = 'Iskra (needs a newer Neovim)' })
end

--- The health report of an old Neovim: one error that names what is needed.
function M.report_health()
  local health = vim.health or require('health')
  local start = health.start or health.report_start
  local report_error = health.error or health.report_error
  start('Neovim')
  report_error(M.message())
end

return M
