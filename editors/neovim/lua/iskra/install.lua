--- `:Iskra install`: the plugin installs its own server.
---
--- The plugin lives in the iskra-ls repository (editors/neovim), so the server's source is
--- right there: create a private virtualenv under `stdpath('data')/iskra/venv` and
--- `pip install` the checkout into it. The plugin then runs that `iskra-ls` unless `cmd` is
--- set. Running it again upgrades the server to the checkout (after a `git pull`). The same
--- function is a lazy.nvim `build` step (`wait = true` blocks until it is done).
---
--- Needs Python >= 3.11 (`python` option, else python3.13 … python3, python on PATH) and, for
--- the server's dependencies, PyPI (or a pip index/cache the user has configured).

local M = {}

local is_windows = vim.fn.has('win32') == 1
local PIP_TIMEOUT_MS = 15 * 60 * 1000

---@param msg string
---@param level? integer
local function notify(msg, level)
  vim.schedule(function()
    vim.notify(msg, level or vim.log.levels.INFO, { title = 'Iskra' })
  end)
end

--- The repository checkout this plugin belongs to (three levels above `lua/iskra/`).
---@return string
function M.source_dir()
  local here = debug.getinfo(1, 'S').source:sub(2)
  return vim.fs.normalize(vim.fn.fnamemodify(here, ':p:h:h:h:h:h'))
end

--- Where the private virtualenv lives.
---@return string
function M.venv_dir()
  return vim.fs.joinpath(vim.fn.stdpath('data') --[[@as string]], 'iskra', 'venv')
end

--- The `iskra-ls` of the private virtualenv (it may not exist yet).
---@return string
function M.server_path()
  if is_windows then
    return vim.fs.joinpath(M.venv_dir(), 'Scripts', 'iskra-ls.exe')
  end
  return vim.fs.joinpath(M.venv_dir(), 'bin', 'iskra-ls')
end

---@return string
local function venv_python()
  if is_windows then
    return vim.fs.joinpath(M.venv_dir(), 'Scripts', 'python.exe')
  end
  return vim.fs.joinpath(M.venv_dir(), 'bin', 'python')
end

--- The installed server, if `:Iskra install` has run.
---@return string?
function M.installed()
  local path = M.server_path()
  return vim.fn.executable(path) == 1 and path or nil
end

--- The default server command: the installed one, else `iskra-ls` on PATH.
---@return string[]
function M.default_cmd()
  return { M.installed() or 'iskra-ls' }
end

--- A Python >= 3.11 to build the virtualenv with.
---@param wanted string?
---@return string? python, string? why
function M.find_python(wanted)
  local candidates = wanted and { wanted }
    or { 'python3.13', 'python3.12', 'python3.11', 'python3', 'python' }
  local seen = {}
  for _, name in ipairs(candidates) do
    local exe = vim.fn.exepath(name)
    if exe ~= '' and not seen[exe] then
      seen[exe] = true
      local res = vim
        .system({ exe, '-c', 'import sys; print(sys.version_info >= (3, 11))' }, { text = true })
        :wait(20000)
      if res.code == 0 and vim.trim(res.stdout or '') == 'True' then
        return exe
      end
    end
  end
  if wanted then
    return nil, ('%s is not a Python 3.11 or later'):format(wanted)
  end
  return nil, 'no Python 3.11 or later on PATH (python3.11 … python3, python)'
end

--- The steps, each an argv; run one after the other.
---@param python string
---@return string[][]
local function steps(python)
  local venv, source = M.venv_dir(), M.source_dir()
  local list = {}
  if vim.fn.executable(venv_python()) ~= 1 then
    table.insert(list, { python, '-m', 'venv', venv })
  end
  table.insert(list, {
    venv_python(),
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--quiet',
    '--upgrade',
    source,
  })
  return list
end

