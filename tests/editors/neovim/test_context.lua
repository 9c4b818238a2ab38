--- `:Iskra context`: after a completion, a buffer lists what the request sent, part by part
--- (kind, source, size, text), the definition from a closed workspace file among them.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({ settings = { completion = { debounceMs = 0 } } })

T.run(function()
  local root = T.workspace({
    ['shapes.py'] = 'def scale_area(area, factor=2.0):\n    """Grow an area by a factor."""\n'
      .. '    return area * factor\n',
    ['main.py'] = 'from shapes import scale_area\n\nbig = \n',
  })
  local bufnr, client = T.open(vim.fs.joinpath(root, 'main.py'))
  T.wait('the workspace index', function()
    local res = client:request_sync('workspace/executeCommand', { command = 'iskra.status' }, 5000, bufnr)
    return res and res.result and res.result.symbols and res.result.symbols.ready
  end, 30000)
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  T.feed('A')
  local ns = vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  T.wait('ghost text', function()
    return vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, {})[1]
  end)
  T.feed('<Esc>')
  vim.cmd('Iskra context')
  local lines = T.wait('the context buffer', function()
    local shown = vim.fn.bufnr('iskra://last-context')
    return shown > 0 and vim.api.nvim_buf_get_lines(shown, 0, -1, false)
  end)
  T.note('lines', lines)
end)
