//! Pins the catalogue to service-connector.md: §3 (Neon) row by row with example formats, and
//! the §4.2 matrix (Azure PostgreSQL) cell by cell. Each table below is transcribed from the
//! document, not generated from the catalogue.

use super::*;

fn names(target: Target, client: ClientType, auth: AuthType) -> Vec<String> {
    variables(target, client, auth, None)
        .unwrap()
        .into_iter()
        .map(|v| v.name)
        .collect()
}

/// §3: client type → (variable/property, example value format), in the document's order.
const NEON_ROWS: &[(&str, &[(&str, &str)])] = &[
    (
        "dotnet",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "Server=<host>;Database=<db>;Port=5432;Ssl Mode=Require;User Id=<username>;",
        )],
    ),
    (
        "java",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>&password=<password>",
        )],
    ),
    (
        "springboot",
        &[
            (
                "spring.datasource.url",
                "jdbc:postgresql://<host>:5432/<db>?sslmode=require",
            ),
            ("spring.datasource.username", "<username>"),
            ("spring.datasource.password", "<password>"),
        ],
    ),
    (
        "python",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "dbname=<db> host=<host> port=5432 sslmode=require user=<username> password=<password>",
        )],
    ),
    (
        "django",
        &[
            ("NEON_POSTGRESQL_NAME", "<database-name>"),
            ("NEON_POSTGRESQL_HOST", "<host>"),
            ("NEON_POSTGRESQL_USER", "<username>"),
            ("NEON_POSTGRESQL_PASSWORD", "<database-password>"),
        ],
    ),
    (
        "go",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "host=<host> dbname=<db> sslmode=require user=<username> password=<password>",
        )],
    ),
    (
        "nodejs",
        &[
            ("NEON_POSTGRESQL_HOST", "<host>"),
            ("NEON_POSTGRESQL_USER", "<username>"),
            ("NEON_POSTGRESQL_PASSWORD", "<password>"),
            ("NEON_POSTGRESQL_DATABASE", "<database-name>"),
            ("NEON_POSTGRESQL_PORT", "5432"),
            ("NEON_POSTGRESQL_SSL", "true"),
        ],
    ),
    (
        "php",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
        )],
    ),
    (
        "ruby",
        &[(
            "NEON_POSTGRESQL_CONNECTIONSTRING",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
        )],
    ),
    (
        "none",
        &[
            ("NEON_POSTGRESQL_HOST", "<host>"),
            ("NEON_POSTGRESQL_USERNAME", "<username>"),
            ("NEON_POSTGRESQL_DATABASE", "<database-name>"),
            ("NEON_POSTGRESQL_PORT", "5432"),
            ("NEON_POSTGRESQL_SSL", "true"),
            ("NEON_POSTGRESQL_PASSWORD", "<password>"),
        ],
    ),
];

#[test]
fn neon_rows_match_section_3() {
    for (client, expected) in NEON_ROWS {
        let client = ClientType::from_id(client).unwrap();
        let vars = variables(Target::Neon, client, AuthType::Secret, None).unwrap();
        let got: Vec<(&str, &str)> = vars
            .iter()
            .map(|v| (v.name.as_str(), v.entry.example))
            .collect();
        assert_eq!(&got, expected, "client type {client}");
        assert!(
            vars.iter().all(|v| v.entry.source == "N1"),
            "{client}: every Neon row cites N1"
        );
    }
}

#[test]
fn neon_is_secret_only() {
    for client in ClientType::ALL {
        for auth in [
            AuthType::SystemIdentity,
            AuthType::UserIdentity,
            AuthType::ServicePrincipal,
        ] {
            let err = variables(Target::Neon, client, auth, None).unwrap_err();
            assert!(err.to_string().contains("only secret"), "{err}");
        }
    }
}

