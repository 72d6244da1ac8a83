//! The regex scanner's own value flow (Go, C#, Java, Kotlin, PHP, Ruby): locals derived from a
//! tracked local, and the log calls that name them.

use crate::scan::tests::scan_checked;
use crate::scan::{Language, ValueKind, ValueRole};

/// The logged value facts of a regex-scanned file, as written.
fn logged_values(language: Language, text: &str) -> Vec<(String, ValueKind)> {
    let scan = scan_checked(language, text);
    scan.values
        .iter()
        .filter(|v| v.role == ValueRole::Logged)
        .map(|v| (text[v.range.start..v.range.end].to_owned(), v.kind))
        .collect()
}

#[test]
fn regex_scanner_value_flow() {
    let ruby = r#"conninfo = ENV["AZURE_POSTGRESQL_CONNECTIONSTRING"]
params = conninfo.split(" ").map { |pair| pair.split("=", 2) }.to_h
pw = params["password"]
host = params["host"]
logger.info("database settings: #{params}")
logger.info("params and conninfo are set")
puts "host #{host} #{params["host"]}"
puts pw
"#;
    assert_eq!(
        logged_values(Language::Ruby, ruby),
        [
            ("params".to_owned(), ValueKind::ParsedConnection),
            ("pw".to_owned(), ValueKind::Password)
        ]
    );
    let php = r#"<?php
$conn = getenv('AZURE_POSTGRESQL_CONNECTIONSTRING');
$parts = explode(';', $conn);
error_log("parts: " . print_r($parts, true));
echo "connected";
"#;
    assert_eq!(
        logged_values(Language::Php, php),
        [("$parts".to_owned(), ValueKind::ParsedConnection)]
    );
    let go = r#"package main
func main() {
	dsn := os.Getenv("NEON_POSTGRESQL_CONNECTIONSTRING")
	fields := strings.Fields(dsn)
	log.Printf("dsn fields: %v", fields)
	log.Printf("dsn is set")
}
"#;
    assert_eq!(
        logged_values(Language::Go, go),
        [("fields".to_owned(), ValueKind::ParsedConnection)]
    );
}

#[test]
fn regex_scanner_flow_ignores_tests_and_hiding_calls() {
    let go = r#"package main
func main() {
	dsn := os.Getenv("DATABASE_URL")
	log.Printf("dsn set: %t, length %d", dsn != "", len(dsn))
	log.Printf("using %s", redact(dsn))
	log.Printf("using %s", fmt.Sprintf("[%s]", dsn))
}
"#;
    assert_eq!(
        logged_values(Language::Go, go),
        [("dsn".to_owned(), ValueKind::ConnectionString)]
    );
    let ruby = r#"pw = ENV.fetch("DB_PASSWORD")
puts "password present" if pw
logger.info("password: #{pw.nil? ? 'unset' : 'set'}")
"#;
    assert!(logged_values(Language::Ruby, ruby).is_empty());
}
