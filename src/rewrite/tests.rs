//! Snapshot tests of the rewrites: the file after each fix, with its title.

use super::{Source, Wiring};
use crate::catalogue::{self, AuthType, ClientType, Field, Target};
use crate::diagnostic::Fix;
use crate::scan::{self, Language};
use crate::text::TextRange;

fn wiring(client_type: ClientType, auth: AuthType) -> Wiring {
    let variables =
        catalogue::variables(Target::AzurePostgresql, client_type, auth, None).unwrap_or_default();
    Wiring {
        client_type,
        variables: variables
            .iter()
            .filter_map(|v| Some((v.field()?, v.name.clone())))
            .collect(),
        properties: variables
            .iter()
            .filter(|v| v.field().is_none())
            .map(|v| v.name.clone())
            .collect(),
        password_in_connection_string: variables
            .iter()
            .any(|v| v.field() == Some(Field::ConnectionString) && v.entry.carries_password),
    }
}

fn applied(text: &str, fix: &Fix) -> String {
    let mut out = text.to_owned();
    let mut edits: Vec<_> = fix.edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
    for edit in edits {
        out.replace_range(edit.range.start..edit.range.end, &edit.new_text);
    }
    format!("# {} ({:?})\n{out}", fix.title, fix.applicability)
}

/// The fix for the read of `name` in `text` (found by the scanner, as the rule finds it).
fn wrong_read(
    path: &str,
    text: &str,
    name: &str,
    client_type: ClientType,
    auth: AuthType,
) -> String {
    let language = Language::for_path(path).unwrap();
    let scanned = scan::scan(language, text);
    let reads: Vec<TextRange> = scanned.env_refs.iter().map(|r| r.expr_range).collect();
    let read = scanned.env_refs.iter().find(|r| r.name == name).unwrap();
    let field = catalogue::parse_name(name).unwrap().field;
    let mut source = Source::new(path, text, language);
    let site = source.site(read.expr_range, read.name_range, field);
    match source.wrong_read(site, &wiring(client_type, auth), &reads) {
        Some(fix) => applied(text, &fix),
        None => "no fix".to_owned(),
    }
}

#[test]
fn node_pool_with_connection_string_gets_the_pg_config() {
    let text = "const { Pool } = require(\"pg\");\n\nconst pool = new Pool({\n  connectionString: process.env.AZURE_POSTGRESQL_CONNECTIONSTRING,\n  max: 5,\n});\n";
    insta::assert_snapshot!(wrong_read(
        "db.js",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::NodeJs,
        AuthType::Secret
    ));
}

#[test]
fn node_client_with_a_string_argument_gets_the_config_object() {
    let text = "import pg from \"pg\";\n\nexport function connect() {\n  const client = new pg.Client(process.env.AZURE_POSTGRESQL_CONNECTIONSTRING);\n  return client.connect();\n}\n";
    insta::assert_snapshot!(wrong_read(
        "db.mjs",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::NodeJs,
        AuthType::Secret
    ));
}

#[test]
fn node_string_elsewhere_becomes_a_url_from_the_parts() {
    let text = "await runner({ databaseUrl: process.env.AZURE_POSTGRESQL_CONNECTIONSTRING, dir: \"migrations\" });\n";
    insta::assert_snapshot!(wrong_read(
        "migrate.ts",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::NodeJs,
        AuthType::SystemIdentity
    ));
}

#[test]
fn python_connect_with_components_gets_the_libpq_string() {
    let text = "import os\n\nimport psycopg2\n\nconn = psycopg2.connect(\n    host=os.environ[\"AZURE_POSTGRESQL_HOST\"],\n    user=os.environ[\"AZURE_POSTGRESQL_USER\"],\n    connect_timeout=5,\n)\n";
    insta::assert_snapshot!(wrong_read(
        "app.py",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Python,
        AuthType::Secret
    ));
}

#[test]
fn python_component_elsewhere_is_parsed_by_the_driver() {
    let text = "import os\n\nHOST = os.getenv(\"AZURE_POSTGRESQL_HOST\")\n";
    insta::assert_snapshot!(wrong_read(
        "settings.py",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Python,
        AuthType::Secret
    ));
}

