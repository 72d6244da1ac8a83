-- neon-lsp for Neovim 0.11+: `vim.lsp.enable("neon_lsp")` starts the server with this
-- configuration; adjust it with `vim.lsp.config("neon_lsp", { settings = { ["neon-lsp"] = {...} } })`.
local config = require("neon_lsp.config")

local client_config = config.client_config({})
client_config.root_dir = function(bufnr, on_dir)
  if not config.wants_buffer(bufnr) then
    return
  end
  -- nil outside any project: the server runs in single-file mode.
  on_dir(config.root_dir(bufnr))
end
-- vim.lsp.config("neon_lsp", { settings = ... }) leaves init_options as they are: hand the
-- settings to the server at initialize too, so its first diagnostics already follow them.
client_config.before_init = function(params, resolved)
  local settings = resolved.settings and resolved.settings["neon-lsp"]
  if settings ~= nil then
    params.initializationOptions = settings
  end
end
return client_config
