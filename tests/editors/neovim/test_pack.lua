--- The repository as a plugin manager installs it (`vim.pack.add`, lazy.nvim, `packadd`): its
--- root goes on 'runtimepath', not editors/neovim. The repository's plugin/iskra.lua must then
--- make `require('iskra')`, `lsp/iskra.lua` and `:help iskra` resolve.
local T = dofile(vim.fs.joinpath(vim.env.ISKRA_TEST_DIR, 'helpers.lua'))

-- Undo the harness's shortcut: the plugin folder is not on 'runtimepath' by itself.
vim.opt.runtimepath:remove(vim.env.ISKRA_PLUGIN_DIR)
T.eq('require before packadd', (pcall(require, 'iskra')), false)

T.run(function()
  local repo = vim.fs.dirname(vim.fs.dirname(vim.env.ISKRA_PLUGIN_DIR))
  local pack = vim.fs.joinpath(vim.env.ISKRA_TEST_TMP, 'site', 'pack', 'core', 'opt')
  vim.fn.mkdir(pack, 'p')
  assert(vim.uv.fs_symlink(repo, vim.fs.joinpath(pack, 'iskra-ls')))
  vim.opt.packpath:prepend(vim.fs.joinpath(vim.env.ISKRA_TEST_TMP, 'site'))
  vim.cmd('packadd iskra-ls') -- what vim.pack.add does after cloning

  T.eq('require after packadd', (pcall(require, 'iskra')), true)
  T.eq('lsp/iskra.lua found', #vim.api.nvim_get_runtime_file('lsp/iskra.lua', true), 1)
  vim.cmd('help :Iskra-install')
  T.eq('help file', vim.fn.expand('%:t'), 'iskra.txt')
end)
