//! Tests across the formats: Service Connector's documented strings, conversions, detection,
//! every error kind with its range, secrets in every output, and property tests.

use super::*;
use proptest::prelude::*;

const NEON_HOST: &str = "ep-still-mud-a12aa123.eastus2.azure.neon.tech";
const AZURE_HOST: &str = "contoso-db.postgres.database.azure.com";
/// Distinctive enough that finding it anywhere means a leak.
const SECRET: &str = "Zq9;x=@/%41 'é\"\\Leak";

fn neon_params(password: Option<&str>) -> ConnectionParams {
    ConnectionParams {
        hosts: vec![host_and_port(NEON_HOST, Some(5432))],
        database: Some("neondb".into()),
        user: Some("neondb_owner".into()),
        password: password.map(Password::new),
        ssl_mode: Some(SslMode::Require),
        ..ConnectionParams::default()
    }
}

fn range_text<'a>(text: &'a str, error: &ParseError) -> &'a str {
    &text[error.range.start..error.range.end]
}

// ----- Service Connector's documented strings (service-connector.md §3 and §4) -----

#[test]
fn neon_dotnet_string_without_password() {
    let text = format!(
        "Server={NEON_HOST};Database=neondb;Port=5432;Ssl Mode=Require;User Id=neondb_owner;"
    );
    assert_eq!(detect_format(&text), Some(Format::Npgsql));
    let (format, params) = parse(&text).unwrap();
    assert_eq!(format, Format::Npgsql);
    assert_eq!(params, neon_params(None));
    assert_eq!(params.render(Format::Npgsql), text);
}

#[test]
fn legacy_dotnet_string_with_password() {
    let text = format!(
        "Server={AZURE_HOST};Database=appdb;Port=5432;Ssl Mode=Require;User Id=admin@contoso-db;Password=s3cr;t;"
    );
    // An unquoted `;` in the password splits it, as in .NET: the rest has no `=`.
    let error = parse(&text).unwrap_err();
    assert_eq!(error.kind, ParseErrorKind::MissingValue);
    assert_eq!(range_text(&text, &error), "t");
    assert!(!error.message.contains("t;"), "{}", error.message);
    let quoted = text.replace("Password=s3cr;t;", "Password=\"s3cr;t\";");
    let params = parse_as(&quoted, Format::Npgsql).unwrap();
    assert_eq!(
        params.password.as_ref().map(Password::expose),
        Some("s3cr;t")
    );
    assert_eq!(params.user.as_deref(), Some("admin@contoso-db"));
}

#[test]
fn neon_java_url() {
    let text = format!(
        "jdbc:postgresql://{NEON_HOST}:5432/neondb?sslmode=require&user=neondb_owner&password=npg_Abc123"
    );
    let (format, params) = parse(&text).unwrap();
    assert_eq!(format, Format::Jdbc);
    assert_eq!(params, neon_params(Some("npg_Abc123")));
    assert_eq!(params.render(Format::Jdbc), text);
}

#[test]
fn spring_boot_url_has_no_credentials() {
    let text = format!("jdbc:postgresql://{NEON_HOST}:5432/neondb?sslmode=require");
    let params = parse_as(&text, Format::Jdbc).unwrap();
    assert_eq!(params.user, None);
    assert_eq!(params.password, None);
    assert_eq!(params.ssl_mode, Some(SslMode::Require));
}

#[test]
fn azure_java_passwordless_url_with_plugin() {
    let text = format!(
        "jdbc:postgresql://{AZURE_HOST}:5432/appdb?sslmode=require&user=aad_myconn&authenticationPluginClassName=com.azure.identity.extensions.jdbc.postgresql.AzurePostgresqlAuthenticationPlugin"
    );
    let params = parse_as(&text, Format::Jdbc).unwrap();
    assert_eq!(params.user.as_deref(), Some("aad_myconn"));
    assert_eq!(
        params.option("authenticationPluginClassName"),
        Some("com.azure.identity.extensions.jdbc.postgresql.AzurePostgresqlAuthenticationPlugin")
    );
    assert_eq!(params.render(Format::Jdbc), text);
}

