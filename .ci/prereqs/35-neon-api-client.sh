# Neon's published API description for tests/neon_pull.rs: the npm package
# @neondatabase/api-client (its OpenAPI document public-v2-for-users.gen.yaml) with ajv and yaml
# to check the Neon API mock's answers and neon-lsp's requests against it, pinned by
# tests/neon_api/package-lock.json and installed into tests/neon_api/node_modules.
if [ ! -f tests/neon_api/node_modules/@neondatabase/api-client/public-v2-for-users.gen.yaml ] \
  || [ ! -d tests/neon_api/node_modules/ajv ] || [ ! -d tests/neon_api/node_modules/yaml ]; then
  (cd tests/neon_api && npm ci --no-audit --no-fund --silent --ignore-scripts)
fi
