-- End-to-end test of editors/neovim/lsp/layerwise.lua in a real, headless Neovim 0.11.
--
--   nvim --headless -u NONE -l tests/editors/neovim/e2e_spec.lua REPO WORKDIR
--
-- Run it through tests/editors/neovim.sh, which isolates the XDG folders, puts the layerwise
-- under test first on PATH (the shipped config runs `layerwise lsp --stdio`) and makes WORKDIR.
-- Each case prints `ok      neovim: NAME` or `FAILED  neovim: NAME` and why; the last line is
-- `N passed, N failed`. Exit status 0 when nothing failed.
--
-- LAYERWISE_E2E_TIMEOUT (ms, default 15000) bounds each wait for the server.

local repo, workdir = arg[1], arg[2]
assert(repo and workdir, 'usage: nvim --headless -u NONE -l e2e_spec.lua REPO WORKDIR')
local timeout = tonumber(vim.env.LAYERWISE_E2E_TIMEOUT) or 15000
local FIX_TITLE = 'Copy dependency manifests first'

vim.opt.runtimepath:prepend(repo .. '/editors/neovim')
vim.cmd('filetype on')
vim.o.swapfile = false
vim.o.shortmess = vim.o.shortmess .. 'F'

local passed, failed = 0, 0

local function say(line)
  io.stdout:write(line, '\n')
  io.stdout:flush()
end

local close_all -- defined below

local function case(name, fn)
  local ok, err = pcall(fn)
  if ok then
    passed = passed + 1
    say('ok      neovim: ' .. name)
  else
    failed = failed + 1
    say('FAILED  neovim: ' .. name)
    say('    ' .. tostring(err):gsub('\n', '\n    '))
  end
  close_all()
end

local function fail(fmt, ...)
  error(string.format(fmt, ...), 2)
end

local function read_file(path)
  local f = assert(io.open(path, 'rb'))
  local text = f:read('*a')
  f:close()
  return text
end

local function lines_of(text)
  return vim.split(text, '\n', { plain = true })
end

--- A fresh copy of a project under tests/fixtures (default: the example) in its own folder
--- under WORKDIR.
local copies = 0
local function example_copy(fixture)
  fixture = fixture or 'example'
  copies = copies + 1
  local dir = string.format('%s/%s-%d', workdir, fixture, copies)
  vim.fn.mkdir(dir, 'p')
  local src = repo .. '/tests/fixtures/' .. fixture
  for name, kind in vim.fs.dir(src) do
    if kind == 'file' then
      local out = assert(io.open(dir .. '/' .. name, 'wb'))
      out:write(read_file(src .. '/' .. name))
      out:close()
    end
  end
  return dir
end

local function wait_for(what, pred)
  local result
  local ok = vim.wait(timeout, function()
    result = pred()
    return result ~= nil and result ~= false
  end, 20)
  if not ok then
    fail('timed out after %d ms waiting for %s', timeout, what)
  end
  return result
end

local function layerwise_client(buf)
  return wait_for('the layerwise client to attach', function()
    local client = vim.lsp.get_clients({ bufnr = buf, name = 'layerwise' })[1]
    return client and client.initialized and client or nil
  end)
end

local function layerwise_diagnostics(buf)
  return vim.tbl_filter(function(d)
    return d.source == 'layerwise'
  end, vim.diagnostic.get(buf))
end

local function find_code(diags, code)
  for _, d in ipairs(diags) do
    if d.code == code then
      return d
    end
  end
end