#[test]
fn python_php_ruby_go_key_value_strings() {
    let python = format!(
        "dbname=neondb host={NEON_HOST} port=5432 sslmode=require user=neondb_owner password=npg_Abc123"
    );
    let php = format!(
        "host={NEON_HOST} port=5432 dbname=neondb sslmode=require user=neondb_owner password=npg_Abc123"
    );
    let go = format!(
        "host={NEON_HOST} dbname=neondb sslmode=require user=neondb_owner password=npg_Abc123"
    );
    let expected = neon_params(Some("npg_Abc123"));
    for text in [&python, &php] {
        assert_eq!(parse(text).unwrap(), (Format::KeyValue, expected.clone()));
    }
    let go_params = parse_as(&go, Format::KeyValue).unwrap();
    assert_eq!(go_params.hosts, vec![host_and_port(NEON_HOST, None)]);
    assert_eq!(go_params.port(), 5432);

    assert_eq!(expected.render(Format::KeyValue), php);
    let python_order = ["dbname", "host", "port", "sslmode", "user", "password"];
    assert_eq!(expected.render_key_value_ordered(&python_order), python);
    let go_order = ["host", "dbname", "sslmode", "user", "password"];
    assert_eq!(expected.render_key_value_ordered(&go_order), go);
    // A port other than the default is never dropped.
    let mut other_port = expected.clone();
    other_port.hosts[0].1 = Some(6543);
    assert!(
        other_port
            .render_key_value_ordered(&go_order)
            .ends_with(" port=6543")
    );
}

#[test]
fn azure_passwordless_python_string_plus_token() {
    let text = format!("dbname=appdb host={AZURE_HOST} port=5432 sslmode=require user=aad_myconn");
    let with_token = format!("{text} password=eyJ0eXAiOiJKV1Qi.eyJhdWQiOi.sig-_");
    let params = parse_as(&with_token, Format::KeyValue).unwrap();
    assert_eq!(
        params.password.as_ref().map(Password::expose),
        Some("eyJ0eXAiOiJKV1Qi.eyJhdWQiOi.sig-_")
    );
}

#[test]
fn node_and_none_components() {
    let values = ComponentValues {
        host: Some(NEON_HOST),
        port: Some("5432"),
        database: Some("neondb"),
        user: Some("neondb_owner"),
        password: Some("npg_Abc123"),
        ssl: Some("true"),
    };
    let params = ConnectionParams::from_components(&values).unwrap();
    assert_eq!(params.ssl_mode, Some(SslMode::VerifyFull));
    assert_eq!(params.ssl_flag.as_deref(), Some("true"));
    let mut expected = neon_params(Some("npg_Abc123"));
    expected.ssl_mode = Some(SslMode::VerifyFull);
    expected.ssl_flag = Some("true".into());
    assert_eq!(params, expected);

    let insecure = ComponentValues {
        ssl: Some("False"),
        ..values
    };
    let params = ConnectionParams::from_components(&insecure).unwrap();
    assert_eq!(params.effective_ssl_mode(), SslMode::Disable);

    // Django gets no port and no SSL variable.
    let django = ComponentValues {
        port: None,
        ssl: None,
        ..values
    };
    let params = ConnectionParams::from_components(&django).unwrap();
    assert_eq!(params.hosts, vec![host_and_port(NEON_HOST, None)]);
    assert_eq!(params.effective_ssl_mode(), SslMode::Prefer);
}

// ----- Conversions -----

#[test]
fn converts_every_documented_string_into_every_format() {
    let params = neon_params(Some("npg_Abc123"));
    assert_eq!(
        params.render(Format::Uri),
        format!("postgresql://neondb_owner:npg_Abc123@{NEON_HOST}:5432/neondb?sslmode=require")
    );
    assert_eq!(
        params.render(Format::Npgsql),
        format!(
            "Server={NEON_HOST};Database=neondb;Port=5432;Ssl Mode=Require;User Id=neondb_owner;Password=npg_Abc123;"
        )
    );
    for from in Format::ALL {
        for to in Format::ALL {
            let converted = parse_as(&params.render(from), from).unwrap().render(to);
            assert_eq!(parse_as(&converted, to).unwrap(), params, "{from} -> {to}");
        }
    }
}

