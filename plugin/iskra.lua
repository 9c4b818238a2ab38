-- This repository keeps its Neovim plugin in editors/neovim. Plugin managers (lazy.nvim,
-- vim.pack, packer, a plain `packadd`) put the repository root on 'runtimepath' and source
-- this file: add the subdirectory too, so that `require('iskra')`, `lsp/iskra.lua` and
-- `:help iskra` resolve. Nothing else happens until `require('iskra').setup()`.
local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
local plugin = vim.fs.joinpath(root, 'editors', 'neovim')
if vim.fn.isdirectory(plugin) == 1 and not vim.tbl_contains(vim.opt.runtimepath:get(), plugin) then
  vim.opt.runtimepath:append(plugin)
  pcall(function()
    require('iskra.install').ensure_helptags()
  end)
end
