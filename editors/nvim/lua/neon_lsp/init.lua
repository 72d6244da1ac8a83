--- neon-lsp for Neovim: starts the `neon-lsp` language server for the buffers it reads (Neovim
--- 0.10+, through vim.lsp.start) and forwards the user commands (:NeonTestConnection,
--- :NeonSnippet, :NeonSignIn, :NeonSignOut, :NeonPull) to the server's workspace/executeCommand.
--- It implements none of those commands itself: the server tests, inserts, signs in and pulls.
--- On Neovim 0.11+ `vim.lsp.enable("neon_lsp")` (lsp/neon_lsp.lua) can replace setup{}; the
--- commands work with either.
local config = require("neon_lsp.config")

local M = {}

--- The server commands behind the user commands (the server advertises what it executes).
M.commands = {
  test_connection = "neon-lsp.testConnection",
  insert_snippet = "neon-lsp.insertSnippet",
  sign_in = "neon-lsp.signIn",
  sign_in_with_redirect = "neon-lsp.signInWithRedirect",
  sign_out = "neon-lsp.signOut",
  pull_connection = "neon-lsp.pullConnection",
  describe_connection = "neon-lsp.describeConnection",
  refresh_deployed = "neon-lsp.refreshDeployed",
}

--- The last `neon-lsp/deployedStatus` per workspace root ({root, text, tooltip, fromCache,
--- ageSeconds}), sent when settings.azure.deployed is on.
M.deployed = {}

--- The options given to setup{}, nil until it is called.
M.options = nil

--- The last connection test's report ({ok, summary, ...}), for statuslines.
M.last_test = nil

local function notify(message, level)
  vim.notify("neon-lsp: " .. message, level or vim.log.levels.INFO)
end

--- setup{ cmd?, settings?, filetypes?, root_markers?, on_attach?, capabilities? }
--- `settings` takes the keys of neon-lsp.toml: target, clientType, auth, envFiles, rules.
function M.setup(opts)
  if vim.fn.has("nvim-0.10") ~= 1 then
    notify("needs Neovim 0.10 or newer", vim.log.levels.ERROR)
    return
  end
  opts = opts or {}
  local problems = config.validate_settings(opts.settings)
  if #problems > 0 then
    notify("setup{}: " .. table.concat(problems, "; "), vim.log.levels.ERROR)
    return
  end
  M.options = opts
  local filetypes = opts.filetypes or config.filetypes
  local group = vim.api.nvim_create_augroup("neon_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
  })
  -- Buffers opened before setup ran (a lazily loaded plugin) are attached too.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(filetypes, vim.bo[bufnr].filetype) then
      M.start(bufnr)
    end
  end
end

local warned_missing = false

--- Attaches the server to `bufnr` (one client per project root); returns the client id.
function M.start(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if not config.wants_buffer(bufnr) then
    return nil
  end
  local opts = M.options or {}
  local client_config = config.client_config(opts)
  if not M.check_executable(client_config.cmd, "setup") then
    return nil
  end
  -- nil outside any project: one single-file client for all such buffers.
  client_config.root_dir = config.root_dir(bufnr, opts.root_markers)
  return vim.lsp.start(client_config, { bufnr = bufnr })
end

--- True when `cmd`'s program can run; else tells the user once (vim.notify, not only lsp.log),
--- with advice for the way the server was configured ("setup" or "enable").
function M.check_executable(cmd, how)
  local executable = type(cmd) == "table" and cmd[1] or nil
  if type(cmd) == "function" or (type(executable) == "string" and vim.fn.executable(executable) == 1) then
    return true
  end
  if not warned_missing then
    warned_missing = true
    notify(config.missing_binary_message(executable, how), vim.log.levels.ERROR)
  end
  return false
end

--- For `vim.lsp.enable("neon_lsp")` (plugin/neon_lsp.lua calls it on FileType): Neovim checks
--- `cmd` before starting and writes a missing binary only to lsp.log, so the user would see
--- nothing at all. Tells them once, as setup{} does.
function M.check_enabled(bufnr)
  if warned_missing or vim.fn.has("nvim-0.11") ~= 1 then
    return
  end
  local enabled = vim.lsp.is_enabled and vim.lsp.is_enabled(config.name)
    or (vim.lsp._enabled_configs or {})[config.name] ~= nil
  if not enabled or not config.wants_buffer(bufnr) then
    return
  end
  local resolved = vim.lsp.config[config.name]
  if resolved == nil or (resolved.filetypes and not vim.tbl_contains(resolved.filetypes, vim.bo[bufnr].filetype)) then
    return
  end
  M.check_executable(resolved.cmd, "enable")
end

--- The neon-lsp client attached to `bufnr`, if any.
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or vim.api.nvim_get_current_buf(), name = config.name })[1]
end

--- The commands the server advertised in its executeCommandProvider.
function M.advertised(client)
  local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
  return (type(provider) == "table" and provider.commands) or {}
end

local function request(client, method, params, handler, bufnr)
  if vim.fn.has("nvim-0.11") == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Sends `command` to the server attached to `bufnr`. Calls `on_result(result)` with its answer
