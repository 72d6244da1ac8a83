# Toolchains the connection snippets are proven with (tests/snippet_proof.rs): Python with
# psycopg2-binary and azure-identity from PyPI, Node.js with pg and @azure/identity from npm
# (pinned by tests/toolchains/node/package-lock.json).
python3 -c "import psycopg2, azure.identity" 2>/dev/null \
  || python3 -m pip install --quiet psycopg2-binary azure-identity
if [ ! -d tests/toolchains/node/node_modules/pg ] || [ ! -d tests/toolchains/node/node_modules/@azure/identity ]; then
  (cd tests/toolchains/node && npm ci --no-audit --no-fund --silent)
fi
