-- layerwise: a Dockerfile language server (diagnostics and quick fixes for image size and
-- build cache). Neovim 0.11+: put the folder holding this `lsp/` on 'runtimepath' (or copy this
-- file to ~/.config/nvim/lsp/layerwise.lua), then
--
--   vim.lsp.enable('layerwise')
--
-- Override any field with vim.lsp.config('layerwise', { ... }), e.g. the `cmd` when the binary
-- is not on PATH, or rule severities:
--
--   vim.lsp.config('layerwise', {
--     settings = { layerwise = { rules = { ['consecutive-run'] = 'off' }, target = 'runtime' } },
--   })
--
-- The name is `layerwise`, not `dockerls` (nvim-lspconfig's config for the Node.js Dockerfile
-- server), so the two configs do not clash; layerwise answers what that server answers, so enable
-- only one of them.

---@type vim.lsp.Config
return {
  cmd = { 'layerwise', 'lsp', '--stdio' },
  -- Neovim detects Dockerfile, Dockerfile.*, *.dockerfile, Containerfile as `dockerfile`
  filetypes = { 'dockerfile' },
  root_markers = { '.layerwise.toml', '.dockerignore', '.git' },
  -- answered to the server's workspace/configuration request for section `layerwise`;
  -- rule ids map to 'error' | 'warning' | 'info' | 'hint' | 'off', laid over .layerwise.toml;
  -- `target = 'runtime'` names the stage the image ships when it is not the last one
  settings = {
    layerwise = {
      rules = vim.empty_dict(),
    },
  },
}