#[test]
fn options_are_normalised_to_libpq_names_and_renamed_per_format() {
    let npgsql = "Host=db;Application Name=billing;Timeout=7;Channel Binding=Require;Pooling=false";
    let params = parse_as(npgsql, Format::Npgsql).unwrap();
    assert_eq!(
        params.options,
        vec![
            ("application_name".to_owned(), "billing".to_owned()),
            ("connect_timeout".to_owned(), "7".to_owned()),
            ("channel_binding".to_owned(), "require".to_owned()),
            ("Pooling".to_owned(), "false".to_owned()),
        ]
    );
    assert_eq!(
        params.render(Format::Jdbc),
        "jdbc:postgresql://db/?ApplicationName=billing&connectTimeout=7&channelBinding=require"
    );
    assert_eq!(params.options_lost_in(Format::Jdbc), vec!["Pooling"]);
    assert_eq!(params.options_lost_in(Format::Npgsql), Vec::<&str>::new());
    assert_eq!(
        params.render(Format::KeyValue),
        "host=db application_name=billing connect_timeout=7 channel_binding=require"
    );
    let back = parse_as(&params.render(Format::Npgsql), Format::Npgsql).unwrap();
    assert_eq!(back, params);
    assert!(
        params
            .render(Format::Npgsql)
            .contains("Channel Binding=Require")
    );
}

// ----- Formats in detail -----

#[test]
fn ssl_mode_spellings() {
    for mode in SslMode::ALL {
        assert_eq!(SslMode::from_libpq_name(mode.libpq_name()), Some(mode));
        assert_eq!(SslMode::from_npgsql_name(mode.npgsql_name()), Some(mode));
        assert_eq!(
            SslMode::from_npgsql_name(&mode.npgsql_name().to_lowercase()),
            Some(mode)
        );
        assert_eq!(SslMode::from_any_spelling(mode.npgsql_name()), Some(mode));
    }
    assert_eq!(SslMode::from_libpq_name("Require"), None);
    assert_eq!(SslMode::from_npgsql_name("verify-full"), None);
    assert_eq!(
        SslMode::from_any_spelling("VERIFY_CA"),
        Some(SslMode::VerifyCa)
    );
    assert!(SslMode::Require.guarantees_encryption() && !SslMode::Require.verifies_certificate());
    assert!(!SslMode::Prefer.guarantees_encryption());
    assert_eq!(
        ConnectionParams::default().effective_ssl_mode(),
        SslMode::Prefer
    );
    let legacy = parse_as("host=h requiressl=1", Format::KeyValue).unwrap();
    assert_eq!(legacy.effective_ssl_mode(), SslMode::Require);
}

#[test]
fn detection() {
    let cases = [
        ("postgresql://h/db", Some(Format::Uri)),
        ("postgres://h", Some(Format::Uri)),
        ("  jdbc:postgresql://h/db", Some(Format::Jdbc)),
        ("JDBC:postgres://h/db", Some(Format::Jdbc)),
        ("host=h dbname=d", Some(Format::KeyValue)),
        ("host=h password=a;b", Some(Format::KeyValue)),
        ("host=h;port=5432", Some(Format::Npgsql)),
        ("Host=h", Some(Format::Npgsql)),
        ("User Id=x;Server=h", Some(Format::Npgsql)),
        ("Foo=1;Database=x", Some(Format::Npgsql)),
        ("foo=1 dbname=x", Some(Format::KeyValue)),
        ("ep-still-mud-a12aa123.eastus2.azure.neon.tech", None),
        ("true", None),
        ("https://example.com/?a=b", None),
        ("mysql://root@h/db", None),
        ("FOO=bar", None),
        ("   ", None),
    ];
    for (text, expected) in cases {
        assert_eq!(detect_format(text), expected, "{text}");
    }
}

