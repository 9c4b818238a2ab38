--- An Iskra code action, applied through Neovim's own `vim.lsp.buf.code_action`, lands as one
--- workspace edit: a new file (CreateFile + its text) and an edit of the open buffer.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({})

T.run(function()
  local root = T.workspace({ ['main.py'] = 'import os\n\nx = 1\nprint(x)\n' })
  local main = vim.fs.joinpath(root, 'main.py')
  local bufnr, client = T.open(main)
  vim.api.nvim_win_set_cursor(0, { 3, 0 })

  -- Listing actions never calls the model; pick one Iskra action so no menu opens.
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = {}, triggerKind = 1 }
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, 3000) or {}
  local actions = (responses[client.id] or {}).result or {}
  local titles = {}
  for _, a in ipairs(actions) do
    table.insert(titles, a.title)
  end
  T.note('titles', titles)
  local chosen
  for _, a in ipairs(actions) do
    if a.title:match('^Iskra: ') then
      chosen = a
      break
    end
  end
  assert(chosen, 'no Iskra action offered: ' .. vim.inspect(titles))
  T.note('chosen', chosen.title)

  local picked = 0
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(a)
      local ok = a.title == chosen.title and a.kind == chosen.kind and picked == 0
      if ok then
        picked = picked + 1
      end
      return ok
    end,
  })

  local helpers = vim.fs.joinpath(root, 'helpers.py')
  T.wait('the edit of main.py', function()
    T.note('main_lines', vim.api.nvim_buf_get_lines(bufnr, 0, -1, false))
    return vim.api.nvim_buf_get_lines(bufnr, 2, 3, false)[1] == 'x = 2'
  end)
  local hbuf = T.wait('a buffer for the new helpers.py', function()
    local b = vim.fn.bufnr(helpers)
    return b ~= -1 and vim.api.nvim_buf_is_loaded(b) and b
  end)
  T.wait('the text of helpers.py', function()
    T.note('helpers_lines', vim.api.nvim_buf_get_lines(hbuf, 0, -1, false))
    local text = table.concat(vim.api.nvim_buf_get_lines(hbuf, 0, -1, false), '\n')
    return text:find('return 42', 1, true)
  end)
  vim.cmd('silent wall')
  T.eq('main.py on disk', T.read(main), 'import os\n\nx = 2\nprint(x)\n')
  T.eq('helpers.py on disk', T.read(helpers), 'def helper():\n    return 42\n')
end)