#[test]
fn django_port_is_5432() {
    let text = "import os\n\nPORT = os.environ.get(\"AZURE_POSTGRESQL_PORT\", \"5432\")\n";
    insta::assert_snapshot!(wrong_read(
        "settings.py",
        text,
        "AZURE_POSTGRESQL_PORT",
        ClientType::Django,
        AuthType::Secret
    ));
}

#[test]
fn dotnet_component_reads_the_npgsql_builder() {
    let text = "var host = Environment.GetEnvironmentVariable(\"AZURE_POSTGRESQL_HOST\");\n";
    insta::assert_snapshot!(wrong_read(
        "Program.cs",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::DotNet,
        AuthType::Secret
    ));
}

#[test]
fn java_component_reads_the_jdbc_url() {
    let text = "class Db {\n  String host = System.getenv(\"AZURE_POSTGRESQL_HOST\");\n}\n";
    insta::assert_snapshot!(wrong_read(
        "Db.java",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Java,
        AuthType::Secret
    ));
}

#[test]
fn go_sprintf_of_components_becomes_the_connection_string() {
    let text = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc dsn() string {\n\treturn fmt.Sprintf(\"host=%s user=%s\", os.Getenv(\"AZURE_POSTGRESQL_HOST\"), os.Getenv(\"AZURE_POSTGRESQL_USER\"))\n}\n";
    insta::assert_snapshot!(wrong_read(
        "main.go",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Go,
        AuthType::Secret
    ));
}

#[test]
fn php_pg_connect_gets_the_connection_string() {
    let text = "<?php\n$conn = pg_connect(\"host=\" . getenv('AZURE_POSTGRESQL_HOST') . \" dbname=app\");\n";
    insta::assert_snapshot!(wrong_read(
        "db.php",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Php,
        AuthType::Secret
    ));
}

#[test]
fn ruby_component_is_parsed_by_ruby_pg() {
    let text = "host = ENV[\"AZURE_POSTGRESQL_HOST\"]\n";
    insta::assert_snapshot!(wrong_read(
        "app.rb",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Ruby,
        AuthType::Secret
    ));
}

#[test]
fn shell_connection_string_is_built_from_the_components() {
    let text = "#!/bin/sh\npsql \"$AZURE_POSTGRESQL_CONNECTIONSTRING\" -c 'select 1'\n";
    insta::assert_snapshot!(wrong_read(
        "check.sh",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::None,
        AuthType::Secret
    ));
}

#[test]
fn spring_property_set_by_service_connector_is_removed() {
    let text =
        "spring.application.name=app\nspring.datasource.username=${AZURE_POSTGRESQL_USERNAME}\n";
    insta::assert_snapshot!(wrong_read(
        "application.properties",
        text,
        "AZURE_POSTGRESQL_USERNAME",
        ClientType::SpringBoot,
        AuthType::Secret
    ));
}

fn missing(
    path: &str,
    text: &str,
    client_type: ClientType,
    auth: AuthType,
    fields: &[Field],
) -> String {
    let language = Language::for_path(path).unwrap();
    let scanned = scan::scan(language, text);
    let wiring = wiring(client_type, auth);
    let mut source = Source::new(path, text, language);
    let present: Vec<_> = scanned
        .env_refs
        .iter()
        .filter_map(|r| {
            let field = catalogue::parse_name(&r.name)?.field;
            Some(source.site(r.expr_range, r.name_range, field))
        })
        .collect();
    let missing: Vec<(Field, &str)> = fields
        .iter()
        .filter_map(|f| Some((*f, wiring.name(*f)?)))
        .collect();
    match source.missing_reads(&present, &missing) {
        Some(fix) => applied(text, &fix),
        None => "no fix".to_owned(),
    }
}

#[test]
fn node_config_gets_its_ssl_property() {
    let text = "const pool = new Pool({\n  host: process.env.AZURE_POSTGRESQL_HOST,\n  user: process.env.AZURE_POSTGRESQL_USER,\n  port: Number(process.env.AZURE_POSTGRESQL_PORT)\n});\n";
    insta::assert_snapshot!(missing(
        "db.js",
        text,
        ClientType::NodeJs,
        AuthType::Secret,
        &[Field::Ssl]
    ));
}

#[test]
fn python_credential_gets_the_client_id() {
    let text = "import os\nfrom azure.identity import DefaultAzureCredential\n\ncredential = DefaultAzureCredential()\ndsn = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\n";
    insta::assert_snapshot!(missing(
        "db.py",
        text,
        ClientType::Python,
        AuthType::UserIdentity,
        &[Field::ClientId]
    ));
}

#[test]
fn django_databases_entry_gets_its_missing_key() {
    let text = "import os\nDATABASES = {\"default\": {\n    \"NAME\": os.environ[\"AZURE_POSTGRESQL_NAME\"],\n    \"HOST\": os.environ[\"AZURE_POSTGRESQL_HOST\"],\n}}\n";
    insta::assert_snapshot!(missing(
        "settings.py",
        text,
        ClientType::Django,
        AuthType::Secret,
        &[Field::User]
    ));
}

fn hand_parse(path: &str, text: &str) -> String {
    let language = Language::for_path(path).unwrap();
    let scanned = scan::scan(language, text);
    let split = scanned.split_calls.last().unwrap();
    let mut source = Source::new(path, text, language);
    match source.hand_parse(split.range, split.receiver_range, None) {
        Some(fix) => applied(text, &fix),
        None => "no fix".to_owned(),
    }
}

#[test]
fn python_dict_from_a_split_becomes_parse_dsn() {
    let text = "import os\n\nimport psycopg2\n\ns = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparams = dict(p.split(\"=\") for p in s.split(\" \"))\n";
    insta::assert_snapshot!(hand_parse("app.py", text));
}

#[test]
fn ruby_split_becomes_conninfo_parse() {
    let text =
        "conninfo = ENV[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparts = conninfo.split(\" \")\n";
    insta::assert_snapshot!(hand_parse("app.rb", text));
}

#[test]
fn sqlalchemy_url_from_components_connects_with_the_libpq_string() {
    let text = "import os\n\nfrom sqlalchemy import create_engine\n\nengine = create_engine(\n    f\"postgresql+psycopg2://{os.environ['AZURE_POSTGRESQL_USER']}:{os.environ['AZURE_POSTGRESQL_PASSWORD']}@{os.environ['AZURE_POSTGRESQL_HOST']}/{os.environ['AZURE_POSTGRESQL_DATABASE']}\",\n    pool_pre_ping=True,\n)\n";
    insta::assert_snapshot!(wrong_read(
        "db.py",
        text,
        "AZURE_POSTGRESQL_HOST",
        ClientType::Python,
        AuthType::Secret
    ));
}

#[test]
fn sqlalchemy_url_create_with_psycopg3_uses_psycopg_connect() {
    let text = "import os\n\nimport sqlalchemy as sa\n\nengine = sa.create_engine(sa.engine.URL.create(\"postgresql+psycopg\", host=os.getenv(\"AZURE_POSTGRESQL_HOST\"), database=os.getenv(\"AZURE_POSTGRESQL_DATABASE\")), echo=False)\n";
    insta::assert_snapshot!(wrong_read(
        "db.py",
        text,
        "AZURE_POSTGRESQL_DATABASE",
        ClientType::Python,
        AuthType::Secret
    ));
}

#[test]
fn sqlalchemy_with_asyncpg_or_connect_args_is_not_rewritten_whole() {
    for text in [
        "import os\nfrom sqlalchemy.ext.asyncio import create_async_engine\nfrom sqlalchemy import create_engine\nengine = create_engine(f\"postgresql+asyncpg://{os.environ['AZURE_POSTGRESQL_HOST']}/db\")\n",
        "import os\nfrom sqlalchemy import create_engine\nengine = create_engine(f\"postgresql://{os.environ['AZURE_POSTGRESQL_HOST']}/db\", connect_args={\"options\": \"-c timezone=utc\"})\n",
    ] {
        let fixed = wrong_read(
            "db.py",
            text,
            "AZURE_POSTGRESQL_HOST",
            ClientType::Python,
            AuthType::Secret,
        );
        assert!(!fixed.contains("creator="), "{fixed}");
    }
}

#[test]
fn django_dj_database_url_becomes_the_databases_entry() {
    let text = "import os\n\nimport dj_database_url\n\nDATABASES = {\n    \"default\": dj_database_url.config(\n        default=os.environ.get(\"AZURE_POSTGRESQL_CONNECTIONSTRING\"),\n        conn_max_age=600,\n        ssl_require=True,\n    ),\n}\n";
    insta::assert_snapshot!(wrong_read(
        "mysite/settings.py",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::Django,
        AuthType::Secret
    ));
}

#[test]
fn django_databases_from_a_split_reads_django_variables() {
    let text = "import os\n\nconn_str = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparams = dict(pair.split(\"=\") for pair in conn_str.split())\n\nDATABASES = {\n    \"default\": {\n        \"ENGINE\": \"django.db.backends.postgresql\",\n        \"NAME\": params[\"dbname\"],\n        \"HOST\": params[\"host\"],\n        \"USER\": params[\"user\"],\n        \"PASSWORD\": params[\"password\"],\n    }\n}\n";
    insta::assert_snapshot!(wrong_read(
        "mysite/settings.py",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::Django,
        AuthType::Secret
    ));
}

/// A name the split binds that other code also uses: removing its statement would break that
/// code, so there is no whole rewrite.
#[test]
fn django_split_used_elsewhere_is_not_removed() {
    let text = "import os\n\nconn_str = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparams = dict(pair.split(\"=\") for pair in conn_str.split())\n\nDATABASES = {\n    \"default\": {\n        \"NAME\": params[\"dbname\"],\n        \"HOST\": params[\"host\"],\n    }\n}\nREPLICA_HOST = params[\"host\"]\n";
    let fixed = wrong_read(
        "mysite/settings.py",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::Django,
        AuthType::Secret,
    );
    assert!(!fixed.contains("AZURE_POSTGRESQL_NAME"), "{fixed}");
}

/// A passwordless Django connection gets no password variable: the entry would need a token.
#[test]
fn django_passwordless_gets_no_entry_without_a_token() {
    let text = "import os\nimport dj_database_url\nDATABASES = {\"default\": dj_database_url.parse(os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"])}\n";
    let fixed = wrong_read(
        "mysite/settings.py",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::Django,
        AuthType::SystemIdentity,
    );
    assert!(!fixed.contains("AZURE_POSTGRESQL_NAME"), "{fixed}");
}

