--- `:Iskra install`: the plugin installs its own server.
---
--- The plugin lives in the iskra-ls repository (editors/neovim), so the server's source is
--- right there: a private virtualenv under `stdpath('data')/iskra/venv` gets the checkout
--- `pip install`ed into it, and the plugin runs `venv/bin/python -m iskra_ls` unless `cmd` is
--- set. The virtualenv is built in a temporary folder beside it and renamed into place only
--- once its server answers `--version`: a failed or interrupted install never leaves a broken
--- server behind, and the previous one stays until the new one works. (`python -m` keeps the
--- moved virtualenv working: console scripts would name the temporary folder.)
---
--- Running it again rebuilds the server from the checkout (after a `git pull`). The same
--- function is a lazy.nvim `build` step (`wait = true` blocks until it is done); without a UI
--- (`nvim --headless "+Iskra install" +qa`) `:Iskra install` waits too.
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

--- The Python of a virtualenv (the private one by default).
---@param venv string?
---@return string
function M.venv_python(venv)
  venv = venv or M.venv_dir()
  if is_windows then
    return vim.fs.joinpath(venv, 'Scripts', 'python.exe')
  end
  return vim.fs.joinpath(venv, 'bin', 'python')
end

--- The installed server's command, if `:Iskra install` has run.
---@return string[]?
function M.installed()
  local python = M.venv_python()
  return vim.fn.executable(python) == 1 and { python, '-m', 'iskra_ls' } or nil
end

--- The default server command: the installed one, else `iskra-ls` on PATH.
---@return string[]
function M.default_cmd()
  return M.installed() or { 'iskra-ls' }
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

--- The steps that build a virtualenv with the server in `venv`, each an argv.
---@param python string
---@param venv string
---@return string[][]
local function steps(python, venv)
  local pip = { M.venv_python(venv), '-m', 'pip', 'install', '--disable-pip-version-check' }
  return {
    { python, '-m', 'venv', venv },
    vim.list_extend(pip, { '--quiet', M.source_dir() }),
    { M.venv_python(venv), '-m', 'iskra_ls', '--version' },
  }
end

--- The last non-empty line of a failed step's output.
---@param res vim.SystemCompleted
---@return string
local function last_line(res)
  local text = vim.trim((res.stderr or '') .. '\n' .. (res.stdout or ''))
  local lines = vim.split(text, '\n', { plain = true, trimempty = true })
  return lines[#lines] or ('exit code ' .. tostring(res.code))
end

--- Puts the built virtualenv in place of the old one (renames only: the old one goes last).
---@param built string
---@return boolean ok, string? why
local function replace(built)
  local venv = M.venv_dir()
  local old = nil
  if vim.uv.fs_stat(venv) then
    old = venv .. '.old-' .. vim.uv.hrtime()
    local ok, err = vim.uv.fs_rename(venv, old)
    if not ok then
      return false, ('cannot move the old server aside: %s'):format(err)
    end
  end
  local ok, err = vim.uv.fs_rename(built, venv)
  if not ok then
    if old then
      vim.uv.fs_rename(old, venv)
    end
    return false, ('cannot put the new server in place: %s'):format(err)
  end
  if old then
    vim.fn.delete(old, 'rf') -- a running server keeps its open files; the name is free
  end
  return true
end

--- After a successful install: the plugin's clients run the new server.
local function use()
  local config = require('iskra.config')
  if config.current.cmd_is_default ~= false then
    config.current.cmd = M.default_cmd()
  end
  if vim.lsp.is_enabled and vim.lsp.is_enabled('iskra') then
    vim.lsp.config('iskra', { cmd = config.current.cmd })
    for _, client in ipairs(vim.lsp.get_clients({ name = 'iskra' })) do
      client:stop()
    end
    vim.lsp.enable('iskra') -- starts it again for the open buffers
  end
end

---@class iskra.InstallOpts
---@field python string? The Python to create the virtualenv with.
---@field wait boolean? Block until done (a lazy.nvim `build` function; headless runs).
---@field on_done fun(ok: boolean, message: string)?

--- Builds the private virtualenv with the checkout's server, then puts it in place.
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
  local parent = vim.fs.dirname(M.venv_dir())
  vim.fn.mkdir(parent, 'p')
  local built = assert(vim.uv.fs_mkdtemp(vim.fs.joinpath(parent, 'venv.building-XXXXXX')))
  local queue = steps(python, built)
  local result ---@type boolean?
  local function finish(ok, message)
    if not ok then
      vim.fn.delete(built, 'rf')
    end
    result = ok
    notify(message, ok and vim.log.levels.INFO or vim.log.levels.ERROR)
    vim.schedule(function()
      if ok then
        use()
      end
      if opts.on_done then
        opts.on_done(ok, message)
      end
    end)
  end
  local function next_step(i, version)
    local argv = queue[i]
    if not argv then
      local ok, err = replace(built)
      if not ok then
        finish(false, 'Iskra: ' .. err)
      else
        finish(true, ('Iskra: installed %s in %s'):format(version, M.venv_dir()))
      end
      return
    end
    vim.system(argv, { text = true, timeout = PIP_TIMEOUT_MS }, function(res)
      vim.schedule(function() -- out of the fast callback: vim.fn is allowed again
        if res.code ~= 0 then
          local cmdline = table.concat(argv, ' ')
          finish(false, ('Iskra: `%s` failed: %s'):format(cmdline, last_line(res)))
        else
          next_step(i + 1, vim.trim(res.stdout or ''))
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