#[test]
fn regressions_found_by_the_property_tests() {
    // A leading `=` in an Npgsql value would read as the `==` key escape: it must be quoted.
    let params = ConnectionParams {
        user: Some("=".into()),
        ..neon_params(None)
    };
    let rendered = params.render(Format::Npgsql);
    assert!(rendered.contains("User Id=\"=\";"), "{rendered}");
    assert_eq!(parse_as(&rendered, Format::Npgsql).unwrap(), params);
    // A trailing U+0085 is not whitespace to libpq, so it stays in the value.
    let params = parse_as("host=a options=\u{85}", Format::KeyValue).unwrap();
    assert_eq!(params.option("options"), Some("\u{85}"));
    // One-character error ranges never split a multi-byte character.
    let text = "postgresql://[.]é";
    let error = parse(text).unwrap_err();
    assert_eq!(range_text(text, &error), "é");
}

#[test]
fn fields_locate_what_rules_point_at() {
    let text = "host=h  sslmode = disable password='x y'";
    let parsed = parse_with_fields(text).unwrap();
    let sslmode = parsed.field("sslmode").unwrap();
    assert_eq!(
        &text[sslmode.key_range.unwrap().start..sslmode.key_range.unwrap().end],
        "sslmode"
    );
    assert_eq!(
        &text[sslmode.value_range.start..sslmode.value_range.end],
        "disable"
    );
    let password = parsed.field("password").unwrap();
    assert_eq!(
        &text[password.value_range.start..password.value_range.end],
        "'x y'"
    );

    let text = "jdbc:postgresql://h:5432/db?ssl=false&ApplicationName=x";
    let parsed = parse_with_fields(text).unwrap();
    let ssl = parsed.field("ssl").unwrap();
    assert_eq!(&text[ssl.value_range.start..ssl.value_range.end], "false");
    assert!(parsed.field("application_name").is_some());
    let db = parsed.field("dbname").unwrap();
    assert_eq!(&text[db.value_range.start..db.value_range.end], "db");

    let text = " Server=h;Ssl Mode=Disable;";
    let parsed = parse_with_fields(text).unwrap();
    let sslmode = parsed.field("sslmode").unwrap();
    assert_eq!(
        &text[sslmode.key_range.unwrap().start..sslmode.key_range.unwrap().end],
        "Ssl Mode"
    );
    assert_eq!(parsed.params.effective_ssl_mode(), SslMode::Disable);
}

// ----- Every error kind, with its range -----

fn error_of(text: &str, format: Option<Format>) -> ParseError {
    match format {
        Some(format) => parse_as(text, format).unwrap_err(),
        None => parse(text).unwrap_err(),
    }
}

