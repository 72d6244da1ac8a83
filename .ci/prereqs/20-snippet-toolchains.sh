# Toolchains the connection snippets are proven with (tests/snippet_proof.rs): Python with
# psycopg2-binary and azure-identity from PyPI (and SQLAlchemy and dj-database-url, for the
# framework rewrites tests/fix_proof.rs connects with), Node.js with pg and @azure/identity from npm
# (pinned by tests/toolchains/node/package-lock.json), and from Debian: Go with pgx (v4, whose
# API the v5 snippets use), the PostgreSQL JDBC driver, Spring's JDBC jars (compile check), PHP
# with pgsql, Ruby with pg, and psql + curl + jq for the shell snippets.
apt_install php-cli php-pgsql ruby ruby-pg libpostgresql-jdbc-java golang-go golang-github-jackc-pgx-v4-dev curl jq \
  libspring-jdbc-java libspring-context-java
command -v javac >/dev/null || apt_install default-jdk-headless
python3 -c "import psycopg2, azure.identity, django, sqlalchemy, dj_database_url" 2>/dev/null \
  || python3 -m pip install --quiet psycopg2-binary azure-identity Django SQLAlchemy dj-database-url
if [ ! -d tests/toolchains/node/node_modules/pg ] || [ ! -d tests/toolchains/node/node_modules/@azure/identity ] || [ ! -d tests/toolchains/node/node_modules/typescript ]; then
  (cd tests/toolchains/node && npm ci --no-audit --no-fund --silent)
fi