local function describe(diags)
  local out = {}
  for _, d in ipairs(diags) do
    out[#out + 1] = string.format('%s@%d:%d', tostring(d.code), d.lnum, d.col)
  end
  return table.concat(out, ', ')
end

--- Opens `path` in a new buffer; returns the buffer and its layerwise client.
local function open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  if vim.bo[buf].filetype ~= 'dockerfile' then
    fail('filetype of %s is %q, not dockerfile', path, vim.bo[buf].filetype)
  end
  return buf, layerwise_client(buf)
end

--- Waits for layerwise's diagnostics on `buf` to include `code`; returns that diagnostic.
local function wait_for_code(buf, code)
  return wait_for('a `' .. code .. '` diagnostic', function()
    return find_code(layerwise_diagnostics(buf), code)
  end)
end

function close_all()
  for _, client in ipairs(vim.lsp.get_clients()) do
    client:stop(true)
  end
  vim.cmd('silent! %bwipeout!')
  vim.wait(2000, function()
    return #vim.lsp.get_clients() == 0
  end, 20)
end

---------------------------------------------------------------------------------------------

case('lsp/layerwise.lua is a vim.lsp.config table that does not collide with dockerls', function()
  local config = dofile(repo .. '/editors/neovim/lsp/layerwise.lua')
  assert(type(config) == 'table', 'the file returns a table')
  assert(vim.deep_equal(config.cmd, { 'layerwise', 'lsp', '--stdio' }), vim.inspect(config.cmd))
  assert(vim.tbl_contains(config.filetypes, 'dockerfile'), vim.inspect(config.filetypes))
  assert(vim.tbl_contains(config.root_markers, '.layerwise.toml'), vim.inspect(config.root_markers))
  -- found on 'runtimepath' by vim.lsp.config, under its own name
  local resolved = vim.lsp.config.layerwise
  assert(resolved and resolved.cmd and resolved.cmd[1] == 'layerwise', 'vim.lsp.config.layerwise resolves')
  assert(vim.lsp.config.dockerls == nil or vim.lsp.config.dockerls.cmd[1] ~= 'layerwise')
  assert(vim.fn.exepath('layerwise') ~= '', 'layerwise is on PATH')
end)

case('Dockerfile, Dockerfile.*, *.dockerfile and Containerfile get filetype dockerfile', function()
  for _, name in ipairs({ 'Dockerfile', 'Dockerfile.prod', 'api.dockerfile', 'Containerfile' }) do
    local ft = vim.filetype.match({ filename = '/x/' .. name })
    if ft ~= 'dockerfile' then
      fail('%s: filetype %s', name, tostring(ft))
    end
  end
end)

vim.lsp.enable('layerwise')

case('vim.lsp.enable: fix cache-busting-copy with "' .. FIX_TITLE .. '" and write the file', function()
  local dir = example_copy()
  local path = dir .. '/Dockerfile'
  local buf, client = open(path)
  if client.config.root_dir ~= nil and client.config.root_dir ~= dir then
    -- .dockerignore is absent and WORKDIR is no git repository: no root, or the folder itself
    fail('unexpected root_dir %s', client.config.root_dir)
  end

  -- the diagnostic, on `COPY . /app` (line 2, 0-based 1) from column 0
  local diag = wait_for_code(buf, 'cache-busting-copy')
  if diag.lnum ~= 1 or diag.col ~= 0 then
    fail('cache-busting-copy at %d:%d, expected 1:0 (all: %s)', diag.lnum, diag.col, describe(layerwise_diagnostics(buf)))
  end
  if diag.end_lnum ~= 1 or diag.end_col <= diag.col then
    fail('cache-busting-copy ends at %d:%d, expected on line 1 after col 0', diag.end_lnum, diag.end_col)
  end
  if diag.severity ~= vim.diagnostic.severity.WARN then
    fail('severity %s, expected WARN', tostring(diag.severity))
  end
  local lsp_diag = diag.user_data and diag.user_data.lsp
  assert(lsp_diag, 'the LSP diagnostic is kept in user_data.lsp')

  -- code actions at it, as vim.lsp.buf.code_action() asks for them
  local line_diags = {}
  for _, d in ipairs(vim.diagnostic.get(buf, { lnum = diag.lnum })) do
    if d.user_data and d.user_data.lsp then
      line_diags[#line_diags + 1] = d.user_data.lsp
    end
  end
  local response, err = client:request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = lsp_diag.range,
    context = { diagnostics = line_diags, triggerKind = 1 },
  }, timeout, buf)
  if not response or response.err then
    fail('textDocument/codeAction failed: %s', vim.inspect(err or response.err))
  end
  local titles, fix = {}, nil
  for _, action in ipairs(response.result or {}) do
    titles[#titles + 1] = action.title
    if vim.startswith(action.title, FIX_TITLE) then
      fix = fix or action
    end
  end
  if not fix then
    fail('no code action titled "%s..." among: %s', FIX_TITLE, table.concat(titles, ' | '))
  end
  if not fix.edit and (fix.data ~= nil) then
    local resolved = client:request_sync('codeAction/resolve', fix, timeout, buf)
    fix = resolved and resolved.result or fix
  end
  if not fix.edit then
    fail('the action "%s" carries no workspace edit: %s', fix.title, vim.inspect(fix))
  end

  -- applied by Neovim itself, then written
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)
  vim.api.nvim_buf_call(buf, function()
    vim.cmd('write')
  end)

  local text = read_file(path)
  local lines = lines_of(text)
  local manifest, install, rest
  for i, line in ipairs(lines) do
    if not manifest and line:match('^COPY%s') and line:find('requirements.txt', 1, true) and not line:match('^COPY%s+%.%s') then
      manifest = i
    elseif not install and line:match('^RUN%s+pip install') then
      install = i
    elseif line:match('^COPY%s+%.%s+/?app') then
      rest = i
    end
  end
  if not (manifest and install and rest and manifest < install and install < rest) then
    fail('after the fix, expected COPY requirements.txt < RUN pip install < COPY . /app; got lines %s, %s, %s in:\n%s',
      tostring(manifest), tostring(install), tostring(rest), text)
  end
  if not text:find('FROM python:3.8.0-slim', 1, true) or not text:find('ENTRYPOINT uvicorn', 1, true) then
    fail('the rest of the file was not kept:\n%s', text)
  end
  -- and the server sees the new text: the finding is gone
  wait_for('cache-busting-copy to go away after the fix', function()
    return find_code(layerwise_diagnostics(buf), 'cache-busting-copy') == nil
  end)
end)

