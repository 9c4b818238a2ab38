--- Ghost text: typing shows the server's suggestion as an extmark in Neovim's
--- `nvim.lsp.inline_completion` namespace, the statusline shows the quota it cost, and the
--- accept key (Tab, or the word/line keys per ISKRA_TEST_PARAM) inserts it, or <C-]> hides it.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

local param = vim.env.ISKRA_TEST_PARAM or 'all'
require('iskra').setup({ settings = { completion = { debounceMs = 0 } } })

T.run(function()
  local root = T.workspace({ ['calc.py'] = 'def add(a, b):\n    return \n' })
  local bufnr = T.open(vim.fs.joinpath(root, 'calc.py'))
  T.eq('inline completion enabled', vim.lsp.inline_completion.is_enabled({ bufnr = bufnr }), true)

  -- The server reports the account's quota once it has asked /auth/me.
  T.wait('the statusline to show 20/20', function()
    return require('iskra').status() == 'Iskra: 20/20'
  end)

  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  T.feed('A')
  local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  local mark = T.wait('ghost text', function()
    return vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { details = true })[1]
  end)
  local details = mark[4]
  local shown = {}
  for _, chunk in ipairs(details.virt_text or {}) do
    table.insert(shown, chunk[1])
  end
  for _, line in ipairs(details.virt_lines or {}) do
    local parts = {}
    for _, chunk in ipairs(line) do
      table.insert(parts, chunk[1])
    end
    table.insert(shown, '\n' .. table.concat(parts))
  end
  local ghost = table.concat(shown)
  T.note('ghost', ghost)
  T.note('ghost_row', mark[2])
  assert(ghost:find('a + b', 1, true), 'ghost text lacks the suggestion: ' .. vim.inspect(ghost))

  -- The completion cost one request of the free tier's 20.
  T.wait('the statusline to show 19/20', function()
    T.note('status', require('iskra').status())
    return require('iskra').status() == 'Iskra: 19/20'
  end)

  local keys = { all = '<Tab>', word = '<M-Right>', line = '<M-C-Right>', dismiss = '<C-]>' }
  local expected = {
    all = { 'def add(a, b):', '    return a + b' },
    word = { 'def add(a, b):', '    return a' },
    line = { 'def add(a, b):', '    return a + b' },
    dismiss = { 'def add(a, b):', '    return ' },
  }
  T.feed(assert(keys[param], 'unknown ISKRA_TEST_PARAM ' .. param))
  T.wait('the accepted text in the buffer', function()
    T.note('lines', vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    return vim.deep_equal(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), expected[param])
  end, 2000)
  if param == 'dismiss' then
    T.wait('the ghost text to go', function()
      return #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, {}) == 0
    end, 1000)
  end
  T.eq('still in Insert mode', vim.api.nvim_get_mode().mode, 'i')
  local cursor = vim.api.nvim_win_get_cursor(0)
  T.eq('cursor after the inserted text', cursor, { 2, #expected[param][2] })
end)
