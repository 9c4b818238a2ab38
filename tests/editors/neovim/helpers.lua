--- Test harness for the Iskra plugin in real headless Neovim (driven by tests/e2e/test_neovim.py).
---
--- Keys fed with nvim_feedkeys are only processed by the main loop, so a test runs as a
--- coroutine started on VimEnter that sleeps with vim.defer_fn. The result is a JSON file
--- whose `result` must be the explicit "PASS": a crash, an early exit or a hang (killed by the
--- driver, and by the watchdog below) leaves "FAIL" or no file at all.
---
--- Environment (set by the driver): ISKRA_TEST_RESULT (JSON path), ISKRA_PLUGIN_DIR
--- (editors/neovim), ISKRA_TEST_TMP (a folder for the workspace), ISKRA_TEST_TIMEOUT_MS.

vim.g.loaded_python3_provider = 0
vim.g.loaded_node_provider = 0
vim.g.loaded_perl_provider = 0
vim.g.loaded_ruby_provider = 0
vim.opt.swapfile = false
vim.opt.shortmess:append('I')
vim.opt.runtimepath:prepend(assert(vim.env.ISKRA_PLUGIN_DIR, 'ISKRA_PLUGIN_DIR not set'))

-- ISKRA_TEST_LSP_DEBUG=1 logs every LSP message (see `lsp_log` in the report).
if vim.env.ISKRA_TEST_LSP_DEBUG then
  vim.lsp.log.set_level('debug')
end

local T = {}

---@type table<string, any>
T.report = { result = 'FAIL', checks = {}, messages = {} }

local result_path = assert(vim.env.ISKRA_TEST_RESULT, 'ISKRA_TEST_RESULT not set')
local started = vim.uv.hrtime()
local finished = false

local function write_report()
  T.report.elapsed_ms = math.floor((vim.uv.hrtime() - started) / 1e6)
  local ok, log = pcall(vim.lsp.log.get_filename)
  T.report.lsp_log = ok and log or nil
  local f = assert(io.open(result_path, 'w'))
  f:write(vim.json.encode(T.report))
  f:close()
end

--- Ends the test: writes the report, then quits (exit code 0 only on PASS).
---@param ok boolean
---@param err string?
function T.finish(ok, err)
  if finished then
    return
  end
  finished = true
  T.report.result = ok and 'PASS' or 'FAIL'
  T.report.error = err
  write_report()
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

-- Keep what the plugin tells the user: failures are easier to read with it.
local notify = vim.notify
---@diagnostic disable-next-line: duplicate-set-field
vim.notify = function(msg, level, opts)
  table.insert(T.report.messages, { msg = tostring(msg), level = level })
  return notify(msg, level, opts)
end

-- A selection menu blocks forever without a UI: fail instead.
---@diagnostic disable-next-line: duplicate-set-field
vim.ui.select = function(items)
  local why = 'vim.ui.select opened with %d items (expected exactly one action)'
  T.finish(false, why:format(#items))
end

--- Records a named observation in the report (shown by the driver on failure).
---@param name string
---@param value any
function T.note(name, value)
  T.report.checks[name] = value
end

--- Sleeps inside the test coroutine.
---@param ms integer
function T.sleep(ms)
  local co = assert(coroutine.running(), 'T.sleep outside the test coroutine')
  vim.defer_fn(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      T.finish(false, 'coroutine: ' .. tostring(err))
    end
  end, ms)
  coroutine.yield()
end

--- Polls `cond` every 10 ms until it returns a truthy value (returned); fails after `timeout_ms`
--- (the limit only bounds a failure: a loaded machine may take seconds to start a server).
---@param what string
---@param cond fun(): any
---@param timeout_ms integer?
---@return any
function T.wait(what, cond, timeout_ms)
  local deadline = vim.uv.now() + (timeout_ms or 10000)
  while true do
    local value = cond()
    if value then
      return value
    end
    if vim.uv.now() > deadline then
      error('timed out waiting for ' .. what, 2)
    end
    T.sleep(10)
  end
end

---@param name string
---@param actual any
---@param expected any
function T.eq(name, actual, expected)
  T.note(name, actual)
  if not vim.deep_equal(actual, expected) then
    error(('%s: expected %s, got %s'):format(name, vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

--- A fresh workspace folder (a git root, so the server gets a workspace) with `files`.
---@param files table<string, string>
---@return string
function T.workspace(files)
  local parent = assert(vim.env.ISKRA_TEST_TMP, 'ISKRA_TEST_TMP not set')
  local root = assert(vim.uv.fs_mkdtemp(vim.fs.joinpath(parent, 'ws-XXXXXX')))
  root = assert(vim.uv.fs_realpath(root))
  vim.fn.mkdir(vim.fs.joinpath(root, '.git'), 'p')
  for name, text in pairs(files) do
    local path = vim.fs.joinpath(root, name)
    vim.fn.mkdir(vim.fs.dirname(path), 'p')
    local f = assert(io.open(path, 'w'))
    f:write(text)
    f:close()
  end
  T.note('workspace', root)
  return root
end

--- Opens `path` and waits until the Iskra client is attached to it.
---@param path string
---@return integer bufnr, vim.lsp.Client client
function T.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = T.wait('the iskra client to attach', function()
    local c = vim.lsp.get_clients({ name = 'iskra', bufnr = bufnr })[1]
    return c and c.initialized and c
  end, 15000)
  return bufnr, client
end

---@param path string
---@return string?
function T.read(path)
  local f = io.open(path, 'r')
  if not f then
    return nil
  end
  local text = f:read('*a')
  f:close()
  return text
end

--- Types keys as if by the user (mappings apply).
---@param keys string
function T.feed(keys)
  vim.api.nvim_feedkeys(vim.keycode(keys), 'mt', false)
end

--- Runs `body` as the test once Neovim has entered its main loop.
---@param body fun()
function T.run(body)
  local timeout = tonumber(vim.env.ISKRA_TEST_TIMEOUT_MS) or 8000
  vim.defer_fn(function()
    T.finish(false, ('watchdog: the test did not finish within %d ms'):format(timeout))
  end, timeout)
  vim.api.nvim_create_autocmd('VimEnter', {
    once = true,
    -- Start outside the autocmd: inside it, `:edit` would not fire BufRead/FileType (no
    -- nesting), so no filetype and no LSP client.
    callback = vim.schedule_wrap(function()
      local co = coroutine.create(function()
        local ok, err = xpcall(body, debug.traceback)
        T.finish(ok, not ok and tostring(err) or nil)
      end)
      local ok, err = coroutine.resume(co)
      if not ok then
        T.finish(false, 'coroutine: ' .. tostring(err))
      end
    end),
  })
end

return T