#[test]
fn error_kinds_and_ranges() {
    #[rustfmt::skip]
    let cases: &[(&str, Option<Format>, ParseErrorKind, &str)] = &[
        ("  ", None, ParseErrorKind::Empty, "  "),
        ("just words", None, ParseErrorKind::NotAConnectionString, "just words"),
        ("mysql://h/db", Some(Format::Uri), ParseErrorKind::NotAConnectionString, "mysql"),
        ("jdbc:postgres://h/db", None, ParseErrorKind::NotAConnectionString, "jdbc:postgres:"),
        ("host=h password='abc", None, ParseErrorKind::UnbalancedQuote, "'abc"),
        ("Host=h;Password=\"abc", None, ParseErrorKind::UnbalancedQuote, "\"abc"),
        ("Host=h;Password=\"ab\"c\";", None, ParseErrorKind::UnbalancedQuote, "\"ab\"c"),
        ("host=h dbname", None, ParseErrorKind::MissingValue, "dbname"),
        ("Host=h;Database", None, ParseErrorKind::MissingValue, "Database"),
        ("postgresql://h/db?sslmode", None, ParseErrorKind::MissingValue, "sslmode"),
        ("host=h port=54a2", None, ParseErrorKind::BadPort, "54a2"),
        ("host=a,b port=1,2,3", None, ParseErrorKind::BadPort, "1,2,3"),
        ("host=h port=5432,x", None, ParseErrorKind::BadPort, "x"),
        ("postgresql://h:99999/db", None, ParseErrorKind::BadPort, "99999"),
        ("Server=h;Port=0", None, ParseErrorKind::BadPort, "0"),
        ("Server=h:abc", None, ParseErrorKind::BadPort, "h:abc"),
        ("jdbc:postgresql://h:port/db", None, ParseErrorKind::BadPort, "port"),
        ("postgresql://[::1/db", None, ParseErrorKind::BadHost, "[::1/db"),
        ("postgresql://[]/db", None, ParseErrorKind::BadHost, "[]"),
        ("postgresql://[::1]x/db", None, ParseErrorKind::BadHost, "x"),
        ("postgresql://u:p@ss@h/db", None, ParseErrorKind::BadHost, "ss@h"),
        ("jdbc:postgresql://::1:5432/db", None, ParseErrorKind::BadHost, "::1:5432"),
        ("postgresql://u:p%zzw@h/db", None, ParseErrorKind::BadPercentEncoding, "%zz"),
        ("postgresql://h/db%", None, ParseErrorKind::BadPercentEncoding, "%"),
        ("postgresql://h/db?options=-c%20a=b", None, ParseErrorKind::BadPercentEncoding, "="),
        ("postgresql://h/a%00b", None, ParseErrorKind::BadPercentEncoding, "a%00b"),
        ("postgresql://h/%ff", None, ParseErrorKind::BadPercentEncoding, "%ff"),
        ("jdbc:postgresql://h/db?password=100%", None, ParseErrorKind::BadPercentEncoding, "%"),
        ("host=h dbnme=x", None, ParseErrorKind::UnknownKey, "dbnme"),
        ("Server=h;User=bob", None, ParseErrorKind::UnknownKey, "User"),
        ("postgresql://h/db?sslmod=require", None, ParseErrorKind::UnknownKey, "sslmod"),
        ("jdbc:postgresql://h/db?SSLMode=require", None, ParseErrorKind::UnknownKey, "SSLMode"),
        ("host=h sslmode=Require", None, ParseErrorKind::BadValue, "Require"),
        ("Server=h;Ssl Mode=verify-full", None, ParseErrorKind::BadValue, "verify-full"),
        ("jdbc:postgresql://h/db?ssl=yes", None, ParseErrorKind::BadValue, "yes"),
        ("postgresql://h/db?ssl=false", None, ParseErrorKind::BadValue, "false"),
        ("jdbc:postgresql://h:5432?sslmode=require", None, ParseErrorKind::UnsupportedSyntax, "//h:5432"),
        ("jdbc:postgresql://u:p@h/db", None, ParseErrorKind::UnsupportedSyntax, "u:p@h"),
        ("postgresql://h?user=a@b/x", None, ParseErrorKind::UnsupportedSyntax, "h?user=a@"),
    ];
    for (text, format, kind, underlined) in cases {
        let error = error_of(text, *format);
        assert_eq!(error.kind, *kind, "{text}: {}", error.message);
        assert_eq!(
            range_text(text, &error),
            *underlined,
            "{text}: {}",
            error.message
        );
        assert!(!error.message.is_empty());
    }
}

#[test]
fn error_ranges_account_for_leading_whitespace() {
    let text = "\n  host=h port=x";
    let error = parse(text).unwrap_err();
    assert_eq!(range_text(text, &error), "x");
}

#[test]
fn suggestions() {
    let cases = [
        ("host=h dbnme=x", "dbname"),
        ("host=h database=x", "dbname"),
        ("host=h username=x", "user"),
        ("host=h ssl=true", "sslmode"),
        ("Server=h;User=bob", "Username"),
        (
            "Server=h;Trust Server Certificat=true",
            "Trust Server Certificate",
        ),
        ("jdbc:postgresql://h/db?SSLMode=require", "sslmode"),
        (
            "jdbc:postgresql://h/db?applicationName=x",
            "ApplicationName",
        ),
        ("host=h sslmode=verify_full", "verify-full"),
        ("Server=h;Ssl Mode=verify-full", "VerifyFull"),
    ];
    for (text, suggestion) in cases {
        let error = parse(text).unwrap_err();
        assert_eq!(
            error.suggestion.as_deref(),
            Some(suggestion),
            "{text}: {}",
            error.message
        );
        assert!(error.message.contains(suggestion), "{}", error.message);
    }
    assert_eq!(parse("host=h zzz=1").unwrap_err().suggestion, None);
}

