---@brief
---
--- https://github.com/iskra-ls/iskra-ls
---
--- `iskra-ls`: inline completions (ghost text) and code actions from the Iskra AI service.
---
--- Install the server with `:Iskra install` (a private virtualenv built from this plugin's
--- checkout; or `pip install .` in the checkout and put `iskra-ls` on PATH), sign in once
--- with `:Iskra login` / `iskra-ls login` (or set `ISKRA_TOKEN`), then:
---
--- ```lua
--- vim.lsp.enable('iskra')
--- vim.lsp.inline_completion.enable() -- Neovim 0.12+: ghost text
--- ```
---
--- Or call `require('iskra').setup()`, which does both and adds keymaps.
--- The token is read from `ISKRA_TOKEN` or the token file that `iskra-ls login` writes;
--- put it in `cmd_env` rather than in `settings`, so it never shows in an LSP trace.
---
--- Settings (section `iskra`, sent as `init_options` and on `workspace/configuration`), e.g.:
---
--- ```lua
--- vim.lsp.config('iskra', {
---   settings = {
---     iskra = { completion = { mode = 'manual' }, actions = { model = 'claude-sonnet-4-5' } },
---   },
--- })
--- ```

---@type vim.lsp.Config
return {
  -- The server `:Iskra install` built (its virtualenv's `python -m iskra_ls`), else `iskra-ls`
  -- on PATH.
  cmd = require('iskra.install').default_cmd(),
  -- Every filetype: suggestions are useful in prose and config files too.
  filetypes = nil,
  root_markers = { '.git', '.hg', '.jj', '.svn' },
  init_options = { iskra = {} },
  settings = { iskra = {} },
  -- Neovim applies `documentChanges` (vim.lsp.util.apply_workspace_edit) and announces
  -- create/rename/delete, but not `documentChanges` itself; say so, or a server cannot send the
  -- CreateFile of an action that adds a file. Merged over make_client_capabilities().
  capabilities = {
    workspace = { workspaceEdit = { documentChanges = true } },
  },
  handlers = {
    ['iskra/status'] = function(err, result, ctx)
      require('iskra.status').handler(err, result, ctx)
    end,
    -- Through vim.notify on every version (0.11 writes it to the message line only), so
    -- notification plugins show Iskra's outcomes and errors like any other notification.
    ['window/showMessage'] = function(_, params)
      local levels = { vim.log.levels.ERROR, vim.log.levels.WARN, vim.log.levels.INFO }
      vim.notify(params.message, levels[params.type] or vim.log.levels.INFO, { title = 'Iskra' })
      return vim.NIL
    end,
    -- Neovim's handler, and new files end with the server's text (no extra blank line).
    ['workspace/applyEdit'] = function(err, params, ctx)
      return require('iskra.edits').apply_edit(err, params, ctx)
    end,
  },
  on_attach = function(_, bufnr)
    require('iskra.commands').create_for_buffer(bufnr)
  end,
}
