--- Pure parts of the plugin, no server: option checks, the statusline text, partial accepts.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

T.run(function()
  local config = require('iskra.config')
  local cfg = config.resolve({ cmd = { 'python', '-m', 'iskra_ls', '--stdio' } })
  T.eq('cmd replaces the default', cfg.cmd, { 'python', '-m', 'iskra_ls', '--stdio' })
  T.eq(
    'cli drops --stdio',
    config.cli(cfg, 'status', '--json'),
    { 'python', '-m', 'iskra_ls', 'status', '--json' }
  )
  T.eq('keymap defaults kept', cfg.inline.keymaps.accept, '<Tab>')
  local ok, err = pcall(config.resolve, { inline = { keymaps = { accept = 1 } } })
  T.eq('bad keymap rejected', ok, false)
  assert(tostring(err):find('inline.keymaps.accept', 1, true), 'unnamed: ' .. tostring(err))
  ok = pcall(config.resolve, { cmd = {} })
  T.eq('empty cmd rejected', ok, false)

  local status = require('iskra.status')
  T.eq('no status yet', status.statusline(), '')
  status.update({
    state = 'ready',
    tier = 'free',
    requestsToday = 5,
    limit = 20,
    remaining = 15,
    model = vim.NIL,
  })
  T.eq('ready', status.statusline(), 'Iskra: 15/20')
  T.eq('via init', require('iskra').status(), 'Iskra: 15/20')
  status.update({ state = 'signedOut', limit = vim.NIL, remaining = vim.NIL })
  T.eq('signed out', status.statusline(), 'Iskra: sign in')
  status.update({ state = 'quotaExhausted', limit = 20, remaining = 0, message = 'resets 00:00' })
  T.eq('quota', status.statusline(), 'Iskra: quota spent')
  assert(status.describe():find('resets 00:00', 1, true))
  status.update({ state = 'starting' })
  T.eq('no numbers', status.statusline(), 'Iskra: starting')
  -- The day across every editor on this machine (the server's quota ledger), for `:Iskra status`.
  status.update({
    state = 'ready',
    limit = 20,
    remaining = 14,
    requestsToday = 6,
    byKind = { automatic = 3, invoked = 1, action = 2 },
    automaticLeft = 4,
    resetsAt = '2027-01-16T00:00:00Z',
    planKnown = false,
  })
  T.eq(
    'the machine day',
    status.usage(),
    'today on this machine: 3 automatic, 1 invoked, 2 action; 4 automatic left; '
      .. "resets 00:00 UTC; free plan's 20 assumed until Iskra answers"
  )
  assert(status.describe():find('3 automatic, 1 invoked, 2 action', 1, true), status.describe())
  status.update({ state = 'signedOut', byKind = vim.NIL })
  T.eq('no day when signed out', status.usage(), nil)
  local seen
  local off = require('iskra').on_status(function(s)
    seen = s.state
  end)
  status.update({ state = 'working', remaining = 3, limit = 20 })
  T.eq('callback', seen, 'working')
  off()
  status.update({ state = 'ready' })
  T.eq('unsubscribed', seen, 'working')

  local inline = require('iskra.inline')
  T.eq('word', inline.next_piece('a + b', 'word'), 'a')
  T.eq('word after space', inline.next_piece(' + b', 'word'), ' +')
  T.eq('word with newline', inline.next_piece('\n    foo()', 'word'), '\n    foo')
  T.eq('line', inline.next_piece('a + b\nc', 'line'), 'a + b')
  T.eq('next line', inline.next_piece('\nc = 1\nd', 'line'), '\nc = 1')

  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '    return a' })
  -- The shape of vim.range(0, 0, 0, 12) (0.12), built by hand so this runs on 0.11 too.
  local range = { start = { row = 0, col = 0 }, ['end'] = { row = 0, col = 12 } }
  local item = { insert_text = '    return a + b', range = range, client_id = 0 }
  T.eq('remaining after typed text', inline.remaining_text(item, buf, 0, 12), ' + b')
  T.eq('no range', inline.remaining_text({ insert_text = 'xyz' }, buf, 0, 12), 'xyz')
  local other = { insert_text = 'zzz', range = range }
  T.eq('mismatch', inline.remaining_text(other, buf, 0, 12), nil)

  -- :Iskra ask ranges: a characterwise selection, in the client's position encoding.
  local commands = require('iskra.commands')
  local ask = vim.api.nvim_create_buf(true, false)
  vim.api.nvim_set_current_buf(ask)
  vim.api.nvim_buf_set_lines(ask, 0, -1, false, { 'héllo wörld', 'second' })
  T.feed('gg0lv4l<Esc>') -- selects "éllo "
  T.wait('the visual marks', function()
    return vim.api.nvim_get_mode().mode == 'n' and vim.api.nvim_buf_get_mark(ask, '>')[2] > 0
  end, 1000)
  local sel = { range = 2, line1 = 1, line2 = 1 }
  T.eq('selection utf-16', commands.ask_range(ask, 'utf-16', sel), {
    start = { line = 0, character = 1 },
    ['end'] = { line = 0, character = 6 },
  })
  T.eq('selection utf-8', commands.ask_range(ask, 'utf-8', sel), {
    start = { line = 0, character = 1 },
    ['end'] = { line = 0, character = 7 },
  })
  vim.api.nvim_win_set_cursor(0, { 1, 3 })
  T.eq('cursor line utf-16', commands.ask_range(ask, 'utf-16', { range = 0 }), {
    start = { line = 0, character = 0 },
    ['end'] = { line = 0, character = 11 },
  })
  T.eq('two whole lines', commands.ask_range(ask, 'utf-8', { range = 2, line1 = 1, line2 = 2 }), {
    start = { line = 0, character = 0 },
    ['end'] = { line = 1, character = 6 },
  })
end)