// ----- Secrets never leak -----

#[test]
fn password_is_masked_in_debug_display_and_masked_renderings() {
    let mut params = neon_params(Some(SECRET));
    params.options.push(("sslpassword".into(), SECRET.into()));
    assert!(!format!("{params:?}").contains("Leak"));
    assert_eq!(format!("{}", params.password.as_ref().unwrap()), MASK);
    assert_eq!(format!("{:?}", params.password.as_ref().unwrap()), MASK);
    for format in Format::ALL {
        let masked = params.masked(format);
        assert!(!masked.contains("Leak"), "{masked}");
        assert!(masked.contains(MASK), "{masked}");
        assert!(
            params.render(format).contains("Leak"),
            "render shows the secret"
        );
    }
    let order = ["dbname", "host", "port", "sslmode", "user", "password"];
    assert!(!params.masked_key_value_ordered(&order).contains("Leak"));
    assert_eq!(
        neon_params(Some(SECRET)).masked(Format::Uri),
        format!("postgresql://neondb_owner:****@{NEON_HOST}:5432/neondb?sslmode=require")
    );
}

#[test]
fn error_messages_never_contain_the_password() {
    let leaky = [
        // Unquoted password with a space: the second half looks like a key.
        "host=h password=Zq9Leak more=1".to_owned(),
        "host=h password=Zq9 LeakMore".to_owned(),
        "Server=h;Password=Zq9;LeakMore;".to_owned(),
        "Server=h;Password=Zq9;LeakMore=1;".to_owned(),
        "jdbc:postgresql://h/db?password=Zq9&LeakMore".to_owned(),
        "jdbc:postgresql://h/db?password=Zq9&LeakMore=1".to_owned(),
        "postgresql://h/db?password=Zq9&LeakMore".to_owned(),
        "postgresql://h/db?password=Zq9&LeakMore=1".to_owned(),
        "postgresql://u:Zq9@Leak@h/db".to_owned(),
        "postgresql://u:Zq9/Leak@h/db".to_owned(),
        "postgresql://u:Zq9%Leak@h/db".to_owned(),
        "host=h password='ZqLeak".to_owned(),
        "Server=h;Password=\"Zq\"Leak\"".to_owned(),
        "jdbc:postgresql://u:ZqLeak@h/db".to_owned(),
        format!("host=h password={SECRET}"),
        format!("Server=h;Password={SECRET}"),
        format!("jdbc:postgresql://h/db?password={SECRET}"),
    ];
    for text in &leaky {
        match parse(text) {
            Ok(params) => assert!(!format!("{params:?}").contains("Leak"), "{text}"),
            Err(error) => {
                assert!(!error.message.contains("Leak"), "{text}: {}", error.message);
                assert!(!format!("{error:?}").contains("Leak"), "{text}");
                assert!(!error.to_string().contains("Leak"), "{text}");
            }
        }
    }
    let component = ComponentValues {
        password: Some(SECRET),
        port: Some("x"),
        ..ComponentValues::default()
    };
    let error = ConnectionParams::from_components(&component).unwrap_err();
    assert!(!format!("{error:?} {error}").contains("Leak"));
}

#[test]
fn special_password_characters_survive_every_format() {
    let passwords = [
        "semi;colon",
        "equals=sign",
        "sp ace",
        "'single'",
        "\"double\"",
        "at@sign",
        "sl/ash",
        "per%cent",
        "plus+sign",
        "amp&ersand",
        "hash#q?",
        "back\\slash",
        "ünïcødé密码",
        " lead",
        "trail ",
        "==",
        ";",
        "a'b\"c;d=e f@g/h%i",
    ];
    for password in passwords {
        let params = neon_params(Some(password));
        for format in Format::ALL {
            let rendered = params.render(format);
            assert_eq!(detect_format(&rendered), Some(format), "{rendered}");
            let back =
                parse_as(&rendered, format).unwrap_or_else(|error| panic!("{rendered}: {error}"));
            assert_eq!(back, params, "{rendered}");
        }
    }
}

