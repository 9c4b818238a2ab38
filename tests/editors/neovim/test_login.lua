--- `:Iskra login --token JWT` runs the CLI in a terminal split and the token is stored;
--- `:Iskra logout` forgets it. Checked through `iskra-ls status`, as a user would.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

require('iskra').setup({})

---@param text string
local function message(text)
  return function()
    for _, m in ipairs(T.report.messages) do
      if m.msg:find(text, 1, true) then
        return true
      end
    end
  end
end

-- The limits only catch a hang: the CLI may take seconds to start on a busy machine.
local function status_code()
  return vim.system({ 'iskra-ls', 'status', '--json' }, { text = true }):wait(30000).code
end

T.run(function()
  assert(not vim.env.ISKRA_TOKEN, 'this test needs no ISKRA_TOKEN')
  T.eq('signed out at first', status_code() ~= 0, true)
  vim.cmd('Iskra login --token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2dpbkBleGFtcGxlLmNvbSJ9.aGVhZGVyLXBheWxvYWQtc2lnbmF0dXJl')
  T.eq('a terminal split', vim.bo.buftype, 'terminal')
  T.wait('the sign-in message', message('signed in'), 30000)
  T.eq('status works after login', status_code(), 0)
  vim.cmd('Iskra logout')
  T.wait('the sign-out message', message('signed out'), 30000)
  T.eq('signed out again', status_code() ~= 0, true)
end)