--- and fires `User NeonLspCommand` (data: {command, result}). Returns false, after telling the
--- user why, when no server is attached or the server does not advertise the command.
function M.execute(command, arguments, bufnr, on_result)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    notify("no neon-lsp server is attached to this buffer (:checkhealth neon_lsp says why)", vim.log.levels.WARN)
    return false
  end
  local advertised = M.advertised(client)
  if not vim.tbl_contains(advertised, command) then
    local info = client.server_info or {}
    local offers = #advertised > 0 and table.concat(advertised, ", ") or "no commands"
    notify(
      ("%s is not supported by this server (%s %s, %s); it offers %s. Update neon-lsp."):format(
        command,
        info.name or "neon-lsp",
        info.version or "",
        table.concat(client.config.cmd or {}, " "),
        offers
      ),
      vim.log.levels.WARN
    )
    return false
  end
  request(client, "workspace/executeCommand", { command = command, arguments = arguments }, function(err, result)
    if err then
      notify(("%s failed: %s"):format(command, err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
    vim.api.nvim_exec_autocmds("User", {
      pattern = "NeonLspCommand",
      modeline = false,
      data = { command = command, result = result },
    })
  end, bufnr)
  return true
end

--- Stores a `neon-lsp/deployedStatus` notification, fires `User NeonLspDeployed` and redraws
--- statuslines.
function M.on_deployed_status(params)
  if type(params) ~= "table" or type(params.text) ~= "string" then
    return
  end
  M.deployed[params.root or ""] = params
  vim.api.nvim_exec_autocmds("User", { pattern = "NeonLspDeployed", modeline = false, data = params })
  pcall(vim.cmd.redrawstatus)
end

--- The deployed status of `bufnr`'s project (or the only one known), nil when there is none.
function M.deployed_status(bufnr)
  local client = M.client(bufnr)
  local root = client and client.root_dir
  if root and M.deployed[root] then
    return M.deployed[root]
  end
  local only, count = nil, 0
  for _, status in pairs(M.deployed) do
    only, count = status, count + 1
  end
  return count == 1 and only or nil
end

--- For statuslines: "deployed: nodejs · secret" (with "(cached, 2 h ago)" offline), or "" when
--- the deployed configuration is off or not read yet.
---   vim.o.statusline = "%f %{v:lua.require'neon_lsp'.statusline()}"
function M.statusline(bufnr)
  local status = M.deployed_status(bufnr)
  return status and status.text or ""
end

--- :NeonRefreshDeployed — reads the deployed configuration from Azure again (falls back to the
--- cache offline) and says what was read.
function M.refresh_deployed(bufnr)
  return M.execute(M.commands.refresh_deployed, {}, bufnr, function(result)
    if type(result) ~= "table" then
      return
    end
    if result.enabled == false then
      notify(result.message or "the deployed configuration is off", vim.log.levels.WARN)
      return
    end
    for _, status in ipairs(result.roots or {}) do
      M.on_deployed_status(status)
      notify(status.text)
    end
  end)
end

--- :NeonDeployed — the deployed status and what it is made of (apps, connections, cache age).
function M.deployed_report(bufnr)
  local status = M.deployed_status(bufnr)
  if status == nil then
    return "deployed: nothing read (set settings.azure.deployed = true, then :NeonRefreshDeployed)"
  end
  if status.tooltip and status.tooltip ~= "" then
    return status.text .. "\n" .. status.tooltip
  end
  return status.text
end

local function buffer_uri(bufnr)
  return vim.uri_from_bufnr(bufnr)
end

--- :NeonTestConnection [name] — tests the connection of the current file's folder (its .env
--- files as typed). The server shows progress and the outcome itself.
function M.test_connection(name, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local argument = { uri = buffer_uri(bufnr) }
  if name and name ~= "" then
    argument.connection = name
  end
  return M.execute(M.commands.test_connection, { argument }, bufnr, function(result)
    if type(result) == "table" then
      M.last_test = result
    end
  end)
end

--- :NeonSnippet — inserts the connection snippet for this file's language and connection at
--- the cursor's line (the server sends the edit through workspace/applyEdit).
function M.insert_snippet(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local argument = { uri = buffer_uri(bufnr), position = { line = cursor[1] - 1, character = 0 } }
  return M.execute(M.commands.insert_snippet, { argument }, bufnr, function(result)
    if type(result) == "table" and result.applied == false then
      notify("the snippet was not inserted (the edit was declined)", vim.log.levels.WARN)
    end
  end)
end

--- :NeonSignIn — the server opens Neon's sign-in page in the browser and waits for it.
--- :NeonSignIn {address} — for a browser on another machine (SSH, containers), whose last
--- page, a redirect to this machine's 127.0.0.1, cannot load: passes that page's address to the
--- waiting sign-in (the server checks its state).
function M.sign_in(address, bufnr)
  address = address and vim.trim(address) or ""
  if address ~= "" then
    return M.execute(M.commands.sign_in_with_redirect, { { url = address } }, bufnr)
  end
  return M.execute(M.commands.sign_in, {}, bufnr)
end

function M.sign_out(bufnr)
  return M.execute(M.commands.sign_out, {}, bufnr)
end

--- :NeonPull — pulls connection details from Neon into the project's .env (the server asks
--- which project, branch, database and role, and confirms before writing).
function M.pull(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  local root = client and client.root_dir or config.root_dir(bufnr)
  local uri = root and vim.uri_from_fname(root) or buffer_uri(bufnr)
  return M.execute(M.commands.pull_connection, { { uri = uri } }, bufnr)
end

return M
