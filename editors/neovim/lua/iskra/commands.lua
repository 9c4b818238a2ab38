--- `:Iskra login|logout|status|ask {instruction}|toggle|install`.
---
--- Sign-in is the CLI's job (it asks for an e-mail and a code, and the running server watches
--- the token file), so `login` opens it in a terminal split instead of re-implementing it here.
--- `install` builds the plugin's own server (iskra.install). Everything else is a
--- `workspace/executeCommand` to the attached server.

local config = require('iskra.config')
local status = require('iskra.status')

local M = {}

---@param msg string
---@param level? integer
local function notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = 'Iskra' })
end

--- The Iskra client for a buffer (or any running one).
---@param bufnr integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ name = 'iskra', bufnr = bufnr })[1]
    or vim.lsp.get_clients({ name = 'iskra' })[1]
end

--- Runs a server command; `on_result(result)` on success, a notification on failure.
---@param bufnr integer
---@param command string
---@param args table?
---@param on_result? fun(result: any)
---@return boolean sent
function M.execute(bufnr, command, args, on_result)
  local client = M.client(bufnr)
  if not client then
    notify('Iskra is not running here: open a file so the server starts.', vim.log.levels.WARN)
    return false
  end
  local params = { command = command, arguments = args }
  client:request('workspace/executeCommand', params, function(err, result)
    if err then
      local why = err.message or tostring(err)
      notify(('Iskra: %s failed: %s'):format(command, why), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  return true
end

--- LSP range for `:Iskra ask`: the visual selection when the command came with a range,
--- else the cursor line. Columns go through the client's position encoding.
---@param bufnr integer
---@param encoding string
---@param opts table user-command opts (range, line1, line2)
---@return lsp.Range
function M.ask_range(bufnr, encoding, opts)
  local function units(row, byte_col)
    if byte_col <= 0 then
      return 0
    end
    return vim.lsp.util.character_offset(bufnr, row, byte_col, encoding)
  end
  local function line_len(row)
    return #(vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or '')
  end
  if opts.range and opts.range > 0 then
    local s = vim.api.nvim_buf_get_mark(bufnr, '<')
    local e = vim.api.nvim_buf_get_mark(bufnr, '>')
    if vim.fn.visualmode() == 'v' and s[1] == opts.line1 and e[1] == opts.line2 then
      local srow, erow = s[1] - 1, e[1] - 1
      local line = vim.api.nvim_buf_get_lines(bufnr, erow, erow + 1, false)[1] or ''
      -- '> marks the first byte of the last selected character: include the whole character.
      local ecol = math.min(#line, e[2] + #vim.fn.strcharpart(line:sub(e[2] + 1), 0, 1))
      return {
        start = { line = srow, character = units(srow, s[2]) },
        ['end'] = { line = erow, character = units(erow, ecol) },
      }
    end
    local srow, erow = opts.line1 - 1, opts.line2 - 1
    return {
      start = { line = srow, character = 0 },
      ['end'] = { line = erow, character = units(erow, line_len(erow)) },
    }
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  return {
    start = { line = row, character = 0 },
    ['end'] = { line = row, character = units(row, line_len(row)) },
  }
end

--- Opens `iskra-ls login [args]` in a terminal split.
---@param args string[]
function M.login(args)
  local argv = config.cli(nil, 'login', unpack(args))
  vim.cmd('botright 12new')
  local opts = {
    env = config.current.cmd_env,
    on_exit = function(_, code)
      if code == 0 then
        notify('Iskra: signed in. Open editors pick the token up without a restart.')
      else
        notify('Iskra: sign-in did not finish (exit ' .. code .. ').', vim.log.levels.WARN)
      end
    end,
  }
  opts.term = true
  vim.fn.jobstart(argv, opts)
  vim.cmd('startinsert')
end

---@param bufnr integer
function M.logout(bufnr)
  local client = M.client(bufnr)
  if client then
    M.execute(bufnr, 'iskra.logout', {})
  end
  vim.system(config.cli(nil, 'logout'), { text = true, env = config.current.cmd_env }, function(res)
    vim.schedule(function()
      if res.code == 0 then
        notify('Iskra: signed out.')
      else
        local line = vim.trim(res.stderr or ''):match('[^\n]*$') or ''
        notify('Iskra: logout failed: ' .. line, vim.log.levels.ERROR)
      end
    end)
  end)
end

---@param bufnr integer
function M.show_status(bufnr)
  local sent = M.client(bufnr)
    and M.execute(bufnr, 'iskra.status', {}, function(result)
      if type(result) == 'table' and result.state then
        status.update(result)
      end
      notify(status.describe())
    end)
  if not sent then
    notify(status.describe())
  end
end

---@param bufnr integer
---@param opts table user-command opts
---@param instruction string
function M.ask(bufnr, opts, instruction)
  if instruction == '' then
    notify(
      'Usage: :Iskra ask {instruction}  (on a visual selection, or the cursor line)',
      vim.log.levels.WARN
    )
    return
  end
  local client = M.client(bufnr)
  if not client then
    notify('Iskra is not running here: open a file so the server starts.', vim.log.levels.WARN)
    return
  end
  local args = {
    uri = vim.uri_from_bufnr(bufnr),
    range = M.ask_range(bufnr, client.offset_encoding or 'utf-16', opts),
    instruction = instruction,
  }
  notify('Iskra: working on it…')
  -- The server shows the outcome itself (window/showMessage, which Neovim passes to
  -- vim.notify): a second message from here would say the same thing twice.
  M.execute(bufnr, 'iskra.ask', { args })
end

---@param bufnr integer
function M.toggle(bufnr)
  M.execute(bufnr, 'iskra.completion.toggle', {}, function(result)
    local on = type(result) == 'table' and result.enabled
    notify(on and 'Iskra: completions on' or 'Iskra: completions off')
  end)
end

local subcommands = { 'login', 'logout', 'status', 'ask', 'toggle', 'install' }

--- The `:Iskra` command body.
---@param opts table user-command opts
function M.run(opts)
  local bufnr = vim.api.nvim_get_current_buf()
  local sub = opts.fargs[1]
  local rest = { unpack(opts.fargs, 2) }
  if sub == 'login' then
    M.login(rest)
  elseif sub == 'logout' then
    M.logout(bufnr)
  elseif sub == 'status' or sub == nil then
    M.show_status(bufnr)
  elseif sub == 'ask' then
    local instruction = vim.trim((opts.args:gsub('^%s*ask', '', 1)))
    M.ask(bufnr, opts, instruction)
  elseif sub == 'toggle' then
    M.toggle(bufnr)
  elseif sub == 'install' then
    -- Without a UI (`nvim --headless "+Iskra install" +qa`) nothing would wait for the
    -- install: Neovim would quit half-way through it.
    require('iskra.install').install({ wait = #vim.api.nvim_list_uis() == 0 })
  else
    notify(
      'Iskra: unknown subcommand ' .. sub .. ' (login, logout, status, ask, toggle, install)',
      vim.log.levels.ERROR
    )
  end
end

---@param arg_lead string
---@param cmdline string
---@return string[]
local function complete(arg_lead, cmdline)
  if cmdline:match('^%S*%s+%S*$') then
    return vim.tbl_filter(function(s)
      return vim.startswith(s, arg_lead)
    end, subcommands)
  end
  return {}
end

local command_opts = {
  nargs = '*',
  range = true,
  complete = complete,
  desc = 'Iskra: login | logout | status | ask {instruction} | toggle | install',
}

--- Creates the global `:Iskra` command.
function M.create()
  vim.api.nvim_create_user_command('Iskra', M.run, command_opts)
end

--- Creates a buffer-local `:Iskra` (for users of plain `vim.lsp.enable('iskra')`).
---@param bufnr integer
function M.create_for_buffer(bufnr)
  vim.api.nvim_buf_create_user_command(bufnr, 'Iskra', M.run, command_opts)
end

return M
