--- `:checkhealth iskra` against the stub. ISKRA_TEST_PARAM "signed-in": no ERROR and the quota
--- is shown; "signed-out": an ERROR that names the next step, and the statusline says so.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

local param = vim.env.ISKRA_TEST_PARAM or 'signed-in'
require('iskra').setup({})

T.run(function()
  local root = T.workspace({ ['a.py'] = 'x = 1\n' })
  T.open(vim.fs.joinpath(root, 'a.py'))
  if param == 'signed-out' then
    T.wait('the statusline to ask for sign-in', function()
      T.note('status', require('iskra').status())
      return require('iskra').status() == 'Iskra: sign in'
    end)
  end

  vim.cmd('checkhealth iskra')
  local lines = T.wait('the health report', function()
    if vim.bo.filetype ~= 'checkhealth' then
      return nil
    end
    local l = vim.api.nvim_buf_get_lines(0, 0, -1, false)
    local text = table.concat(l, '\n')
    return text:find('Client', 1, true) and l
  end)
  T.note('report', lines)
  local errors = vim.tbl_filter(function(l)
    return l:find('ERROR', 1, true) ~= nil
  end, lines)
  local text = table.concat(lines, '\n')
  assert(text:find('iskra-ls', 1, true), 'the report does not mention the server')
  if param == 'signed-in' then
    assert(#errors == 0, 'health errors: ' .. table.concat(errors, ' | '))
    assert(text:find('Quota: 20 of 20 requests left today', 1, true), 'no quota line')
    assert(text:find('Service reachable', 1, true), 'no reachability line')
  else
    assert(#errors == 1, 'expected one ERROR, got: ' .. vim.inspect(errors))
    assert(text:find(':Iskra login', 1, true), 'no next step for signing in')
  end
end)
