--- Neovim 0.11 (the oldest the plugin supports): no ghost text, so the suggestion comes as a
--- completion-menu item (vim.lsp.completion with autotrigger). Typing a space opens the menu
--- with Iskra's item; <C-y> inserts it.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({ settings = { completion = { debounceMs = 0 } } })

T.run(function()
  T.eq('no ghost text on this Neovim', require('iskra.inline').available(), false)
  local root = T.workspace({ ['calc.py'] = 'def add(a, b):\n    return\n' })
  local bufnr = T.open(vim.fs.joinpath(root, 'calc.py'))
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  T.feed('A ')
  local words = T.wait('the completion menu with Iskra\'s item', function()
    -- complete_info, not pumvisible(): without a UI attached the menu is never drawn.
    local items = vim.fn.complete_info({ 'items' }).items or {}
    -- The menu shows the label (abbr); Neovim types only the first word and applies the
    -- item's text edit once it is accepted.
    local found = vim.tbl_map(function(i)
      return i.abbr
    end, items)
    T.note('menu', found)
    return #found > 0 and found
  end, 8000)
  assert(vim.tbl_contains(words, 'a + b'), 'no Iskra item: ' .. vim.inspect(words))
  T.feed('<C-y>')
  T.wait('the accepted item', function()
    T.note('lines', vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    return vim.api.nvim_buf_get_lines(bufnr, 1, 2, false)[1] == '    return a + b'
  end)
  T.feed('<Esc>')
  T.wait('the statusline to count the request', function()
    T.note('status', require('iskra').status())
    return require('iskra').status() == 'Iskra: 19/20'
  end)
end)
