--- `:Iskra install` from an empty data directory, with no `iskra-ls` on PATH: the plugin
--- says the server is missing, builds its private virtualenv under stdpath('data')/iskra
--- from its own checkout, starts the installed server for the open buffer, and a completion
--- then works; `:checkhealth iskra` names the installed server and its version.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

local install = require('iskra.install')
T.eq('no server on PATH', vim.fn.executable('iskra-ls'), 0)
T.eq('nothing installed yet', install.installed(), nil)
T.eq('the data directory is empty', vim.fn.glob(vim.fn.stdpath('data') .. '/*'), '')

require('iskra').setup({ settings = { completion = { debounceMs = 0 } } })

---@param pattern string
---@return boolean
local function said(pattern)
  for _, m in ipairs(T.report.messages) do
    if m.msg:find(pattern, 1, true) then
      return true
    end
  end
  return false
end

T.run(function()
  T.wait('the "server not found" hint', function()
    return said(':Iskra install')
  end)
  -- Before the install the health check names the real cause: the missing server.
  vim.cmd('checkhealth iskra')
  local before = T.wait('the health report before the install', function()
    if vim.bo.filetype ~= 'checkhealth' then
      return nil
    end
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
    return text:find('Client', 1, true) and text
  end, 20000)
  T.note('report_before', before)
  assert(before:find('was not found', 1, true), 'health does not say the server is missing')
  assert(before:find(':Iskra install', 1, true), 'health does not suggest :Iskra install')
  assert(not before:find('it starts when a file is opened', 1, true), 'misleading client hint')
  vim.cmd('bwipeout')

  local root = T.workspace({ ['calc.py'] = 'def add(a, b):\n    return \n' })
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(root, 'calc.py')))
  local bufnr = vim.api.nvim_get_current_buf()

  vim.cmd('Iskra install')
  T.wait('the install to finish', function()
    for _, m in ipairs(T.report.messages) do
      if m.msg:find('failed', 1, true) or m.msg:find('does not run', 1, true) then
        error(m.msg)
      end
    end
    return said('Iskra: installed iskra-ls')
  end, tonumber(vim.env.ISKRA_TEST_TIMEOUT_MS) - 20000)
  local server = install.installed()
  T.note('server', server and server[1])
  assert(server, 'no installed server')
  assert(vim.startswith(server[1], vim.fn.stdpath('data') .. '/iskra/'), 'installed outside stdpath(data)')

  -- The open buffer gets a client running the installed server.
  local client = T.wait('the installed server to attach', function()
    local c = vim.lsp.get_clients({ name = 'iskra', bufnr = bufnr })[1]
    return c and c.initialized and c
  end, 20000)
  T.eq('client command', client.config.cmd, server)

  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  T.feed('A')
  local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  T.wait('ghost text from the installed server', function()
    return vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })[1]
  end, 10000)
  T.feed('<Tab>')
  T.wait('the accepted completion', function()
    T.note('lines', vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    return vim.api.nvim_buf_get_lines(bufnr, 1, 2, false)[1] == '    return a + b'
  end)
  T.feed('<Esc>')

  vim.cmd('checkhealth iskra')
  local lines = T.wait('the health report', function()
    if vim.bo.filetype ~= 'checkhealth' then
      return nil
    end
    local l = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    return table.concat(l, '\n'):find('Client', 1, true) and l
  end, 20000)
  T.note('report', lines)
  local text = table.concat(lines, '\n')
  assert(text:find('installed by :Iskra install', 1, true), 'health does not say which server')
  assert(text:find('iskra%-ls %d+%.%d+'), 'health does not give the server version')
end)
