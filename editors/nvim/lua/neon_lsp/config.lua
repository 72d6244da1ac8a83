--- The client configuration shared by `require("neon_lsp").setup{}` (Neovim 0.10+, vim.lsp.start)
--- and `lsp/neon_lsp.lua` (Neovim 0.11+, vim.lsp.config / vim.lsp.enable): which buffers the
--- server is for, where their project root is, and the settings in the server's shape (the keys
--- of neon-lsp.toml). It starts nothing and defines no command.
local M = {}

M.name = "neon_lsp"

--- Filetypes of the languages neon-lsp scans, .env files (Neovim calls `.env` "sh"), Java
--- `.properties` and neon-lsp.toml.
M.filetypes = {
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "go",
  "cs",
  "java",
  "kotlin",
  "php",
  "ruby",
  "sh",
  "bash",
  "zsh",
  "dockerfile",
  "yaml",
  "jproperties",
  "dotenv",
  "toml",
  "bicep",
  "terraform",
  "ps1",
  "hcl",
}

--- Manifest file names: the server's list (workspace::MANIFESTS; tests/editor_files.rs pins both).
local manifests = {
  ["package.json"] = true,
  ["pyproject.toml"] = true,
  ["Pipfile"] = true,
  ["setup.py"] = true,
  ["go.mod"] = true,
  ["pom.xml"] = true,
  ["build.gradle"] = true,
  ["build.gradle.kts"] = true,
  ["composer.json"] = true,
  ["Gemfile"] = true,
}

--- Manifest names with a wildcard, as Lua patterns (the same list).
local manifest_patterns = {
  "^requirements.*%.txt$",
  "^.*%.csproj$",
}

--- Searched upwards, in this order of preference: a neon-lsp.toml marks the workspace even when a
--- manifest sits nearer (a monorepo's services), then the repository, then the nearest manifest.
M.root_markers = {
  "neon-lsp.toml",
  ".git",
  function(name)
    if manifests[name] == true then
      return true
    end
    for _, pattern in ipairs(manifest_patterns) do
      if name:match(pattern) then
        return true
      end
    end
    return false
  end,
}

--- Whether the buffer is one the server reads: every buffer of the filetypes above, except TOML
--- files other than neon-lsp.toml (Cargo.toml, pyproject.toml are not its business).
function M.wants_buffer(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return false
  end
  if vim.bo[bufnr].filetype == "toml" then
    return vim.fs.basename(name) == "neon-lsp.toml"
  end
  return true
end

--- The project root for a buffer (see root_markers), or nil for a file outside any project:
--- the server then runs in single-file mode (no rootUri, no workspace folders) and checks the
--- open file alone instead of scanning its folder, which may be /tmp or a Downloads folder.
function M.root_dir(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  for _, marker in ipairs(markers or M.root_markers) do
    local root = vim.fs.root(bufnr, marker)
    if root then
      return root
    end
  end
  return nil
end

--- What to tell a user whose server binary is missing, naming the way they configured it
--- ("setup" or "enable") and both ways to give the path.
function M.missing_binary_message(executable, how)
  local give_path = how == "enable"
      and "vim.lsp.config(\"neon_lsp\", { cmd = { \"/path/to/neon-lsp\", \"serve\" } }) before vim.lsp.enable(\"neon_lsp\")"
    or "require(\"neon_lsp\").setup{ cmd = { \"/path/to/neon-lsp\", \"serve\" } }"
  return ("%q is not executable or not on PATH: install neon-lsp (cargo install --locked --path <neon-lsp checkout>) or give its path with %s; :checkhealth neon_lsp"):format(
    tostring(executable),
    give_path
  )
end

-- Every key the server reads (lsp::SETTING_KEYS, pinned by tests/editor_files.rs), with
-- neon-lsp.toml's own spellings too (client-type, env-files).
local setting_types = {
  target = "string",
  clientType = "string",
  ["client-type"] = "string",
  auth = "string",
  envFiles = "table",
  ["env-files"] = "table",
  rules = "table",
  -- { deployed = true }: read the deployed configuration from Azure (off by default).
  azure = "table",
  docsUrl = "string",
  ["docs-url"] = "string",
}

--- Checks the user's settings for the shape the server expects; returns a list of problems
--- (the server validates the values themselves and reports unknown ones).
function M.validate_settings(settings)
  local problems = {}
  if settings == nil then
    return problems
  end
  if type(settings) ~= "table" then
    return { ("settings must be a table, not %s"):format(type(settings)) }
  end
  for key, value in pairs(settings) do
    local expected = setting_types[key]
    if expected == nil then
      local known = vim.tbl_keys(setting_types)
      table.sort(known)
      table.insert(problems, ("unknown setting %q (known: %s)"):format(tostring(key), table.concat(known, ", ")))
    elseif type(value) ~= expected then
      table.insert(problems, ("setting %s must be a %s, not %s"):format(key, expected, type(value)))
    end
  end
  table.sort(problems)
  return problems
end

--- The configuration table for vim.lsp.config / vim.lsp.start (without root_dir and bufnr).
function M.client_config(opts)
  opts = opts or {}
  local settings = opts.settings or {}
  return {
    name = M.name,
    cmd = opts.cmd or { "neon-lsp", "serve" },
    filetypes = opts.filetypes or M.filetypes,
    -- The server reads both: initializationOptions at start, then it pulls section "neon-lsp".
    init_options = settings,
    settings = { ["neon-lsp"] = settings },
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
    handlers = {
      -- The deployed configuration's status (with settings.azure.deployed on).
      ["neon-lsp/deployedStatus"] = function(_, params)
        require("neon_lsp").on_deployed_status(params)
      end,
    },
  }
end

return M
