--- Ghost-text keys on Neovim 0.12+ (`vim.lsp.inline_completion`).
---
--- Neovim shows and accepts whole suggestions itself; it has no "accept a word/line" and no
--- public "dismiss". Both are built on `get{on_accept = ...}`, which hands us the shown item
--- and hides it: a partial accept inserts only the next piece of the suggestion at the cursor
--- (Neovim then asks again, and the server answers with the rest), a dismiss inserts nothing.

local M = {}

--- Whether this Neovim has native inline completion.
---@return boolean
function M.available()
  return vim.fn.has('nvim-0.12') == 1 and vim.lsp.inline_completion ~= nil
end

--- The part of the suggestion not yet in the buffer, or nil when it cannot be worked out
--- (a snippet, or a range that does not start at or before the cursor).
---@param item vim.lsp.inline_completion.Item
---@param bufnr integer
---@param row integer 0-based cursor row
---@param col integer 0-based cursor byte column
---@return string?
function M.remaining_text(item, bufnr, row, col)
  local text = item.insert_text
  if type(text) ~= 'string' then
    return nil
  end
  if not item.range then
    return text
  end
  local s = item.range.start
  if s.row > row or (s.row == row and s.col > col) then
    return nil
  end
  local typed = table.concat(vim.api.nvim_buf_get_text(bufnr, s.row, s.col, row, col, {}), '\n')
  if text:sub(1, #typed) ~= typed then
    return nil
  end
  return text:sub(#typed + 1)
end

--- The next word of `rest` (with the whitespace before it), or its next line.
---@param rest string
---@param unit 'word'|'line'
---@return string
function M.next_piece(rest, unit)
  if unit == 'line' then
    if rest:sub(1, 1) == '\n' then
      return '\n' .. (rest:match('^\n([^\n]*)') or '')
    end
    return rest:match('^[^\n]*')
  end
  return rest:match('^%s*[%w_]+') or rest:match('^%s*[^%w_%s]+') or rest:match('^%s+') or rest
end

--- Inserts the next word/line of `item` at the cursor; the whole item when it cannot be split.
---@param item vim.lsp.inline_completion.Item
---@param unit 'word'|'line'
---@param bufnr integer
function M.accept_partial(item, unit, bufnr)
  local win = vim.fn.bufwinid(bufnr)
  local cursor = vim.api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local rest = M.remaining_text(item, bufnr, row, col)
  if not rest then
    rest = type(item.insert_text) == 'string' and item.insert_text or nil
    if not rest then
      return
    end
  end
  local piece = M.next_piece(rest, unit)
  if piece == '' then
    return
  end
  local lines = vim.split(piece, '\n', { plain = true })
  vim.api.nvim_buf_set_text(bufnr, row, col, row, col, lines)
  local end_row = row + #lines
  local end_col = (#lines == 1 and col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(win, { end_row, end_col })
  if item.command then
    local client = vim.lsp.get_client_by_id(item.client_id)
    if client then
      client:exec_cmd(item.command, { bufnr = bufnr })
    end
  end
end

--- Sets the buffer-local Insert-mode keys.
---@param bufnr integer
---@param keymaps iskra.Keymaps
function M.set_keymaps(bufnr, keymaps)
  local ic = vim.lsp.inline_completion
  local function map(lhs, rhs, desc, expr)
    if lhs then
      vim.keymap.set('i', lhs, rhs, { buffer = bufnr, expr = expr, desc = 'Iskra: ' .. desc })
    end
  end
  -- Expr mappings replace keycodes in what they return: returning the lhs types the key itself.
  ---@param key string
  local function literal(key)
    return key
  end

  map(keymaps.accept, function()
    if not ic.get({ bufnr = bufnr }) then
      return literal(keymaps.accept --[[@as string]])
    end
    return ''
  end, 'accept suggestion', true)

  for _, unit in ipairs({ 'word', 'line' }) do
    local lhs = keymaps['accept_' .. unit]
    map(lhs, function()
      if
        not ic.get({
          bufnr = bufnr,
          on_accept = function(item)
            M.accept_partial(item, unit, bufnr)
          end,
        })
      then
        return literal(lhs)
      end
      return ''
    end, 'accept next ' .. unit, true)
  end

  map(keymaps.next, function()
    ic.select({ bufnr = bufnr, count = 1 })
  end, 'next suggestion', false)
  map(keymaps.prev, function()
    ic.select({ bufnr = bufnr, count = -1 })
  end, 'previous suggestion', false)

  map(keymaps.dismiss, function()
    if not ic.get({ bufnr = bufnr, on_accept = function() end }) then
      return literal(keymaps.dismiss --[[@as string]])
    end
    return ''
  end, 'dismiss suggestion', true)
end

return M
