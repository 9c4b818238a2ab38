-- This repository keeps its Neovim plugin in editors/neovim. Plugin managers (lazy.nvim,
-- vim.pack, packer, a plain `packadd`) put the repository root on 'runtimepath' and source
-- this file: add the subdirectory too, so that `require('iskra')`, `lsp/iskra.lua` and
-- `:help iskra` resolve. Nothing else happens until `require('iskra').setup()`, except on a
-- Neovim older than the plugin supports: it says so once, and `:Iskra` repeats it.
-- Plain Lua and `vim.fn` only (no `vim.fs`): this file must load on any Neovim.
local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
local plugin = root .. '/editors/neovim'
if vim.fn.isdirectory(plugin) ~= 1 then
  return
end
if not vim.tbl_contains(vim.opt.runtimepath:get(), plugin) then
  vim.opt.runtimepath:append(plugin)
end
local requirement = require('iskra.requirement')
if not requirement.met() then
  requirement.notify_once()
  requirement.create_command()
  return
end
pcall(function()
  require('iskra.install').ensure_helptags()
end)