// ----- Properties -----

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.-]{1,12}",
        "[ -~]{1,12}",
        "[^\u{0}]{1,8}",
        "[;='\"\\\\@/%+&?#,: ]{1,6}",
    ]
}

fn host_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z0-9-]{1,8}){0,3}",
        Just("::1".to_owned()),
        Just("2001:db8::5".to_owned()),
        Just("10.0.0.1".to_owned()),
    ]
}

fn portable_option() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        text_value().prop_map(|value| ("application_name".to_owned(), value)),
        "[0-9]{1,3}".prop_map(|value| ("connect_timeout".to_owned(), value)),
        text_value().prop_map(|value| ("options".to_owned(), value)),
        text_value().prop_map(|value| ("sslrootcert".to_owned(), value)),
        text_value().prop_map(|value| ("sslpassword".to_owned(), value)),
        prop_oneof![Just("disable"), Just("prefer"), Just("require")]
            .prop_map(|value| ("channel_binding".to_owned(), value.to_owned())),
        prop_oneof![Just("disable"), Just("prefer"), Just("require")]
            .prop_map(|value| ("gssencmode".to_owned(), value.to_owned())),
    ]
}

fn connection_params() -> impl Strategy<Value = ConnectionParams> {
    (
        prop::collection::vec((host_name(), prop::option::of(1u16..=65535)), 1..4),
        prop::option::of(text_value()),
        prop::option::of(text_value()),
        prop::option::of(text_value()),
        prop::option::of(prop::sample::select(SslMode::ALL.to_vec())),
        prop::collection::vec(portable_option(), 0..4),
    )
        .prop_map(|(hosts, database, user, password, ssl_mode, options)| {
            let mut unique: Vec<(String, String)> = Vec::new();
            for (key, value) in options {
                if !unique.iter().any(|(existing, _)| *existing == key) {
                    unique.push((key, value));
                }
            }
            ConnectionParams {
                hosts: hosts
                    .into_iter()
                    .map(|(host, port)| host_and_port(host, port))
                    .collect(),
                database,
                user,
                password: password.map(Password::new),
                ssl_mode,
                ssl_flag: None,
                options: unique,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn render_then_parse_is_identity_in_every_format(params in connection_params()) {
        for format in Format::ALL {
            let rendered = params.render(format);
            prop_assert_eq!(detect_format(&rendered), Some(format), "{}", rendered);
            let back = parse_as(&rendered, format);
            prop_assert!(back.is_ok(), "{}: {:?}", rendered, back);
            prop_assert_eq!(back.unwrap(), params.clone(), "{}", rendered);
        }
    }

    #[test]
    fn every_conversion_pair_preserves_params(params in connection_params()) {
        for from in Format::ALL {
            let parsed = parse(&params.render(from)).unwrap().1;
            for to in Format::ALL {
                let converted = parsed.render(to);
                let (detected, back) = parse(&converted).unwrap();
                prop_assert_eq!(detected, to);
                prop_assert_eq!(&back, &params, "{} -> {}: {}", from, to, converted);
            }
        }
    }

    #[test]
    fn masked_renderings_hide_the_password(params in connection_params()) {
        let mut params = params;
        params.password = Some(Password::new(format!("{}Leak", SECRET)));
        for format in Format::ALL {
            prop_assert!(!params.masked(format).contains("Leak"));
        }
        let debug = format!("{:?}", params);
        prop_assert!(!debug.contains("Leak"));
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,60}") {
        let _ = parse(&text);
        for format in Format::ALL {
            let _ = parse_as(&text, format);
        }
    }

    #[test]
    fn parsing_near_miss_strings_never_panics(
        prefix in prop_oneof![
            Just("postgresql://"), Just("jdbc:postgresql://"), Just("host="), Just("Server="), Just("jdbc:postgresql:"),
        ],
        rest in "[a-z0-9:/@\\[\\]%,?&=;'\" \\\\.é]{0,40}",
    ) {
        let text = format!("{prefix}{rest}");
        if let Err(error) = parse(&text) {
            prop_assert!(error.range.end <= text.len() && error.range.start <= error.range.end);
            prop_assert!(text.get(error.range.start..error.range.end).is_some(), "{:?} in {}", error.range, text);
        }
    }
}