#[test]
fn spring_properties_read_the_spring_datasource_properties() {
    let text = "spring.application.name=orders\nreporting.datasource.jdbc-url=${AZURE_POSTGRESQL_CONNECTIONSTRING}\nreporting.datasource.username=${AZURE_POSTGRESQL_USER}\n";
    insta::assert_snapshot!(wrong_read(
        "src/main/resources/application.properties",
        text,
        "AZURE_POSTGRESQL_CONNECTIONSTRING",
        ClientType::SpringBoot,
        AuthType::Secret
    ));
}

#[test]
fn python_split_into_a_sqlalchemy_url_gets_url_create() {
    let text = "import os\n\nconn = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparts = {p.split(\"=\")[0]: p.split(\"=\")[1] for p in conn.split(\" \")}\n\nDATABASE_URI = f\"postgresql+psycopg2://{parts['user']}:{parts['password']}@{parts['host']}/{parts['dbname']}\"\n";
    insta::assert_snapshot!(hand_parse("app.py", text));
}

/// asyncpg takes no libpq keywords: the URL is left as it is, only the split is replaced.
#[test]
fn python_split_into_an_asyncpg_url_keeps_the_url() {
    let text = "import os\n\nconn = os.environ[\"AZURE_POSTGRESQL_CONNECTIONSTRING\"]\nparts = dict(p.split(\"=\") for p in conn.split())\nURI = \"postgresql+asyncpg://{user}:{password}@{host}/{dbname}\".format(**parts)\n";
    let fixed = hand_parse("app.py", text);
    assert!(
        fixed.contains("parse_dsn(conn)") && !fixed.contains("URL.create"),
        "{fixed}"
    );
}
