--- A Lua snippet of editors/neovim/README.md run as written in Neovim 0.12 (ISKRA_SNIPPET),
--- then checked as a person would: the plugin loaded, the server attached to a Python file.
--- ISKRA_TEST_PARAM says what the snippet is: "lazy" (a lazy.nvim spec, loaded the way
--- lazy.nvim loads a non-lazy plugin), "pack" (vim.pack), "by-hand" (runtimepath in init.lua).
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

-- The harness puts editors/neovim on 'runtimepath' for its own tests: the snippet must do it.
vim.opt.runtimepath:remove(vim.env.ISKRA_PLUGIN_DIR)
local repo = vim.fs.dirname(vim.fs.dirname(vim.env.ISKRA_PLUGIN_DIR))
local snippet = table.concat(vim.fn.readfile(vim.env.ISKRA_SNIPPET), '\n')
local kind = vim.env.ISKRA_TEST_PARAM

if kind == 'lazy' then
  local spec = assert(loadstring('return ' .. snippet, 'lazy spec'))()
  T.note('spec', spec[1])
  assert(type(spec.build) == 'function', 'the spec has no build step')
  -- lazy.nvim, for a spec with lazy = false: the clone on 'runtimepath', plugin/ sourced,
  -- then config(plugin, opts). (The build step is :Iskra install: tests/e2e/test_neovim.py.)
  vim.opt.runtimepath:append(repo)
  vim.cmd('runtime! plugin/iskra.lua')
  spec.config(spec, spec.opts)
elseif kind == 'pack' then
  -- What vim.pack.add does once it has cloned the repository: link it into 'packpath' and
  -- :packadd it (cloning needs the network; everything else runs as written).
  local site = vim.fs.joinpath(vim.env.ISKRA_TEST_TMP, 'site')
  vim.fn.mkdir(vim.fs.joinpath(site, 'pack', 'core', 'opt'), 'p')
  vim.opt.packpath:prepend(site)
  ---@diagnostic disable-next-line: duplicate-set-field
  vim.pack.add = function(specs)
    for _, src in ipairs(specs) do
      local name = src:match('[^/]+$')
      assert(vim.uv.fs_symlink(repo, vim.fs.joinpath(site, 'pack', 'core', 'opt', name)))
      vim.cmd.packadd(name)
    end
  end
  assert(loadstring(snippet, 'vim.pack snippet'))()
else
  assert(loadstring(snippet, 'by-hand snippet'))()
end

T.run(function()
  local root = T.workspace({ ['a.py'] = 'x = 1\n' })
  T.open(vim.fs.joinpath(root, 'a.py'))
  T.eq(':Iskra exists', vim.fn.exists(':Iskra'), 2)
  vim.cmd('help iskra')
  T.eq('help', vim.fn.expand('%:t'), 'iskra.txt')
end)