--- The last non-empty line of a failed step's output.
---@param res vim.SystemCompleted
---@return string
local function last_line(res)
  local text = vim.trim((res.stderr or '') .. '\n' .. (res.stdout or ''))
  local lines = vim.split(text, '\n', { plain = true, trimempty = true })
  return lines[#lines] or ('exit code ' .. tostring(res.code))
end

--- After a successful install: the plugin's clients run the new server.
---@param path string
local function use(path)
  local config = require('iskra.config')
  if config.current.cmd_is_default ~= false then
    config.current.cmd = { path }
  end
  if vim.lsp.config and vim.lsp.is_enabled and vim.lsp.is_enabled('iskra') then
    vim.lsp.config('iskra', { cmd = config.current.cmd })
    for _, client in ipairs(vim.lsp.get_clients({ name = 'iskra' })) do
      client:stop()
    end
    vim.lsp.enable('iskra') -- starts it again for the open buffers
  end
end

---@class iskra.InstallOpts
---@field python string? The Python to create the virtualenv with.
---@field wait boolean? Block until done (for a lazy.nvim `build` function).
---@field on_done fun(ok: boolean, message: string)?

--- Creates (or upgrades) the private virtualenv with the checkout's server.
---@param opts iskra.InstallOpts?
---@return boolean? ok (only with `wait`)
function M.install(opts)
  opts = opts or {}
  local source = M.source_dir()
  if vim.fn.filereadable(vim.fs.joinpath(source, 'pyproject.toml')) ~= 1 then
    local msg = ('Iskra: %s is not an iskra-ls checkout (no pyproject.toml); install the server '
      .. 'from one with `pip install .` and set `cmd`'):format(source)
    notify(msg, vim.log.levels.ERROR)
    return false
  end
  local python, why = M.find_python(opts.python or require('iskra.config').current.python)
  if not python then
    notify('Iskra: cannot install the server: ' .. why, vim.log.levels.ERROR)
    return false
  end
  vim.fn.mkdir(vim.fs.dirname(M.venv_dir()), 'p')
  local queue = steps(python)
  local result ---@type boolean?
  local function finish(ok, message)
    result = ok
    notify(message, ok and vim.log.levels.INFO or vim.log.levels.ERROR)
    vim.schedule(function()
      if ok then
        use(M.server_path())
      end
      if opts.on_done then
        opts.on_done(ok, message)
      end
    end)
  end
  local function next_step(i)
    local argv = queue[i]
    if not argv then
      local res = vim.system({ M.server_path(), '--version' }, { text = true }):wait(20000)
      local version = vim.trim(res.stdout or '')
      if res.code ~= 0 or version == '' then
        finish(false, 'Iskra: the installed server does not run: ' .. last_line(res))
      else
        finish(true, ('Iskra: installed %s in %s'):format(version, M.venv_dir()))
      end
      return
    end
    vim.system(argv, { text = true, timeout = PIP_TIMEOUT_MS }, function(res)
      vim.schedule(function() -- out of the fast callback: vim.fn and :wait() are allowed again
        if res.code ~= 0 then
          local cmdline = table.concat(argv, ' ')
          finish(false, ('Iskra: `%s` failed: %s'):format(cmdline, last_line(res)))
        else
          next_step(i + 1)
        end
      end)
    end)
  end
  notify(('Iskra: installing the server from %s into %s …'):format(source, M.venv_dir()))
  next_step(1)
  if opts.wait then
    vim.wait(PIP_TIMEOUT_MS + 60000, function()
      return result ~= nil
    end, 200)
    return result
  end
end

--- `:helptags` for the plugin's doc/ when the tags file is missing or older than the help
--- (plugin managers that add the repository root never generate them for a subdirectory, and
--- an update of the plugin brings new tags).
function M.ensure_helptags()
  local doc = vim.fs.joinpath(M.source_dir(), 'editors', 'neovim', 'doc')
  local tags = vim.fs.joinpath(doc, 'tags')
  local help = vim.fs.joinpath(doc, 'iskra.txt')
  local stale = vim.fn.filereadable(tags) ~= 1 or vim.fn.getftime(help) > vim.fn.getftime(tags)
  if stale and vim.fn.isdirectory(doc) == 1 and vim.fn.filewritable(doc) == 2 then
    pcall(vim.cmd.helptags, vim.fn.fnameescape(doc))
  end
end

return M
