--- With no suggestion shown, the accept key types a literal Tab.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({ settings = { completion = { mode = 'off' } } })

T.run(function()
  local root = T.workspace({ ['notes.txt'] = 'x\n' })
  vim.cmd.edit(vim.fs.joinpath(root, 'notes.txt'))
  vim.bo.filetype = 'text'
  local bufnr = vim.api.nvim_get_current_buf()
  T.wait('the iskra client to attach', function()
    local c = vim.lsp.get_clients({ name = 'iskra', bufnr = bufnr })[1]
    return c and c.initialized
  end)
  vim.bo.expandtab = false
  T.feed('A<Tab>y<Esc>')
  T.wait('a literal tab', function()
    T.note('lines', vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    return vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1] == 'x\ty'
  end, 2000)
end)
