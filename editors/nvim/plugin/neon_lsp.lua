-- neon-lsp's user commands and .env filetype detection. The server is started by
-- require("neon_lsp").setup{} or vim.lsp.enable("neon_lsp"), not here.
if vim.g.loaded_neon_lsp then
  return
end
vim.g.loaded_neon_lsp = true

-- Neovim calls `.env` "sh" but leaves `.env.local`, `.env.production`... without a filetype.
if not vim.g.neon_lsp_no_env_filetype then
  vim.filetype.add({
    pattern = {
      ["%.env%.[%w_.-]+"] = { "sh", { priority = -math.huge } },
    },
  })
end

-- With vim.lsp.enable("neon_lsp"), a missing binary would only reach lsp.log: say so.
if vim.fn.has("nvim-0.11") == 1 then
  vim.api.nvim_create_autocmd("FileType", {
    group = vim.api.nvim_create_augroup("neon_lsp_enabled", { clear = true }),
    callback = function(args)
      require("neon_lsp").check_enabled(args.buf)
    end,
  })
end

local function command(name, run, opts)
  vim.api.nvim_create_user_command(name, run, vim.tbl_extend("force", { force = true }, opts or {}))
end

command("NeonTestConnection", function(args)
  require("neon_lsp").test_connection(args.args)
end, { nargs = "?", desc = "neon-lsp: test the connection of this file's .env files ([name] for a named connection)" })
command("NeonSnippet", function()
  require("neon_lsp").insert_snippet()
end, { desc = "neon-lsp: insert the connection snippet for this file at the cursor" })
command("NeonSignIn", function(args)
  require("neon_lsp").sign_in(args.args)
end, { nargs = "?", desc = "neon-lsp: sign in to Neon ([address] the browser ended on, when it runs elsewhere)" })
command("NeonSignOut", function()
  require("neon_lsp").sign_out()
end, { desc = "neon-lsp: sign out of Neon" })
command("NeonRefreshDeployed", function()
  require("neon_lsp").refresh_deployed()
end, { desc = "neon-lsp: read the app's deployed configuration from Azure again" })
command("NeonDeployed", function()
  vim.api.nvim_echo({ { require("neon_lsp").deployed_report() } }, false, {})
end, { desc = "neon-lsp: show the deployed configuration's status (client type, auth, cache age)" })
command("NeonPull", function()
  require("neon_lsp").pull()
end, { desc = "neon-lsp: pull connection details from Neon into the project's .env" })
