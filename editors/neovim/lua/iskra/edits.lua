--- `workspace/applyEdit` for Iskra: Neovim's own handler, plus one fix for new files.
---
--- A file the edit creates is empty, so the server inserts its whole text at 0:0. When that
--- text ends with a newline, Neovim's buffer gets an extra empty last line, and writing it
--- (with 'eol') leaves the file with one blank line too many. After the edit, a created
--- buffer whose last line is empty loses that line: 'eol' writes the newline back.

local M = {}

---@param err lsp.ResponseError?
---@param params lsp.ApplyWorkspaceEditParams
---@param ctx lsp.HandlerContext
---@return lsp.ApplyWorkspaceEditResult
function M.apply_edit(err, params, ctx)
  local created = {} ---@type string[]
  local edit = params and params.edit or {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.kind == 'create' and not change.uri:match('/$') then
      table.insert(created, vim.uri_to_fname(change.uri))
    end
  end
  local result = vim.lsp.handlers['workspace/applyEdit'](err, params, ctx)
  if result and result.applied then
    for _, fname in ipairs(created) do
      local bufnr = vim.fn.bufnr(fname)
      if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) then
        local n = vim.api.nvim_buf_line_count(bufnr)
        local last = vim.api.nvim_buf_get_lines(bufnr, n - 1, n, false)[1]
        local eol = vim.bo[bufnr].eol or (vim.bo[bufnr].fixeol and not vim.bo[bufnr].binary)
        if n > 1 and last == '' and eol then
          vim.api.nvim_buf_set_lines(bufnr, n - 1, n, false, {})
        end
      end
    end
  end
  return result
end

return M
