--- Iskra for Neovim: `require('iskra').setup(opts)`.
---
--- The server does the work; this file only wires Neovim's own LSP features to it:
--- `vim.lsp.config/enable` (0.11+) or `vim.lsp.start` (0.10), native inline completion with
--- keys on 0.12+, and the completion menu on older versions (the server then answers
--- `textDocument/completion`, because the client does not announce `inlineCompletion`).

local config = require('iskra.config')
local status = require('iskra.status')

local M = {}

--- The server config from `lsp/iskra.lua` on the runtimepath (for 0.10, which cannot read it).
---@return table
local function base_config()
  local file = vim.api.nvim_get_runtime_file('lsp/iskra.lua', false)[1]
  return file and dofile(file) or {}
end

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

--- Neovim 0.10: start the client per buffer ourselves.
---@param cfg iskra.Config
---@param group integer
local function start_without_lsp_config(cfg, group)
  local server = vim.tbl_deep_extend('force', base_config(), server_config(cfg), { name = 'iskra' })
  local function start(bufnr)
    if vim.bo[bufnr].buftype ~= '' then
      return
    end
    if cfg.filetypes and not vim.tbl_contains(cfg.filetypes, vim.bo[bufnr].filetype) then
      return
    end
    local c = vim.deepcopy(server)
    c.root_dir = vim.fs.root(bufnr, cfg.root_markers)
    c.root_markers = nil
    c.filetypes = nil
    vim.lsp.start(c, { bufnr = bufnr })
  end
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    callback = function(args)
      start(args.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype ~= '' then
      start(bufnr)
    end
  end
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
  elseif cfg.fallback.enabled and vim.lsp.completion then
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = cfg.fallback.autotrigger })
  end
end

--- Configures and starts Iskra. Safe to call again with new options.
---@param opts table? see |iskra-config|
function M.setup(opts)
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

  if vim.lsp.config then
    vim.lsp.config('iskra', server_config(cfg))
    vim.lsp.enable('iskra')
  else
    start_without_lsp_config(cfg, group)
  end

  if cfg.inline.enabled and require('iskra.inline').available() then
    vim.lsp.inline_completion.enable(true)
  end
end

--- Statusline component: "Iskra: 15/20", "Iskra: sign in", "Iskra: quota spent", or "".
---@return string
function M.status()
  return status.statusline()
end

--- Calls `fn(status)` whenever the server reports a new status; returns an unsubscribe function.
---@param fn fun(s: iskra.Status)
---@return fun()
function M.on_status(fn)
  return status.on_change(fn)
end

return M