case('vim.lsp.buf.code_action{apply = true} applies "Ignore `cache-busting-copy` for this instruction"', function()
  local dir = example_copy()
  local path = dir .. '/Dockerfile'
  local buf = open(path)
  local diag = wait_for_code(buf, 'cache-busting-copy')
  vim.api.nvim_win_set_cursor(0, { diag.lnum + 1, diag.col })
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      return action.title == 'Ignore `cache-busting-copy` for this instruction'
    end,
  })
  wait_for('the ignore comment in the buffer', function()
    return vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == '# layerwise: ignore=cache-busting-copy' or nil
  end)
  wait_for('cache-busting-copy to be suppressed', function()
    return find_code(layerwise_diagnostics(buf), 'cache-busting-copy') == nil
  end)
end)

case('settings.layerwise.rules reach the server through workspace/didChangeConfiguration', function()
  local dir = example_copy()
  local buf, client = open(dir .. '/Dockerfile')
  wait_for_code(buf, 'cache-busting-copy')
  client.settings = { layerwise = { rules = { ['cache-busting-copy'] = 'off', ['relative-workdir'] = 'error' } } }
  client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  wait_for('cache-busting-copy off and relative-workdir an error', function()
    local diags = layerwise_diagnostics(buf)
    local workdir_diag = find_code(diags, 'relative-workdir')
    return find_code(diags, 'cache-busting-copy') == nil
      and workdir_diag
      and workdir_diag.severity == vim.diagnostic.severity.ERROR
  end)
  client.settings = { layerwise = { rules = vim.empty_dict() } }
  client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  wait_for_code(buf, 'cache-busting-copy')
end)

-- Editing requests on tests/fixtures/editing/Dockerfile: three stages, `builder` used by
-- `COPY --chown=app --from=builder` (a flag before it) and `COPY --from=builder --chmod=755`.