/// §4.2, abbreviations as in the document: CS, CID, CSEC, TID; other suffixes spelled out.
/// Columns: system-identity, user-identity, secret, service-principal.
const AZURE_MATRIX: &[(&str, [&str; 4])] = &[
    ("dotnet", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    ("java", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    (
        "springboot",
        [
            "spring.datasource.azure.passwordless-enabled spring.datasource.url spring.datasource.username",
            "spring.datasource.azure.passwordless-enabled spring.cloud.azure.credential.client-id spring.cloud.azure.credential.client-managed-identity-enabled spring.datasource.url spring.datasource.username",
            "spring.datasource.url spring.datasource.username spring.datasource.password",
            "spring.datasource.azure.passwordless-enabled spring.cloud.azure.credential.client-id spring.cloud.azure.credential.client-secret spring.cloud.azure.credential.tenant-id spring.datasource.url spring.datasource.username",
        ],
    ),
    ("python", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    (
        "django",
        [
            "NAME HOST USER",
            "NAME HOST USER CID",
            "NAME HOST USER PASSWORD",
            "NAME HOST USER CID CSEC TID",
        ],
    ),
    ("go", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    (
        "nodejs",
        [
            "HOST USER DATABASE PORT SSL",
            "HOST USER DATABASE PORT SSL CID",
            "HOST USER PASSWORD DATABASE PORT SSL",
            "HOST USER DATABASE PORT SSL CID CSEC TID",
        ],
    ),
    ("php", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    ("ruby", ["CS", "CID CS", "CS", "CID CSEC TID CS"]),
    (
        "none",
        [
            "HOST USERNAME DATABASE PORT SSL",
            "HOST USERNAME DATABASE PORT SSL CID",
            "HOST USERNAME DATABASE PORT SSL PASSWORD",
            "HOST USERNAME DATABASE PORT SSL CID CSEC TID",
        ],
    ),
];

fn expand(cell: &str) -> Vec<String> {
    cell.split_whitespace()
        .map(|word| match word {
            "CS" => "AZURE_POSTGRESQL_CONNECTIONSTRING".to_string(),
            "CID" => "AZURE_POSTGRESQL_CLIENTID".to_string(),
            "CSEC" => "AZURE_POSTGRESQL_CLIENTSECRET".to_string(),
            "TID" => "AZURE_POSTGRESQL_TENANTID".to_string(),
            w if w.contains('.') => w.to_string(),
            w => format!("AZURE_POSTGRESQL_{w}"),
        })
        .collect()
}

#[test]
fn azure_matrix_matches_section_4_2() {
    let columns = [
        AuthType::SystemIdentity,
        AuthType::UserIdentity,
        AuthType::Secret,
        AuthType::ServicePrincipal,
    ];
    for (client, cells) in AZURE_MATRIX {
        let client = ClientType::from_id(client).unwrap();
        for (auth, cell) in columns.iter().zip(cells) {
            let mut got = names(Target::AzurePostgresql, client, *auth);
            let mut expected = expand(cell);
            got.sort();
            expected.sort();
            assert_eq!(got, expected, "{client} × {auth}");
        }
    }
}

/// §4.1: connection-string formats; passwordless strings carry no password, secret ones do
/// (except .NET, whose documented string has none in either mode, §6.2).
#[test]
fn azure_connection_string_formats_match_section_4_1() {
    let rows: &[(&str, &str, &str)] = &[
        (
            "dotnet",
            "Server=<host>;Database=<db>;Port=5432;Ssl Mode=Require;User Id=<username>;",
            "Server=<host>;Database=<db>;Port=5432;Ssl Mode=Require;User Id=<username>;",
        ),
        (
            "java",
            "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>",
            "jdbc:postgresql://<host>:5432/<db>?sslmode=require&user=<username>&password=<password>",
        ),
        (
            "python",
            "dbname=<db> host=<host> port=5432 sslmode=require user=<username>",
            "dbname=<db> host=<host> port=5432 sslmode=require user=<username> password=<password>",
        ),
        (
            "go",
            "host=<host> dbname=<db> sslmode=require user=<username>",
            "host=<host> dbname=<db> sslmode=require user=<username> password=<password>",
        ),
        (
            "php",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username>",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
        ),
        (
            "ruby",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username>",
            "host=<host> port=5432 dbname=<db> sslmode=require user=<username> password=<password>",
        ),
    ];
    for (client, passwordless, secret) in rows {
        let client = ClientType::from_id(client).unwrap();
        let cs = |auth| {
            variables(Target::AzurePostgresql, client, auth, None)
                .unwrap()
                .into_iter()
                .find(|v| v.field() == Some(Field::ConnectionString))
                .unwrap()
        };
        for auth in [
            AuthType::SystemIdentity,
            AuthType::UserIdentity,
            AuthType::ServicePrincipal,
        ] {
            assert_eq!(cs(auth).entry.example, *passwordless, "{client} × {auth}");
            assert!(!cs(auth).entry.carries_password);
        }
        assert_eq!(
            cs(AuthType::Secret).entry.example,
            *secret,
            "{client} × secret"
        );
        assert_eq!(
            cs(AuthType::Secret).entry.carries_password,
            client != ClientType::DotNet
        );
    }
}

#[test]
fn every_row_cites_a_source() {
    for target in Target::ALL {
        for client in ClientType::ALL {
            for auth in target.auth_types() {
                for var in variables(target, client, *auth, None).unwrap() {
                    assert!(["N1", "P1"].contains(&var.entry.source), "{}", var.name);
                }
            }
        }
    }
}

#[test]
fn named_connections_follow_the_convention() {
    let vars = variables(
        Target::Neon,
        ClientType::NodeJs,
        AuthType::Secret,
        Some("orders-db"),
    )
    .unwrap();
    assert_eq!(vars[0].name, "NEON_POSTGRESQL_ORDERS_DB_HOST");
    let vars = variables(
        Target::AzurePostgresql,
        ClientType::Python,
        AuthType::Secret,
        Some("reports"),
    )
    .unwrap();
    assert_eq!(vars[0].name, "AZURE_POSTGRESQL_REPORTS_CONNECTIONSTRING");
    // Spring Boot keeps Spring's property names (C1).
    let vars = variables(
        Target::Neon,
        ClientType::SpringBoot,
        AuthType::Secret,
        Some("reports"),
    )
    .unwrap();
    assert_eq!(vars[0].name, "spring.datasource.url");
}

#[test]
fn parse_name_recognises_fields_and_connections() {
    let parsed = parse_name("NEON_POSTGRESQL_HOST").unwrap();
    assert_eq!(
        (parsed.target, parsed.connection, parsed.field),
        (Target::Neon, None, Field::Host)
    );
    let parsed = parse_name("AZURE_POSTGRESQL_REPORTS_CONNECTIONSTRING").unwrap();
    assert_eq!(parsed.connection.as_deref(), Some("REPORTS"));
    assert_eq!(parsed.field, Field::ConnectionString);
    // USERNAME is a field, not connection "USER" + field "NAME".
    assert_eq!(
        parse_name("NEON_POSTGRESQL_USERNAME").unwrap().field,
        Field::Username
    );
    assert_eq!(
        parse_name("NEON_POSTGRESQL_ORDERS_USERNAME").unwrap().field,
        Field::Username
    );
    for near_miss in [
        "NEON_POSTGRESQL_CONNECTION_STRING",
        "NEON_POSTGRESQL_DATABASE_NAME",
        "NEON_POSTGRES_HOST",
        "NEON_POSTGRESQL_PASS",
        "Azure_POSTGRESQL_CONNECTIONSTRING",
    ] {
        assert_eq!(parse_name(near_miss), None, "{near_miss}");
        assert!(looks_like_service_connector_name(near_miss), "{near_miss}");
    }
    assert!(!looks_like_service_connector_name("DATABASE_URL"));
}

#[test]
fn closest_suggests_the_likely_name() {
    let candidates = all_env_names(Target::Neon, None);
    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
    assert_eq!(
        closest(
            "NEON_POSTGRESQL_CONNECTION_STRING",
            candidates.iter().copied()
        ),
        Some("NEON_POSTGRESQL_CONNECTIONSTRING")
    );
    assert_eq!(
        closest("NEON_POSTGRES_HOST", candidates.iter().copied()),
        Some("NEON_POSTGRESQL_HOST")
    );
    assert_eq!(
        closest("NEON_POSTGRESQL_PASWORD", candidates.iter().copied()),
        Some("NEON_POSTGRESQL_PASSWORD")
    );
    assert_eq!(
        closest("SOMETHING_ELSE_ENTIRELY", candidates.iter().copied()),
        None
    );
}

/// Near-miss names and what they mean (issue 13 item 7; issue 14 item 3 builds safe renames on
/// it): the meaning of the last word(s) first, edit distance only for plain typos.
#[test]
fn suggestions_by_meaning() {
    let nodejs_azure = [
        "AZURE_POSTGRESQL_HOST",
        "AZURE_POSTGRESQL_PORT",
        "AZURE_POSTGRESQL_DATABASE",
        "AZURE_POSTGRESQL_USER",
        "AZURE_POSTGRESQL_PASSWORD",
        "AZURE_POSTGRESQL_SSL",
    ];
    let django_neon = [
        "NEON_POSTGRESQL_HOST",
        "NEON_POSTGRESQL_NAME",
        "NEON_POSTGRESQL_USER",
        "NEON_POSTGRESQL_PASSWORD",
    ];
    let python_neon = ["NEON_POSTGRESQL_CONNECTIONSTRING"];
    let none_neon = [
        "NEON_POSTGRESQL_HOST",
        "NEON_POSTGRESQL_USERNAME",
        "NEON_POSTGRESQL_PASSWORD",
        "NEON_POSTGRESQL_DATABASE",
    ];
    let table: &[(&str, &[&str], Option<&str>)] = &[
        (
            "AZURE_POSTGRES_DB",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_DATABASE"),
        ),
        (
            "AZURE_POSTGRESQL_DBNAME",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_DATABASE"),
        ),
        (
            "AZURE_POSTGRESQL_DB_NAME",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_DATABASE"),
        ),
        (
            "NEON_POSTGRESQL_DB",
            &django_neon,
            Some("NEON_POSTGRESQL_NAME"),
        ),
        (
            "NEON_POSTGRESQL_DATABASE",
            &django_neon,
            Some("NEON_POSTGRESQL_NAME"),
        ),
        (
            "NEON_POSTGRESQL_URL",
            &python_neon,
            Some("NEON_POSTGRESQL_CONNECTIONSTRING"),
        ),
        (
            "NEON_POSTGRESQL_DSN",
            &python_neon,
            Some("NEON_POSTGRESQL_CONNECTIONSTRING"),
        ),
        (
            "NEON_POSTGRESQL_CONNECTION_STRING",
            &python_neon,
            Some("NEON_POSTGRESQL_CONNECTIONSTRING"),
        ),
        // A URL for a client type that gets components: no single member means it.
        ("AZURE_POSTGRESQL_URL", &nodejs_azure, None),
        (
            "AZURE_POSTGRESQL_PASS",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_PASSWORD"),
        ),
        (
            "AZURE_POSTGRESQL_PWD",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_PASSWORD"),
        ),
        (
            "AZURE_POSTGRESQL_USERNAME",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_USER"),
        ),
        (
            "NEON_POSTGRESQL_USER",
            &none_neon,
            Some("NEON_POSTGRESQL_USERNAME"),
        ),
        (
            "AZURE_POSTGRESQL_HOSTNAME",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_HOST"),
        ),
        (
            "AZURE_POSTGRESQL_SSLMODE",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_SSL"),
        ),
        // Plain typos: edit distance.
        (
            "NEON_POSTGRESQL_PASSWROD",
            &none_neon,
            Some("NEON_POSTGRESQL_PASSWORD"),
        ),
        (
            "AZURE_POSTGRESQL_DATABSE",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_DATABASE"),
        ),
        (
            "AZURE_POSTGRESQL_HOTS",
            &nodejs_azure,
            Some("AZURE_POSTGRESQL_HOST"),
        ),
        // Nothing close, nothing meant.
        ("AZURE_POSTGRESQL_REGION", &nodejs_azure, None),
    ];
    for (name, candidates, expected) in table {
        assert_eq!(suggest(name, candidates), *expected, "{name}");
    }
}

/// Issue 14 item 3: a rename is safe only when one name of the client type means it and the
/// rest of the name is the suggestion's own. The Node app: `_URL`, `_URI` get no rename
/// (Node gets components, not a string), `_DB` and `_PASS` their own field, never `_SSL` or
/// `_HOST`; the .env typo `_DATABSE` is a certain rename.
#[test]
fn renames_are_certain_only_when_they_keep_the_meaning() {
    let nodejs_neon = [
        "NEON_POSTGRESQL_HOST",
        "NEON_POSTGRESQL_PORT",
        "NEON_POSTGRESQL_DATABASE",
        "NEON_POSTGRESQL_USER",
        "NEON_POSTGRESQL_PASSWORD",
        "NEON_POSTGRESQL_SSL",
    ];
    let django_neon = [
        "NEON_POSTGRESQL_HOST",
        "NEON_POSTGRESQL_NAME",
        "NEON_POSTGRESQL_USER",
        "NEON_POSTGRESQL_PASSWORD",
    ];
    let all_neon = all_env_names(Target::Neon, None);
    let all_neon: Vec<&str> = all_neon.iter().map(String::as_str).collect();
    type Row<'a> = (&'a str, &'a [&'a str], Option<(&'a str, bool)>);
    let table: &[Row] = &[
        ("NEON_POSTGRESQL_URL", &nodejs_neon, None),
        ("NEON_POSTGRESQL_URI", &nodejs_neon, None),
        ("NEON_POSTGRESQL_DSN", &nodejs_neon, None),
        (
            "NEON_POSTGRESQL_DB",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_DATABASE", true)),
        ),
        (
            "NEON_POSTGRESQL_PASS",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_PASSWORD", true)),
        ),
        (
            "NEON_POSTGRESQL_PWD",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_PASSWORD", true)),
        ),
        (
            "NEON_POSTGRESQL_DATABSE",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_DATABASE", true)),
        ),
        // A misspelt field word means what it misspells, in this client type's words.
        (
            "NEON_POSTGRESQL_DATABSE",
            &django_neon,
            Some(("NEON_POSTGRESQL_NAME", true)),
        ),
        (
            "NEON_POSTGRESQL_PASWORD",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_PASSWORD", true)),
        ),
        (
            "NEON_POSTGRES_HOST",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_HOST", true)),
        ),
        (
            "NEON_PG_USERNAME",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_USER", true)),
        ),
        (
            "NEON_POSTGRESQL_CONNECTION_STRING",
            &["NEON_POSTGRESQL_CONNECTIONSTRING"],
            Some(("NEON_POSTGRESQL_CONNECTIONSTRING", true)),
        ),
        // Another connection's name or another service's prefix: not the same meaning.
        (
            "NEON_POSTGRESQL_ORDERS_DB",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_DATABASE", false)),
        ),
        (
            "AZURE_POSTGRESQL_HOST_NAME",
            &nodejs_neon,
            Some(("NEON_POSTGRESQL_HOST", false)),
        ),
        // Every name of the target (client type unknown): `_USER` and `_USERNAME` both fit.
        (
            "NEON_POSTGRESQL_LOGIN",
            &all_neon,
            Some(("NEON_POSTGRESQL_USER", false)),
        ),
        ("NEON_POSTGRESQL_REGION", &nodejs_neon, None),
    ];
    for (name, candidates, expected) in table {
        let got = suggest_rename(name, candidates).map(|s| (s.name, s.certain));
        assert_eq!(got, *expected, "{name}");
    }
}
