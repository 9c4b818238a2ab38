--- Options for `require('iskra').setup()`: typed defaults, merging and validation.
---
--- Settings flow one way: these options → `vim.lsp.config('iskra', ...)` →
--- the server's `initializationOptions` and `workspace/configuration` (section `iskra`).
--- Validation here only checks shapes; the server validates values and names a bad key.

local M = {}

--- `vim.validate(name, value, validator, optional_or_msg)` (the 0.11 form).
---@param name string
---@param value any
---@param validator string|function
---@param optional_or_msg? boolean|string
function M.validate(name, value, validator, optional_or_msg)
  vim.validate(name, value, validator, optional_or_msg)
end

---@class iskra.Keymaps
---@field accept string|false Accept the whole suggestion; a literal key when nothing is shown.
---@field accept_line string|false Accept up to the end of the current line of the suggestion.
---@field accept_word string|false Accept the next word of the suggestion.
---@field next string|false Show the next suggestion.
---@field prev string|false Show the previous suggestion.
---@field dismiss string|false Hide the suggestion; the literal key when nothing is shown.

---@class iskra.InlineConfig
---@field enabled boolean Turn on Neovim's inline completion (0.12+) for Iskra buffers.
---@field keymaps iskra.Keymaps Insert-mode keys, buffer-local to buffers Iskra is attached to.

---@class iskra.FallbackConfig
---@field enabled boolean On Neovim 0.11 (no inline completion), use the completion menu.
---@field autotrigger boolean Open the menu on the server's trigger characters.

---@class iskra.Config
---@field cmd string[] How to start the server; the same program runs `login`, `logout`, `status`.
---  Default: the server `:Iskra install` put under stdpath('data')/iskra, else `iskra-ls` on PATH.
---@field cmd_is_default boolean? Set by resolve(): `cmd` was not given (so `:Iskra install` may set it).
---@field python string? The Python (>= 3.11) `:Iskra install` builds the virtualenv with.
---@field cmd_env table<string,string>? Extra environment for the server (e.g. ISKRA_API_URL).
---@field filetypes string[]? Filetypes to attach to; nil means every filetype.
---@field root_markers string[] Files or folders marking a workspace root.
---@field settings table Server settings (section `iskra`, camelCase keys as on the wire).
---@field inline iskra.InlineConfig
---@field fallback iskra.FallbackConfig
---@field commands boolean Create the global `:Iskra` command.
local defaults = {
  cmd = { 'iskra-ls' },
  cmd_env = nil,
  filetypes = nil,
  root_markers = { '.git', '.hg', '.jj', '.svn' },
  settings = {},
  inline = {
    enabled = true,
    keymaps = {
      accept = '<Tab>',
      accept_line = '<M-C-Right>',
      accept_word = '<M-Right>',
      next = '<M-]>',
      prev = '<M-[>',
      dismiss = '<C-]>',
    },
  },
  fallback = {
    enabled = true,
    autotrigger = true,
  },
  commands = true,
}

---@return iskra.Config
function M.defaults()
  return vim.deepcopy(defaults)
end

--- The options in effect (defaults until `setup()` runs).
---@type iskra.Config
M.current = M.defaults()

---@param name string
---@param value any
local function key_or_false(name, value)
  M.validate(name, value, function(v)
    return v == false or type(v) == 'string'
  end, 'a key (string) or false')
end

--- Merges `opts` over the defaults and checks the shapes; raises with the option's name.
---@param opts table?
---@return iskra.Config
function M.resolve(opts)
  M.validate('opts', opts, 'table', true)
  local cfg = vim.tbl_deep_extend('force', M.defaults(), opts or {}) --[[@as iskra.Config]]
  -- Lists replace, never merge index by index.
  if opts and opts.cmd then
    cfg.cmd = opts.cmd
  end
  cfg.cmd_is_default = not (opts and opts.cmd)
  if cfg.cmd_is_default then
    cfg.cmd = require('iskra.install').default_cmd()
  end
  if opts and opts.root_markers then
    cfg.root_markers = opts.root_markers
  end
  M.validate('cmd', cfg.cmd, function(v)
    return type(v) == 'table' and #v > 0 and type(v[1]) == 'string'
  end, 'a non-empty list of strings')
  M.validate('cmd_env', cfg.cmd_env, 'table', true)
  M.validate('python', cfg.python, 'string', true)
  M.validate('filetypes', cfg.filetypes, 'table', true)
  M.validate('root_markers', cfg.root_markers, 'table')
  M.validate('settings', cfg.settings, 'table')
  M.validate('inline', cfg.inline, 'table')
  M.validate('inline.enabled', cfg.inline.enabled, 'boolean')
  M.validate('inline.keymaps', cfg.inline.keymaps, 'table')
  for _, k in ipairs({ 'accept', 'accept_line', 'accept_word', 'next', 'prev', 'dismiss' }) do
    key_or_false('inline.keymaps.' .. k, cfg.inline.keymaps[k])
  end
  M.validate('fallback', cfg.fallback, 'table')
  M.validate('fallback.enabled', cfg.fallback.enabled, 'boolean')
  M.validate('fallback.autotrigger', cfg.fallback.autotrigger, 'boolean')
  M.validate('commands', cfg.commands, 'boolean')
  return cfg
end

--- The command line for a CLI subcommand, derived from `cmd` (drops `serve`/`--stdio`).
---@param cfg iskra.Config?
---@param ... string subcommand and its arguments
---@return string[]
function M.cli(cfg, ...)
  cfg = cfg or M.current
  local argv = {}
  for _, a in ipairs(cfg.cmd) do
    if a ~= 'serve' and a ~= '--stdio' then
      table.insert(argv, a)
    end
  end
  vim.list_extend(argv, { ... })
  return argv
end

return M