--- The 0-based line and column of `needle` in `buf` (its `nth` occurrence on the line).
local function position_of(buf, line_prefix, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if vim.startswith(line, line_prefix) then
      local col = line:find(needle, 1, true)
      if col then
        return i - 1, col - 1
      end
    end
  end
  fail('no line starting with %q holds %q', line_prefix, needle)
end

--- Waits for layerwise to have published diagnostics for `buf`: the server has the text.
local function wait_until_checked(buf, code)
  return wait_for_code(buf, code)
end

case('completion after `--from=` offers only the stages declared before the current one', function()
  local dir = example_copy('editing')
  local buf, client = open(dir .. '/Dockerfile')
  wait_until_checked(buf, 'use-cache-mount')
  -- a new line at the end of the `certs` stage, typed after `RUN apt-get ...`
  local row = position_of(buf, 'RUN apt-get', 'apt-get') + 1
  vim.api.nvim_buf_set_lines(buf, row, row, false, { 'COPY --from=' })
  -- as Neovim asks when `=` is typed at the end of the line (the column is ASCII: the same in
  -- every encoding)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = row, character = #'COPY --from=' },
    context = { triggerKind = 2, triggerCharacter = '=' },
  }
  local response = client:request_sync('textDocument/completion', params, timeout, buf)
  if not response or response.err then
    fail('textDocument/completion failed: %s', vim.inspect(response and response.err))
  end
  local items = response.result and (response.result.items or response.result) or {}
  local labels = {}
  for _, item in ipairs(items) do
    labels[#labels + 1] = item.label
  end
  -- `builder` is before; `certs` holds the COPY (a circular dependency); `runtime` is after
  if not vim.deep_equal(labels, { 'builder' }) then
    fail('expected exactly { builder }, got %s', vim.inspect(labels))
  end
  local edit = items[1].textEdit
  if not edit or edit.newText ~= 'builder' or edit.range.start.line ~= row or edit.range.start.character ~= 12 then
    fail('the item does not insert `builder` after `--from=`: %s', vim.inspect(items[1]))
  end
  -- accepted as Neovim applies a completion's edit: the line becomes a valid reference
  vim.lsp.util.apply_text_edits({ edit }, buf, client.offset_encoding)
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
  if line ~= 'COPY --from=builder' then
    fail('after accepting, the line is %q', line)
  end
end)

case('vim.lsp.buf.hover() on `--chown` shows the flag documentation', function()
  local dir = example_copy('editing')
  local buf = open(dir .. '/Dockerfile')
  wait_until_checked(buf, 'use-cache-mount')
  local row, col = position_of(buf, 'COPY --chown=app', '--chown')
  vim.api.nvim_win_set_cursor(0, { row + 1, col + 3 })
  vim.lsp.buf.hover()
  local text = wait_for('the hover window', function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
        return table.concat(lines, '\n')
      end
    end
  end)
  if not (text:find('--chown', 1, true) and text:find('Owner', 1, true) and text:find('COPY --chown=', 1, true)) then
    fail('the hover does not document --chown (its owner and an example):\n%s', text)
  end
end)

case('vim.lsp.buf.definition() on `builder` in `COPY --chown=app --from=builder` jumps to its FROM', function()
  local dir = example_copy('editing')
  local buf = open(dir .. '/Dockerfile')
  wait_until_checked(buf, 'use-cache-mount')
  local decl_row, decl_col = position_of(buf, 'FROM golang', 'builder')
  local row, col = position_of(buf, 'COPY --chown=app --from=', 'builder')
  vim.api.nvim_win_set_cursor(0, { row + 1, col + 2 })
  vim.lsp.buf.definition()
  wait_for(string.format('the cursor to move to %d:%d', decl_row + 1, decl_col), function()
    local cursor = vim.api.nvim_win_get_cursor(0)
    return vim.api.nvim_get_current_buf() == buf and cursor[1] == decl_row + 1 and cursor[2] == decl_col
  end)
end)

case('vim.lsp.buf.rename() of `builder` renames every use (flags in any order), written to disk', function()
  local dir = example_copy('editing')
  local path = dir .. '/Dockerfile'
  local original = read_file(path)
  local buf = open(path)
  wait_until_checked(buf, 'use-cache-mount')
  local row, col = position_of(buf, 'COPY --chown=app --from=', 'builder')
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  vim.lsp.buf.rename('compile')
  wait_for('the FROM line to name `compile`', function()
    return vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1] == 'FROM golang:1.22 AS compile' or nil
  end)
  vim.api.nvim_buf_call(buf, function()
    vim.cmd('write')
  end)
  local text = read_file(path)
  -- `builder` is only ever the stage's name in the fixture: each of its three places changes
  local expected, count = original:gsub('builder', 'compile')
  if count ~= 3 then
    fail('the fixture names `builder` %d times, expected 3', count)
  end
  if text ~= expected then
    fail('on disk after the rename:\n%s\nexpected:\n%s', text, expected)
  end
end)

case('vim.lsp.buf.format() formats a file, written to disk', function()
  local dir = example_copy('editing')
  local path = dir .. '/unformatted.dockerfile'
  local buf = open(path)
  wait_until_checked(buf, 'add-instead-of-copy')
  -- continuation lines take the buffer's indentation: four spaces
  vim.bo[buf].expandtab = true
  vim.bo[buf].shiftwidth = 4
  vim.bo[buf].tabstop = 4
  vim.lsp.buf.format({ bufnr = buf, name = 'layerwise', timeout_ms = timeout })
  vim.api.nvim_buf_call(buf, function()
    vim.cmd('write')
  end)
  local text = read_file(path)
  local expected = read_file(repo .. '/tests/fixtures/editing/formatted.expected')
  if text ~= expected then
    fail('on disk after formatting:\n%s\nexpected:\n%s', text, expected)
  end
end)

vim.lsp.enable('layerwise', false)

case('Neovim 0.10 fallback: vim.lsp.start from a FileType autocmd', function()
  -- the snippet in editors/neovim/README.md
  local group = vim.api.nvim_create_augroup('layerwise-0.10', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'dockerfile',
    callback = function(args)
      vim.lsp.start({
        name = 'layerwise',
        cmd = { 'layerwise', 'lsp', '--stdio' },
        root_dir = vim.fs.root(args.buf, { '.layerwise.toml', '.dockerignore', '.git' }),
      })
    end,
  })
  local dir = example_copy()
  local buf = open(dir .. '/Dockerfile')
  local diag = wait_for_code(buf, 'cache-busting-copy')
  assert(diag.lnum == 1 and diag.col == 0, 'range ' .. diag.lnum .. ':' .. diag.col)
  vim.api.nvim_del_augroup_by_id(group)
end)

say(string.format('%d passed, %d failed', passed, failed))
os.exit(failed == 0 and 0 or 1)
