--- `:checkhealth neon_lsp`: is Neovim new enough, is the server installed and which version, are
--- the settings well-formed, and which neon-lsp clients run with which commands. It changes nothing.
local M = {}

local function configured_options()
  local plugin = require("neon_lsp")
  if plugin.options then
    return plugin.options, "setup{}"
  end
  if vim.fn.has("nvim-0.11") == 1 and vim.lsp.config and vim.lsp.config[require("neon_lsp.config").name] then
    local resolved = vim.lsp.config[require("neon_lsp.config").name]
    return { cmd = resolved.cmd, settings = (resolved.settings or {})["neon-lsp"] }, "vim.lsp.config (lsp/neon_lsp.lua)"
  end
  return {}, nil
end

function M.check()
  local health = vim.health
  health.start("neon-lsp: Neovim")
  if vim.fn.has("nvim-0.10") == 1 then
    health.ok(("Neovim %s"):format(tostring(vim.version())))
  else
    health.error("Neovim 0.10 or newer is needed", { "Upgrade Neovim" })
  end

  local options, how = configured_options()
  health.start("neon-lsp: configuration")
  if how then
    health.ok("configured through " .. how)
  else
    health.warn("neither setup{} nor vim.lsp.enable('neon_lsp') has configured the server", {
      'Call require("neon_lsp").setup{} (Neovim 0.10+), or vim.lsp.enable("neon_lsp") (Neovim 0.11+)',
    })
  end
  local problems = require("neon_lsp.config").validate_settings(options.settings)
  if #problems == 0 then
    health.ok("settings: " .. vim.inspect(options.settings or {}, { newline = " ", indent = "" }))
  end
  for _, problem in ipairs(problems) do
    health.error("settings: " .. problem, { "Settings take the keys of neon-lsp.toml: target, clientType, auth, envFiles, rules" })
  end

  health.start("neon-lsp: server")
  local cmd = options.cmd or { "neon-lsp", "serve" }
  local executable = type(cmd) == "table" and cmd[1] or nil
  if type(executable) ~= "string" then
    health.error("cmd is not a list starting with the neon-lsp binary: " .. vim.inspect(cmd))
  elseif vim.fn.executable(executable) ~= 1 then
    health.error(("%q is not executable or not on PATH"):format(executable), {
      "Install neon-lsp: cargo install --locked --path <neon-lsp checkout>",
      "or give its path, with setup{}: require(\"neon_lsp\").setup{ cmd = { \"/path/to/neon-lsp\", \"serve\" } }",
      "or, with vim.lsp.enable (Neovim 0.11+): vim.lsp.config(\"neon_lsp\", { cmd = { \"/path/to/neon-lsp\", \"serve\" } })",
    })
  else
    local result = vim.system({ executable, "--version" }, { text = true }):wait(10000)
    local version = vim.trim(result.stdout or "")
    if result.code == 0 and version ~= "" then
      health.ok(("%s (%s)"):format(version, vim.fn.exepath(executable)))
    else
      health.error(("%s --version failed (exit %s): %s"):format(executable, tostring(result.code), vim.trim(result.stderr or "")))
    end
  end

  health.start("neon-lsp: clients")
  local clients = vim.lsp.get_clients({ name = require("neon_lsp.config").name })
  if #clients == 0 then
    health.info("no neon-lsp client is running (open a source or .env file of your project)")
  end
  for _, client in ipairs(clients) do
    local commands = require("neon_lsp").advertised(client)
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    health.ok(
      ("client %d: root %s, %d buffer(s), commands: %s"):format(
        client.id,
        client.root_dir or "none (single-file mode)",
        #buffers,
        #commands > 0 and table.concat(commands, ", ") or "none"
      )
    )
  end
end

return M
