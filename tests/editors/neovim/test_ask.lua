--- `:Iskra ask {instruction}` on the cursor line sends iskra.ask, the edit lands and the
--- model's final words are shown, once.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({})

T.run(function()
  local root = T.workspace({ ['main.py'] = 'import os\n\nx = 1\nprint(x)\n' })
  local bufnr = T.open(vim.fs.joinpath(root, 'main.py'))
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  vim.cmd('Iskra ask set x to 10')
  T.wait('the edit of main.py', function()
    return vim.api.nvim_buf_get_lines(bufnr, 2, 3, false)[1] == 'x = 10'
  end)
  T.wait("the model's answer as a message", function()
    for _, m in ipairs(T.report.messages) do
      if m.msg:find('Set x to 10.', 1, true) then
        return true
      end
    end
  end)

  -- :Iskra status asks the server and shows the quota.
  vim.cmd('Iskra status')
  T.wait('the status message', function()
    for _, m in ipairs(T.report.messages) do
      if m.msg:find('^Iskra: ready') and m.msg:find('of 20 requests used today', 1, true) then
        return true
      end
    end
  end)

  -- The outcome of the ask is shown once (the server's message), not twice: the status answer
  -- came after the ask's answer on the same stream, so both have been handled by now.
  local shown = vim.tbl_filter(function(m)
    return m.msg:find('Set x to 10.', 1, true) ~= nil
  end, T.report.messages)
  T.eq('messages with the outcome', #shown, 1)

  -- :Iskra toggle flips completions and says so.
  vim.cmd('Iskra toggle')
  T.wait('the toggle message', function()
    for _, m in ipairs(T.report.messages) do
      if m.msg:find('completions off', 1, true) then
        return true
      end
    end
  end)
end)
