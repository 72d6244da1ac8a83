# A real OpenID provider for tests/neon_auth.rs: the npm package oidc-provider, pinned by
# tests/oidc/package-lock.json and installed into tests/oidc/node_modules (npm's cache makes
# repeated installs offline-fast). Node.js itself comes from .ci/run's base prerequisites.
if [ ! -f tests/oidc/node_modules/oidc-provider/package.json ]; then
  (cd tests/oidc && npm ci --no-audit --no-fund --silent)
fi
