--- Iskra for Neovim: `require('iskra').setup(opts)`.
---
--- The server does the work; this file only wires Neovim's own LSP features to it:
--- `vim.lsp.config/enable`, native inline completion with keys on 0.12+, and the completion
--- menu on 0.11 (the server then answers `textDocument/completion`, because the client does
--- not announce `inlineCompletion`). Older Neovims get one plain message (iskra.requirement).

local requirement = require('iskra.requirement')

local M = {}

---@param cfg iskra.Config
---@return table
local function server_config(cfg)
  return {
    cmd = cfg.cmd,
    cmd_env = cfg.cmd_env,
    filetypes = cfg.filetypes,
    root_markers = cfg.root_markers,
    init_options = { iskra = cfg.settings },
    settings = { iskra = cfg.settings },
  }
end

---@param cfg iskra.Config
---@param client vim.lsp.Client
---@param bufnr integer
local function on_iskra_attach(cfg, client, bufnr)
  local inline = require('iskra.inline')
  if inline.available() then
    if cfg.inline.enabled then
      inline.set_keymaps(bufnr, cfg.inline.keymaps)
    end
  elseif cfg.fallback.enabled then
    require('iskra.menu').enable(client, bufnr, cfg.fallback.autotrigger)
  end
end

--- Configures and starts Iskra. Safe to call again with new options.
---@param opts table? see |iskra-config|
function M.setup(opts)
  if not requirement.met() then
    requirement.notify_once()
    requirement.create_command()
    return
  end
  local config = require('iskra.config')
  local cfg = config.resolve(opts)
  config.current = cfg
  local group = vim.api.nvim_create_augroup('iskra', { clear = true })

  if cfg.commands then
    require('iskra.commands').create()
  end
  require('iskra.install').ensure_helptags()
  if vim.fn.executable(cfg.cmd[1]) ~= 1 then
    -- Otherwise nothing happens at all: Neovim only logs a missing server.
    vim.notify(
      ('Iskra: the server `%s` was not found: run `:Iskra install`, or set `cmd`'):format(cfg.cmd[1]),
      vim.log.levels.WARN,
      { title = 'Iskra' }
    )
  end

  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == 'iskra' then
        on_iskra_attach(cfg, client, args.buf)
      end
    end,
  })

  vim.lsp.config('iskra', server_config(cfg))
  vim.lsp.enable('iskra')

  if cfg.inline.enabled and require('iskra.inline').available() then
    vim.lsp.inline_completion.enable(true)
  end
end

--- Statusline component: "Iskra: 15/20", "Iskra: sign in", "Iskra: quota spent", or "".
---@return string
function M.status()
  return requirement.met() and require('iskra.status').statusline() or ''
end

--- Calls `fn(status)` whenever the server reports a new status; returns an unsubscribe function.
---@param fn fun(s: iskra.Status)
---@return fun()
function M.on_status(fn)
  return require('iskra.status').on_change(fn)
end

return M
