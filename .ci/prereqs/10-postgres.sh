# PostgreSQL 15 (initdb, pg_ctl, postgres for the throwaway test clusters; psql for the
# test-connection benchmark) and openssl (the clusters' generated CA and certificates).
apt_install postgresql-15 postgresql-client-15 openssl
