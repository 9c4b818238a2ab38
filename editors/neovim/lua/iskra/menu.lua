--- Suggestions as completion-menu items, for Neovim 0.11 (no ghost text).
---
--- `vim.lsp.completion` inserts only the first word of a plain-text item's text edit (it cuts
--- at the first space), so "a + b" would land as "a". When Iskra's item is accepted, the
--- word Neovim typed is replaced with the item's whole text, newlines included.

local M = {}

---@param bufnr integer
---@param client vim.lsp.Client
---@param item lsp.CompletionItem
local function complete_the_text(bufnr, client, item)
  local edit = item.textEdit
  if not edit or not edit.range or item.insertTextFormat == 2 then
    return -- no text edit, or a snippet (Neovim expands those whole)
  end
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local start = edit.range.start
  if start.line ~= row then
    return
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  local encoding = client.offset_encoding or 'utf-16'
  local ok, start_col = pcall(vim.str_byteindex, line, encoding, start.character, false)
  if not ok or start_col > col then
    return
  end
  local lines = vim.split(edit.newText, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, start_col, row, col, lines)
  local end_row = row + #lines - 1
  local end_col = (#lines == 1 and start_col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(win, { end_row + 1, end_col })
end

--- Turns on the completion menu for Iskra in `bufnr`.
---@param client vim.lsp.Client
---@param bufnr integer
---@param autotrigger boolean
function M.enable(client, bufnr, autotrigger)
  vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = autotrigger })
  vim.api.nvim_create_autocmd('CompleteDone', {
    group = vim.api.nvim_create_augroup('iskra.menu.' .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      local done = vim.v.completed_item
      local lsp = type(done) == 'table' and vim.tbl_get(done, 'user_data', 'nvim', 'lsp')
      if type(lsp) == 'table' and lsp.client_id == client.id and lsp.completion_item then
        complete_the_text(bufnr, client, lsp.completion_item)
      end
    end,
  })
end

return M
