//! Fixture tests per language: every reference form, the look-alikes that must not match, and
//! exact ranges; plus invariants (ranges on char boundaries, nothing inside comments) checked
//! on every fixture and on arbitrary input.

use super::*;
use proptest::prelude::*;

/// Checks what must hold for any scan of any text.
fn check_invariants(text: &str, scan: &Scan) {
    let valid = |r: TextRange| {
        assert!(
            r.start <= r.end && r.end <= text.len(),
            "range {r:?} outside text of {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "range {r:?} splits a character"
        );
    };
    for r in &scan.env_refs {
        valid(r.name_range);
        valid(r.expr_range);
        assert_eq!(&text[r.name_range.start..r.name_range.end], r.name);
        assert!(r.expr_range.contains_range(r.name_range), "{r:?}");
        assert!(
            !scan.comments.iter().any(|c| c.intersects(r.name_range)),
            "reference {r:?} inside a comment"
        );
    }
    for c in &scan.comments {
        valid(*c);
    }
    for l in &scan.string_literals {
        valid(l.range);
        valid(l.value_range);
        assert_eq!(&text[l.value_range.start..l.value_range.end], l.value);
    }
    for c in &scan.log_calls {
        valid(c.range);
        valid(c.args_range);
        valid(c.callee_range);
        assert_eq!(&text[c.callee_range.start..c.callee_range.end], c.callee);
    }
    for s in &scan.split_calls {
        valid(s.range);
        valid(s.receiver_range);
        assert_eq!(
            &text[s.receiver_range.start..s.receiver_range.end],
            s.receiver_text
        );
    }
    for s in &scan.token_scopes {
        valid(s.literal_range);
        valid(s.value_range);
        assert_eq!(&text[s.value_range.start..s.value_range.end], s.value);
    }
    for p in &scan.ssl_properties {
        valid(p.key_range);
        valid(p.value_range);
        assert_eq!(&text[p.value_range.start..p.value_range.end], p.value_text);
    }
    for a in &scan.assignments {
        valid(a.local_range);
        assert_eq!(&text[a.local_range.start..a.local_range.end], a.local);
        assert!(a.env_ref < scan.env_refs.len());
    }
    for d in &scan.env_definitions {
        valid(d.name_range);
        if let Some(v) = d.value_range {
            valid(v);
        }
    }
    assert!(
        scan.env_refs
            .windows(2)
            .all(|w| w[0].name_range.start <= w[1].name_range.start)
    );
}

pub(super) fn scan_checked(language: Language, text: &str) -> Scan {
    let scan = scan(language, text);
    check_invariants(text, &scan);
    scan
}

/// `(name, expression as written)` of every reference, in order.
fn refs(language: Language, text: &str) -> Vec<(String, String)> {
    scan_checked(language, text)
        .env_refs
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                text[r.expr_range.start..r.expr_range.end].to_owned(),
            )
        })
        .collect()
}

fn assert_refs(language: Language, text: &str, expected: &[(&str, &str)]) {
    let found = refs(language, text);
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, e)| (n.to_string(), e.to_string()))
        .collect();
    assert_eq!(found, expected, "\n--- {language:?} fixture ---\n{text}");
}

fn names_with_default(language: Language, text: &str) -> Vec<(String, bool)> {
    scan_checked(language, text)
        .env_refs
        .iter()
        .map(|r| (r.name.clone(), r.has_default))
        .collect()
}

fn locals(language: Language, text: &str) -> Vec<(String, String)> {
    let scan = scan_checked(language, text);
    scan.assignments
        .iter()
        .map(|a| (a.local.clone(), scan.env_refs[a.env_ref].name.clone()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn every_built_in_regex_compiles() {
    code::force_all_regexes();
    tree::force_all_regexes();
    assert!(might_be_relevant(b"POSTGRES"), "needles must build");
}

#[test]
fn languages_by_path() {
    let cases = [
        ("app/main.py", Some(Language::Python)),
        ("src/index.mts", Some(Language::JavaScript)),
        ("web/App.tsx", Some(Language::JavaScript)),
        ("cmd/main.go", Some(Language::Go)),
        ("Program.cs", Some(Language::CSharp)),
        ("App.java", Some(Language::Java)),
        ("build.gradle.kts", Some(Language::Kotlin)),
        ("index.php", Some(Language::Php)),
        ("Rakefile", Some(Language::Ruby)),
        ("config.ru", Some(Language::Ruby)),
        ("deploy.sh", Some(Language::Shell)),
        ("Dockerfile", Some(Language::Dockerfile)),
        ("docker/Dockerfile.prod", Some(Language::Dockerfile)),
        ("api.dockerfile", Some(Language::Dockerfile)),
        ("Containerfile", Some(Language::Dockerfile)),
        (".github/workflows/ci.yml", Some(Language::Yaml)),
        (
            "src/main/resources/application.properties",
            Some(Language::Properties),
        ),
        ("README.md", None),
        (".env", None),
        ("Makefile", None),
    ];
    for (path, expected) in cases {
        assert_eq!(Language::for_path(path), expected, "{path}");
    }
    assert_eq!(Language::JavaScript.name(), "JavaScript/TypeScript");
}

#[test]
fn prefilter_needles() {
    for relevant in [
        "NEON_POSTGRESQL_HOST",
        "azure_postgresql_user",
        "NEON_POSTGRES_HOST",
        "postgres://u@h/db",
        "jdbc:postgresql://h/db",
        "https://ossrdbms-aad.database.windows.net/.default",
        "spring.datasource.url",
        "ep-x.eu-central-1.aws.neon.tech",
        "Server=h;Password=p",
        "host=h pwd=p",
    ] {
        assert!(might_be_relevant(relevant.as_bytes()), "{relevant}");
    }
    assert!(!might_be_relevant(
        b"import os\nprint(os.environ['HOME'])\nDATABASE_URL = 1\n"
    ));
}

/// `password =` admits a file of a regex-scanned language (a spaced key-value string) but
/// not a Python or JavaScript/TypeScript file, where it is an assignment; every other needle
/// admits both.
#[test]
fn prefilter_needles_by_language() {
    let spaced = b"password = input()\nprint(password)\n";
    assert!(might_be_relevant_for(Language::Go, spaced));
    assert!(might_be_relevant_for(Language::Shell, spaced));
    assert!(!might_be_relevant_for(Language::Python, spaced));
    assert!(!might_be_relevant_for(Language::JavaScript, spaced));
    for relevant in [
        "NEON_POSTGRESQL_HOST",
        "psycopg2.connect(host=h, password=p)",
        "host=h pwd=p",
        "https://ossrdbms-aad.database.windows.net/.default",
        "WEBSITE_HOSTNAME",
    ] {
        for language in [Language::Python, Language::JavaScript, Language::CSharp] {
            assert!(
                might_be_relevant_for(language, relevant.as_bytes()),
                "{relevant} in {language:?}"
            );
        }
    }
}

#[test]
fn connection_string_shapes() {
    for yes in [
        "postgres://u:p@h/db",
        "prefix postgresql://h/db",
        "jdbc:postgresql://h:5432/db",
        "host=h dbname=d user=u password=p",
        "Server=h;Database=d;Port=5432;User Id=u;Password=p",
        "user=u password=p",
    ] {
        assert!(looks_like_connection_string(yes), "{yes}");
    }
    for no in [
        "HOST=example.com",
        "export HOST=x",
        "port=5432 database=d",
        "hello world",
        "?host=x",
    ] {
        assert!(!looks_like_connection_string(no), "{no}");
    }
}

// ---------------------------------------------------------------- Python

#[test]
fn python_forms() {
    let text = r#"import os
a = os.environ["NEON_POSTGRESQL_HOST"]
b = os.environ.get('NEON_POSTGRESQL_USER')
c = os.environ.get("NEON_POSTGRESQL_PORT", "5432")
d = os.getenv("NEON_POSTGRESQL_DATABASE")
e = os.getenv("NEON_POSTGRESQL_SSL", "true")
os.environ.setdefault("PGAPPNAME", "api")
f = os.environ[
    "MULTI_LINE"  # a comment inside the call
]
g = os . environ . get ( "SPACED" )
"#;
    assert_refs(
        Language::Python,
        text,
        &[
            (
                "NEON_POSTGRESQL_HOST",
                r#"os.environ["NEON_POSTGRESQL_HOST"]"#,
            ),
            (
                "NEON_POSTGRESQL_USER",
                "os.environ.get('NEON_POSTGRESQL_USER')",
            ),
            (
                "NEON_POSTGRESQL_PORT",
                r#"os.environ.get("NEON_POSTGRESQL_PORT", "5432")"#,
            ),
            (
                "NEON_POSTGRESQL_DATABASE",
                r#"os.getenv("NEON_POSTGRESQL_DATABASE")"#,
            ),
            (
                "NEON_POSTGRESQL_SSL",
                r#"os.getenv("NEON_POSTGRESQL_SSL", "true")"#,
            ),
            ("PGAPPNAME", r#"os.environ.setdefault("PGAPPNAME", "api")"#),
            (
                "MULTI_LINE",
                "os.environ[\n    \"MULTI_LINE\"  # a comment inside the call\n]",
            ),
            ("SPACED", r#"os . environ . get ( "SPACED" )"#),
        ],
    );
    let defaults = names_with_default(Language::Python, text);
    assert_eq!(
        defaults
            .iter()
            .filter(|(_, d)| *d)
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["NEON_POSTGRESQL_PORT", "NEON_POSTGRESQL_SSL", "PGAPPNAME"]
    );
    let scan = scan_checked(Language::Python, text);
    assert_eq!(scan.env_refs[0].form, RefForm::PythonEnvironSubscript);
    assert_eq!(scan.env_refs[1].form, RefForm::PythonEnvironGet);
    assert_eq!(scan.env_refs[3].form, RefForm::PythonGetenv);
    assert_eq!(scan.env_refs[5].form, RefForm::PythonEnvironSetdefault);
    // Exact byte range of the name.
    assert_eq!(scan.env_refs[0].name_range, TextRange::new(26, 46));
}

#[test]
fn python_aliases_and_imports() {
    let text = r#"import os as o
from os import environ, getenv as ge
from os import (
    environ as E,
)
env = os.environ
e2 = o.environ

a = o.environ["A"]
b = environ["B"]
c = ge("C")
d = E.get("D")
e = e2["E"]
f = o.getenv("F")
"#;
    let names: Vec<String> = refs(Language::Python, text)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["A", "B", "C", "D", "E", "F"]);
}

#[test]
fn python_look_alikes_are_not_references() {
    let text = r#"
# os.environ["IN_COMMENT"]
x = "os.environ['IN_STRING']"
'''
os.getenv("IN_DOCSTRING")
'''
def f():
    """Reads os.environ["IN_FUNCTION_DOCSTRING"]."""
os.environ_x["NOT_ENVIRON"]
myos.environ["NOT_OS"]
self.os.environ["ATTRIBUTE"]
os.environ[name]
os.environ["A" + suffix]
os.environ[f"{prefix}_HOST"]
getenv("NOT_IMPORTED")
url = "http://example.com"  # os.getenv("AFTER_URL")
"#;
    assert_refs(Language::Python, text, &[]);
}

#[test]
fn python_fstring_interpolation_is_code() {
    let text = "print(f\"host={os.environ['H']} # not a comment\")\nlabel = f'{{os.environ[\"NOT_CODE\"]}}'\n";
    assert_refs(Language::Python, text, &[("H", "os.environ['H']")]);
    let scan = scan_checked(Language::Python, text);
    assert!(scan.comments.is_empty());
}

#[test]
fn python_prefixed_and_triple_quoted_strings() {
    let text =
        "a = r'\\d' # c1\nb = b\"\"\"x\n# not a comment\n\"\"\"  # c2\nc = os.getenv(r\"RAW\")\n";
    let scan = scan_checked(Language::Python, text);
    let comments: Vec<&str> = scan
        .comments
        .iter()
        .map(|c| &text[c.start..c.end])
        .collect();
    assert_eq!(comments, ["# c1", "# c2"]);
    assert_eq!(scan.env_refs.len(), 1);
    assert_eq!(scan.env_refs[0].name, "RAW");
}

#[test]
fn python_docstrings_are_not_connection_strings() {
    let text = r#"def connect():
    """Connect with postgres://user:secret@host/db."""
    url = """postgres://user:secret@host/db"""
    call(
        """postgres://user:secret@host/arg"""
    )
"""Module note: postgres://user:secret@host/db"""
"#;
    let scan = scan_checked(Language::Python, text);
    let literals: Vec<&str> = scan
        .string_literals
        .iter()
        .map(|l| l.value.as_str())
        .collect();
    assert_eq!(
        literals,
        [
            "postgres://user:secret@host/db",
            "postgres://user:secret@host/arg"
        ]
    );
    assert!(scan.string_literals[0].range.start > text.find("url").unwrap());
}

#[test]
fn python_facts() {
    let text = r#"import os, logging
conn: str = os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"]
password = os.getenv("NEON_POSTGRESQL_PASSWORD") or ""
connect(host=os.environ["NEON_POSTGRESQL_HOST"])
print("connecting with", conn)
logging.info("conn=%s", conn)
logger.debug(
    conn,
)
parts = conn.split(" ")
pairs = dict(p.split("=") for p in parts)
words = conn.split()
pieces = re.split(r"\s+", conn)
token = credential.get_token("https://ossrdbms-aad.database.windows.net/.default")
result = app.acquire_token_for_client(scopes=["https://database.windows.net/.default"], tenant_id="t")
DSN = "host=ep-cool.neon.tech dbname=app user=u password=secret sslmode=require"
"#;
    let scan = scan_checked(Language::Python, text);
    assert_eq!(
        locals(Language::Python, text),
        pairs(&[
            ("conn", "NEON_POSTGRESQL_CONNECTIONSTRING"),
            ("password", "NEON_POSTGRESQL_PASSWORD")
        ])
    );
    assert!(scan.env_refs[1].has_default, "`or \"\"` is a fallback");
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["print", "logging.info", "logger.debug"]);
    let multi = &scan.log_calls[2];
    assert_eq!(
        &text[multi.args_range.start..multi.args_range.end],
        "\n    conn,\n"
    );
    let splits: Vec<(&str, &SplitSeparator)> = scan
        .split_calls
        .iter()
        .map(|s| (s.receiver_text.as_str(), &s.separator))
        .collect();
    assert_eq!(
        splits,
        [
            ("conn", &SplitSeparator::Literal(" ".into())),
            ("p", &SplitSeparator::Literal("=".into())),
            ("conn", &SplitSeparator::Whitespace),
            ("conn", &SplitSeparator::Regex(r"\s+".into())),
        ]
    );
    let scopes: Vec<(&str, ScopeContext)> = scan
        .token_scopes
        .iter()
        .map(|s| (s.value.as_str(), s.context))
        .collect();
    assert_eq!(
        scopes,
        [
            (
                "https://ossrdbms-aad.database.windows.net/.default",
                ScopeContext::Scope
            ),
            ("https://database.windows.net/.default", ScopeContext::Scope),
        ]
    );
    assert_eq!(scan.string_literals.len(), 1);
    assert!(scan.string_literals[0].value.starts_with("host=ep-cool"));
}

// ---------------------------------------------------------------- JavaScript / TypeScript

#[test]
fn javascript_forms() {
    let text = r#"const host = process.env.NEON_POSTGRESQL_HOST;
const user = process.env["NEON_POSTGRESQL_USER"];
const pass = process.env['NEON_POSTGRESQL_PASSWORD'] ?? "";
const { NEON_POSTGRESQL_DATABASE, NEON_POSTGRESQL_PORT: port, NEON_POSTGRESQL_SSL = "true" } = process.env;
const vite = import.meta.env.VITE_API_URL;
const deno = Deno.env.get("DENO_VAR");
const bun = Bun.env.BUN_VAR;
const optional = process.env?.OPTIONAL;
const url = `postgres://${process.env.TEMPLATE_USER}@host/${ process.env["TEMPLATE_DB"] }`;
"#;
    assert_refs(
        Language::JavaScript,
        text,
        &[
            ("NEON_POSTGRESQL_HOST", "process.env.NEON_POSTGRESQL_HOST"),
            (
                "NEON_POSTGRESQL_USER",
                r#"process.env["NEON_POSTGRESQL_USER"]"#,
            ),
            (
                "NEON_POSTGRESQL_PASSWORD",
                "process.env['NEON_POSTGRESQL_PASSWORD']",
            ),
            ("NEON_POSTGRESQL_DATABASE", "NEON_POSTGRESQL_DATABASE"),
            ("NEON_POSTGRESQL_PORT", "NEON_POSTGRESQL_PORT: port"),
            ("NEON_POSTGRESQL_SSL", r#"NEON_POSTGRESQL_SSL = "true""#),
            ("VITE_API_URL", "import.meta.env.VITE_API_URL"),
            ("DENO_VAR", r#"Deno.env.get("DENO_VAR")"#),
            ("BUN_VAR", "Bun.env.BUN_VAR"),
            ("OPTIONAL", "process.env?.OPTIONAL"),
            ("TEMPLATE_USER", "process.env.TEMPLATE_USER"),
            ("TEMPLATE_DB", r#"process.env["TEMPLATE_DB"]"#),
        ],
    );
    let scan = scan_checked(Language::JavaScript, text);
    let defaults: Vec<&str> = scan
        .env_refs
        .iter()
        .filter(|r| r.has_default)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        defaults,
        ["NEON_POSTGRESQL_PASSWORD", "NEON_POSTGRESQL_SSL"]
    );
    assert_eq!(scan.env_refs[3].form, RefForm::JsEnvDestructuring);
    let destructured_locals: Vec<(String, String)> = locals(Language::JavaScript, text)
        .into_iter()
        .filter(|(l, _)| {
            ["NEON_POSTGRESQL_DATABASE", "port", "NEON_POSTGRESQL_SSL"].contains(&l.as_str())
        })
        .collect();
    assert_eq!(
        destructured_locals,
        pairs(&[
            ("NEON_POSTGRESQL_DATABASE", "NEON_POSTGRESQL_DATABASE"),
            ("port", "NEON_POSTGRESQL_PORT"),
            ("NEON_POSTGRESQL_SSL", "NEON_POSTGRESQL_SSL"),
        ])
    );
    // Template literal: the content with interpolation counts as a connection-string template.
    assert_eq!(scan.string_literals.len(), 1);
    assert!(scan.string_literals[0].interpolated);
}

#[test]
fn javascript_aliases() {
    let text = r#"const env = process.env;
const a = env.ALIASED;
const b = env["ALIASED_SUBSCRIPT"];
const { FROM_ALIAS } = env;
import { env as nodeEnv } from "node:process";
nodeEnv.IMPORTED;
const notEnv = environment.X;
"#;
    let names: Vec<String> = refs(Language::JavaScript, text)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        ["ALIASED", "ALIASED_SUBSCRIPT", "FROM_ALIAS", "IMPORTED"]
    );
}

#[test]
fn javascript_look_alikes_are_not_references() {
    let text = r#"// process.env.IN_LINE_COMMENT
/* process.env.IN_BLOCK
   process.env["STILL_IN_BLOCK"] */
const s = "process.env.IN_STRING";
const t = 'process.env["IN_SINGLE"]';
const u = `plain template process.env.IN_TEMPLATE_TEXT`;
const v = myprocess.env.NOT_PROCESS;
const w = process.environment.NOT_ENV;
const x = process.env[key];
const y = process.env.hasOwnProperty("METHOD");
const re = /process.env.IN_REGEX/;
const url = "http://example.com/*not-a-comment*/"; process.env.AFTER_URL;
"#;
    assert_refs(
        Language::JavaScript,
        text,
        &[("AFTER_URL", "process.env.AFTER_URL")],
    );
    let scan = scan_checked(Language::JavaScript, text);
    assert_eq!(scan.comments.len(), 2);
}

#[test]
fn javascript_regex_versus_division() {
    let text = "const a = b / c; const d = e / f; // comment\nconst s = str.split(/\\s+/); process.env.OK;\nconst r = x.replace(/\"/g, ''); process.env.ALSO_OK;\n";
    let names: Vec<String> = refs(Language::JavaScript, text)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["OK", "ALSO_OK"]);
    let scan = scan_checked(Language::JavaScript, text);
    assert_eq!(scan.comments.len(), 1);
    assert_eq!(scan.split_calls.len(), 1);
    assert_eq!(
        scan.split_calls[0].separator,
        SplitSeparator::Regex(r"\s+".into())
    );
    assert_eq!(scan.split_calls[0].receiver_text, "str");
}

#[test]
fn javascript_facts() {
    let text = r#"const conn = process.env.NEON_POSTGRESQL_CONNECTIONSTRING;
const pool = new Pool({
  host: process.env.NEON_POSTGRESQL_HOST,
  ssl: process.env.NEON_POSTGRESQL_SSL,
});
const other = { "ssl": { rejectUnauthorized: false }, port: 5432 };
const flag = cond ? ssl : other;
console.log("conn", conn);
logger.info(`conn ${conn}`);
this.logger.error(conn);
const [k, v] = conn.split("=");
const token = await credential.getToken("https://ossrdbms-aad.database.windows.net/.default");
fetch(`${process.env.IDENTITY_ENDPOINT}?resource=https://ossrdbms-aad.database.windows.net&api-version=2019-08-01`);
"#;
    let scan = scan_checked(Language::JavaScript, text);
    let ssl: Vec<&str> = scan
        .ssl_properties
        .iter()
        .map(|p| p.value_text.as_str())
        .collect();
    assert_eq!(
        ssl,
        [
            "process.env.NEON_POSTGRESQL_SSL",
            "{ rejectUnauthorized: false }"
        ]
    );
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["console.log", "logger.info", "this.logger.error"]);
    assert_eq!(scan.split_calls.len(), 1);
    assert_eq!(scan.split_calls[0].receiver_text, "conn");
    let scopes: Vec<(&str, ScopeContext)> = scan
        .token_scopes
        .iter()
        .map(|s| (s.value.as_str(), s.context))
        .collect();
    assert_eq!(
        scopes,
        [
            (
                "https://ossrdbms-aad.database.windows.net/.default",
                ScopeContext::Scope
            ),
            (
                "https://ossrdbms-aad.database.windows.net",
                ScopeContext::Resource
            ),
        ]
    );
    assert_eq!(
        locals(Language::JavaScript, text),
        pairs(&[("conn", "NEON_POSTGRESQL_CONNECTIONSTRING")])
    );
}

// ---------------------------------------------------------------- Go

#[test]
fn go_forms_and_facts() {
    let text = r#"package main

import (
	"fmt"
	"os"
	"strings"
)

// os.Getenv("IN_COMMENT")
func main() {
	host := os.Getenv("NEON_POSTGRESQL_HOST")
	conn, ok := os.LookupEnv("NEON_POSTGRESQL_CONNECTIONSTRING")
	var user = os.Getenv(`RAW_NAME`)
	s := "os.Getenv(\"IN_STRING\")"
	fmt.Println("conn:", conn)
	log.Printf("%s", host)
	parts := strings.Split(conn, " ")
	fields := strings.Fields(conn)
	opts := policy.TokenRequestOptions{Scopes: []string{"https://ossrdbms-aad.database.windows.net/.default"}}
}
"#;
    assert_refs(
        Language::Go,
        text,
        &[
            (
                "NEON_POSTGRESQL_HOST",
                r#"os.Getenv("NEON_POSTGRESQL_HOST")"#,
            ),
            (
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                r#"os.LookupEnv("NEON_POSTGRESQL_CONNECTIONSTRING")"#,
            ),
            ("RAW_NAME", "os.Getenv(`RAW_NAME`)"),
        ],
    );
    let scan = scan_checked(Language::Go, text);
    assert_eq!(scan.env_refs[1].form, RefForm::GoLookupEnv);
    assert_eq!(
        locals(Language::Go, text),
        pairs(&[
            ("host", "NEON_POSTGRESQL_HOST"),
            ("conn", "NEON_POSTGRESQL_CONNECTIONSTRING"),
            ("user", "RAW_NAME")
        ])
    );
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["fmt.Println", "log.Printf"]);
    let splits: Vec<(&str, &SplitSeparator)> = scan
        .split_calls
        .iter()
        .map(|s| (s.receiver_text.as_str(), &s.separator))
        .collect();
    assert_eq!(
        splits,
        [
            ("conn", &SplitSeparator::Literal(" ".into())),
            ("conn", &SplitSeparator::Whitespace)
        ]
    );
    assert_eq!(scan.token_scopes.len(), 1);
}

// ---------------------------------------------------------------- C#

#[test]
fn csharp_forms_and_facts() {
    let text = r#"using System;
// Environment.GetEnvironmentVariable("IN_COMMENT")
var conn = Environment.GetEnvironmentVariable("NEON_POSTGRESQL_CONNECTIONSTRING");
string? user = System.Environment.GetEnvironmentVariable("AZURE_POSTGRESQL_CLIENTID") ?? "none";
var verbatim = @"C:\path\"" Environment.GetEnvironmentVariable(""IN_VERBATIM"")";
var interpolated = $"{Environment.GetEnvironmentVariable("IN_INTERPOLATION")} and {{braces}}";
var raw = """
    Environment.GetEnvironmentVariable("IN_RAW")
    """;
Console.WriteLine(conn);
_logger.LogInformation("Connecting {Conn}", conn);
var parts = conn.Split(';');
var words = conn.Split();
var token = await credential.GetTokenAsync(
    new TokenRequestContext(new[] { "https://ossrdbms-aad.database.windows.net/.default" }));
var npgsql = "Server=ep-x.neon.tech;Database=app;Port=5432;User Id=u;Password=p;Ssl Mode=Require;";
"#;
    assert_refs(
        Language::CSharp,
        text,
        &[
            (
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                r#"Environment.GetEnvironmentVariable("NEON_POSTGRESQL_CONNECTIONSTRING")"#,
            ),
            (
                "AZURE_POSTGRESQL_CLIENTID",
                r#"System.Environment.GetEnvironmentVariable("AZURE_POSTGRESQL_CLIENTID")"#,
            ),
            (
                "IN_INTERPOLATION",
                r#"Environment.GetEnvironmentVariable("IN_INTERPOLATION")"#,
            ),
        ],
    );
    let scan = scan_checked(Language::CSharp, text);
    assert!(scan.env_refs[1].has_default);
    assert_eq!(
        locals(Language::CSharp, text),
        pairs(&[
            ("conn", "NEON_POSTGRESQL_CONNECTIONSTRING"),
            ("user", "AZURE_POSTGRESQL_CLIENTID")
        ])
    );
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["Console.WriteLine", "_logger.LogInformation"]);
    let separators: Vec<&SplitSeparator> = scan.split_calls.iter().map(|s| &s.separator).collect();
    assert_eq!(
        separators,
        [
            &SplitSeparator::Literal(";".into()),
            &SplitSeparator::Whitespace
        ]
    );
    assert_eq!(scan.token_scopes.len(), 1);
    assert_eq!(scan.string_literals.len(), 1);
}

// ---------------------------------------------------------------- Java / Kotlin

#[test]
fn java_forms_and_facts() {
    let text = r#"/* System.getenv("IN_COMMENT") */
String url = System.getenv("NEON_POSTGRESQL_CONNECTIONSTRING");
final String user = System.getenv().get("AZURE_POSTGRESQL_USERNAME");
String port = System.getenv().getOrDefault("PORT", "5432");
String block = """
    System.getenv("IN_TEXT_BLOCK")
    """;
char quote = '"'; String after = System.getenv("AFTER_CHAR");
System.out.println("url=" + url);
logger.info("connecting {}", url);
String[] parts = url.split(";");
TokenRequestContext ctx = new TokenRequestContext().addScopes("https://ossrdbms-aad.database.windows.net/.default");
String jdbc = "jdbc:postgresql://ep-x.neon.tech/app?user=u&password=p&sslmode=require";
"#;
    assert_refs(
        Language::Java,
        text,
        &[
            (
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                r#"System.getenv("NEON_POSTGRESQL_CONNECTIONSTRING")"#,
            ),
            (
                "AZURE_POSTGRESQL_USERNAME",
                r#"System.getenv().get("AZURE_POSTGRESQL_USERNAME")"#,
            ),
            ("PORT", r#"System.getenv().getOrDefault("PORT", "5432")"#),
            ("AFTER_CHAR", r#"System.getenv("AFTER_CHAR")"#),
        ],
    );
    let scan = scan_checked(Language::Java, text);
    assert_eq!(scan.env_refs[1].form, RefForm::JavaGetenvMap);
    assert!(scan.env_refs[2].has_default);
    assert_eq!(
        locals(Language::Java, text),
        pairs(&[
            ("url", "NEON_POSTGRESQL_CONNECTIONSTRING"),
            ("user", "AZURE_POSTGRESQL_USERNAME"),
            ("port", "PORT"),
            ("after", "AFTER_CHAR")
        ])
    );
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["System.out.println", "logger.info"]);
    assert_eq!(
        scan.split_calls[0].separator,
        SplitSeparator::Regex(";".into())
    );
    assert_eq!(scan.token_scopes.len(), 1);
    assert_eq!(scan.string_literals.len(), 1);
}

#[test]
fn kotlin_forms_and_facts() {
    let text = r#"/* outer /* nested System.getenv("IN_NESTED") */ still comment System.getenv("STILL") */
val url = System.getenv("NEON_POSTGRESQL_CONNECTIONSTRING") ?: error("missing")
val host: String? = System.getenv()["NEON_POSTGRESQL_HOST"]
val s = "value ${System.getenv("IN_TEMPLATE")} and $url"
val raw = """System.getenv("IN_RAW")"""
println("url=$url")
val parts = url.split(" ")
"#;
    assert_refs(
        Language::Kotlin,
        text,
        &[
            (
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                r#"System.getenv("NEON_POSTGRESQL_CONNECTIONSTRING")"#,
            ),
            (
                "NEON_POSTGRESQL_HOST",
                r#"System.getenv()["NEON_POSTGRESQL_HOST"]"#,
            ),
            ("IN_TEMPLATE", r#"System.getenv("IN_TEMPLATE")"#),
        ],
    );
    let scan = scan_checked(Language::Kotlin, text);
    assert!(scan.env_refs[0].has_default, "elvis is a fallback");
    assert_eq!(
        locals(Language::Kotlin, text),
        pairs(&[
            ("url", "NEON_POSTGRESQL_CONNECTIONSTRING"),
            ("host", "NEON_POSTGRESQL_HOST")
        ])
    );
    assert_eq!(scan.log_calls.len(), 1);
    assert_eq!(
        scan.split_calls[0].separator,
        SplitSeparator::Literal(" ".into())
    );
}

// ---------------------------------------------------------------- PHP

#[test]
fn php_forms_and_facts() {
    let text = r#"<?php
# getenv('IN_HASH_COMMENT')
// getenv('IN_LINE_COMMENT')
$host = getenv('NEON_POSTGRESQL_HOST');
$user = $_ENV['NEON_POSTGRESQL_USER'] ?? 'app';
$pass = $_SERVER["NEON_POSTGRESQL_PASSWORD"];
$db = env('DB_DATABASE', 'forge');
$x = $this->env('NOT_A_READ');
#[Attribute] $y = getenv("AFTER_ATTRIBUTE");
$sql = <<<SQL
getenv('IN_HEREDOC')
SQL;
echo "host: " . $host;
error_log($pass);
$parts = explode(" ", $conn);
$url = "$endpoint?resource=https://ossrdbms-aad.database.windows.net&api-version=2019-08-01";
$dsn = "pgsql:host=$host;port=5432;dbname=$db;sslmode=require";
"#;
    assert_refs(
        Language::Php,
        text,
        &[
            ("NEON_POSTGRESQL_HOST", "getenv('NEON_POSTGRESQL_HOST')"),
            ("NEON_POSTGRESQL_USER", "$_ENV['NEON_POSTGRESQL_USER']"),
            (
                "NEON_POSTGRESQL_PASSWORD",
                r#"$_SERVER["NEON_POSTGRESQL_PASSWORD"]"#,
            ),
            ("DB_DATABASE", "env('DB_DATABASE', 'forge')"),
            ("AFTER_ATTRIBUTE", r#"getenv("AFTER_ATTRIBUTE")"#),
        ],
    );
    let scan = scan_checked(Language::Php, text);
    assert_eq!(scan.comments.len(), 2);
    assert!(scan.env_refs[1].has_default && scan.env_refs[3].has_default);
    assert_eq!(
        locals(Language::Php, text),
        pairs(&[
            ("$host", "NEON_POSTGRESQL_HOST"),
            ("$user", "NEON_POSTGRESQL_USER"),
            ("$pass", "NEON_POSTGRESQL_PASSWORD"),
            ("$db", "DB_DATABASE"),
            ("$y", "AFTER_ATTRIBUTE"),
        ])
    );
    let calls: Vec<(&str, &str)> = scan
        .log_calls
        .iter()
        .map(|c| {
            (
                c.callee.as_str(),
                &text[c.args_range.start..c.args_range.end],
            )
        })
        .collect();
    assert_eq!(
        calls,
        [("echo", r#""host: " . $host"#), ("error_log", "$pass")]
    );
    assert_eq!(scan.split_calls.len(), 1);
    assert_eq!(scan.split_calls[0].receiver_text, "$conn");
    assert_eq!(scan.token_scopes.len(), 1);
    assert_eq!(scan.token_scopes[0].context, ScopeContext::Resource);
    assert_eq!(scan.string_literals.len(), 1);
}

// ---------------------------------------------------------------- Ruby

#[test]
fn ruby_forms_and_facts() {
    let text = r#"# ENV["IN_COMMENT"]
=begin
ENV["IN_BLOCK_COMMENT"]
=end
host = ENV["NEON_POSTGRESQL_HOST"]
user = ENV['NEON_POSTGRESQL_USER'] || "app"
pass = ENV.fetch("NEON_POSTGRESQL_PASSWORD")
port = ENV.fetch("NEON_POSTGRESQL_PORT", "5432")
ssl = ENV.fetch("NEON_POSTGRESQL_SSL") { "true" }
bare = ENV.fetch "BARE_FETCH"
label = "Host #{ENV["INTERPOLATED"]} # not a comment"
single = 'ENV["IN_SINGLE"]'
words = %w[ENV["IN_PERCENT"]]
sql = <<~SQL
  ENV["IN_HEREDOC"]
SQL
puts "host: #{host}"
Rails.logger.info("connecting #{pass}")
parts = host.split(" ")
all = host.split
"#;
    assert_refs(
        Language::Ruby,
        text,
        &[
            ("NEON_POSTGRESQL_HOST", r#"ENV["NEON_POSTGRESQL_HOST"]"#),
            ("NEON_POSTGRESQL_USER", "ENV['NEON_POSTGRESQL_USER']"),
            (
                "NEON_POSTGRESQL_PASSWORD",
                r#"ENV.fetch("NEON_POSTGRESQL_PASSWORD")"#,
            ),
            (
                "NEON_POSTGRESQL_PORT",
                r#"ENV.fetch("NEON_POSTGRESQL_PORT", "5432")"#,
            ),
            ("NEON_POSTGRESQL_SSL", r#"ENV.fetch("NEON_POSTGRESQL_SSL")"#),
            ("BARE_FETCH", r#"ENV.fetch "BARE_FETCH""#),
            ("INTERPOLATED", r#"ENV["INTERPOLATED"]"#),
        ],
    );
    let defaults = names_with_default(Language::Ruby, text);
    let with_default: Vec<&str> = defaults
        .iter()
        .filter(|(_, d)| *d)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        with_default,
        [
            "NEON_POSTGRESQL_USER",
            "NEON_POSTGRESQL_PORT",
            "NEON_POSTGRESQL_SSL"
        ]
    );
    let scan = scan_checked(Language::Ruby, text);
    assert_eq!(scan.comments.len(), 2);
    let callees: Vec<&str> = scan.log_calls.iter().map(|c| c.callee.as_str()).collect();
    assert_eq!(callees, ["puts", "Rails.logger.info"]);
    let separators: Vec<&SplitSeparator> = scan.split_calls.iter().map(|s| &s.separator).collect();
    assert_eq!(
        separators,
        [
            &SplitSeparator::Literal(" ".into()),
            &SplitSeparator::Whitespace
        ]
    );
    assert_eq!(
        locals(Language::Ruby, text)[0],
        ("host".to_owned(), "NEON_POSTGRESQL_HOST".to_owned())
    );
}

// ---------------------------------------------------------------- Shell

#[test]
fn shell_forms_and_facts() {
    let text = r#"#!/bin/bash
# $IN_COMMENT ${IN_COMMENT_TOO}
HOST="$NEON_POSTGRESQL_HOST"
PORT=${NEON_POSTGRESQL_PORT:-5432}
echo "connecting to ${HOST} as $NEON_POSTGRESQL_USER" # trailing comment
echo '$IN_SINGLE_QUOTES'
echo \$ESCAPED $1 $@ $# $? ${#LENGTH} x#notcomment
psql "postgres://$USER:${PASS}@$HOST/db?sslmode=require"
cat <<EOF
expanded $IN_HEREDOC
EOF
cat <<'EOF'
literal $NOT_EXPANDED
EOF
export URL=$(printf '%s' "$NESTED")
"#;
    assert_refs(
        Language::Shell,
        text,
        &[
            ("NEON_POSTGRESQL_HOST", "$NEON_POSTGRESQL_HOST"),
            ("NEON_POSTGRESQL_PORT", "${NEON_POSTGRESQL_PORT:-5432}"),
            ("HOST", "${HOST}"),
            ("NEON_POSTGRESQL_USER", "$NEON_POSTGRESQL_USER"),
            ("LENGTH", "${#LENGTH}"),
            ("USER", "$USER"),
            ("PASS", "${PASS}"),
            ("HOST", "$HOST"),
            ("IN_HEREDOC", "$IN_HEREDOC"),
            ("NESTED", "$NESTED"),
        ],
    );
    let scan = scan_checked(Language::Shell, text);
    assert!(scan.env_refs[1].has_default);
    let comments: Vec<&str> = scan
        .comments
        .iter()
        .map(|c| &text[c.start..c.end])
        .collect();
    assert_eq!(
        comments,
        [
            "#!/bin/bash",
            "# $IN_COMMENT ${IN_COMMENT_TOO}",
            "# trailing comment"
        ]
    );
    assert_eq!(
        locals(Language::Shell, text),
        pairs(&[
            ("HOST", "NEON_POSTGRESQL_HOST"),
            ("PORT", "NEON_POSTGRESQL_PORT")
        ])
    );
    let echoes: Vec<&str> = scan
        .log_calls
        .iter()
        .map(|c| &text[c.args_range.start..c.args_range.end])
        .collect();
    assert_eq!(
        echoes,
        [
            r#""connecting to ${HOST} as $NEON_POSTGRESQL_USER""#,
            "'$IN_SINGLE_QUOTES'",
            r"\$ESCAPED $1 $@ $# $? ${#LENGTH} x#notcomment",
            r#"'%s' "$NESTED""#,
        ]
    );
    assert_eq!(scan.string_literals.len(), 1);
    assert!(scan.string_literals[0].interpolated);
}

// ---------------------------------------------------------------- Dockerfile

#[test]
fn dockerfile_forms_and_definitions() {
    let text = r#"# syntax=docker/dockerfile:1
FROM python:3.12
ARG APP_VERSION=1.0
ARG BUILD_ONLY
ENV PGSSLMODE=require PATH="/app/bin:$PATH"
ENV LEGACY value with spaces
# RUN echo $IN_COMMENT
RUN echo "building $APP_VERSION" \
    # a comment line inside the continuation $NOT_A_REF
    && pip install -r requirements.txt
WORKDIR ${APP_HOME:-/app}
CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:$PORT app:app"]
"#;
    assert_refs(
        Language::Dockerfile,
        text,
        &[
            ("PATH", "$PATH"),
            ("APP_VERSION", "$APP_VERSION"),
            ("APP_HOME", "${APP_HOME:-/app}"),
            ("PORT", "$PORT"),
        ],
    );
    let scan = scan_checked(Language::Dockerfile, text);
    let definitions: Vec<(&str, Option<&str>, DefinitionForm)> = scan
        .env_definitions
        .iter()
        .map(|d| {
            (
                d.name.as_str(),
                d.value_range.map(|v| &text[v.start..v.end]),
                d.form,
            )
        })
        .collect();
    assert_eq!(
        definitions,
        [
            ("APP_VERSION", Some("1.0"), DefinitionForm::DockerfileArg),
            ("BUILD_ONLY", None, DefinitionForm::DockerfileArg),
            ("PGSSLMODE", Some("require"), DefinitionForm::DockerfileEnv),
            (
                "PATH",
                Some(r#""/app/bin:$PATH""#),
                DefinitionForm::DockerfileEnv
            ),
            (
                "LEGACY",
                Some("value with spaces"),
                DefinitionForm::DockerfileEnv
            ),
        ]
    );
    assert_eq!(scan.comments.len(), 3);
    assert_eq!(scan.log_calls.len(), 1);
    assert_eq!(scan.log_calls[0].callee, "echo");
}

// ---------------------------------------------------------------- YAML

#[test]
fn yaml_compose_kubernetes_and_actions() {
    let text = r#"# ${IN_COMMENT}
services:
  api:
    image: "app:${TAG:-latest}"  # comment ${IN_TRAILING_COMMENT}
    environment:
      DATABASE_URL: ${NEON_POSTGRESQL_CONNECTIONSTRING}
      ESCAPED: $${NOT_A_REF}
      QUOTED: 'it''s ${SINGLE} # not a comment'
      URL: "postgres://u:p@ep-x.neon.tech/db?sslmode=require" # real comment
    command: ["sh", "-c", "echo $(KUBE_VAR)"]
jobs:
  test:
    env:
      TOKEN: ${{ secrets.NEON_API_KEY }}
    steps:
      - run: echo "$NEON_POSTGRESQL_HOST" # shell comment $NOT_REF
      - name: multi
        run: |
          # $IN_SCRIPT_COMMENT
          psql "${{ secrets.URL }}" -c "select 1"
          export HOST="${NEON_POSTGRESQL_HOST}"
        shell: bash
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.ref }}
"#;
    assert_refs(
        Language::Yaml,
        text,
        &[
            ("TAG", "${TAG:-latest}"),
            (
                "NEON_POSTGRESQL_CONNECTIONSTRING",
                "${NEON_POSTGRESQL_CONNECTIONSTRING}",
            ),
            ("SINGLE", "${SINGLE}"),
            ("KUBE_VAR", "$(KUBE_VAR)"),
            ("NEON_POSTGRESQL_HOST", "$NEON_POSTGRESQL_HOST"),
            ("NEON_POSTGRESQL_HOST", "${NEON_POSTGRESQL_HOST}"),
        ],
    );
    let scan = scan_checked(Language::Yaml, text);
    let comments: Vec<&str> = scan
        .comments
        .iter()
        .map(|c| &text[c.start..c.end])
        .collect();
    assert_eq!(
        comments,
        [
            "# ${IN_COMMENT}",
            "# comment ${IN_TRAILING_COMMENT}",
            "# real comment",
            "# shell comment $NOT_REF",
            "# $IN_SCRIPT_COMMENT",
        ]
    );
    assert!(scan.env_refs[0].has_default);
    let literals: Vec<&str> = scan
        .string_literals
        .iter()
        .map(|l| l.value.as_str())
        .collect();
    assert_eq!(
        literals,
        ["postgres://u:p@ep-x.neon.tech/db?sslmode=require"]
    );
    assert_eq!(scan.log_calls.len(), 1);
    assert_eq!(
        locals(Language::Yaml, text),
        pairs(&[("HOST", "NEON_POSTGRESQL_HOST")])
    );
}

#[test]
fn yaml_scopes() {
    let text = "spring:\n  cloud:\n    azure:\n      credential:\n        scopes: https://ossrdbms-aad.database.windows.net/.default\nother:\n  scopes:\n    - \"https://database.windows.net/.default\"\n  name: x\n";
    let scan = scan_checked(Language::Yaml, text);
    let scopes: Vec<&str> = scan.token_scopes.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(
        scopes,
        [
            "https://ossrdbms-aad.database.windows.net/.default",
            "https://database.windows.net/.default"
        ]
    );
}

// ---------------------------------------------------------------- .properties

#[test]
fn properties_forms() {
    let text = "# ${IN_COMMENT}\n! ${IN_BANG_COMMENT}\nspring.datasource.url=${AZURE_POSTGRESQL_URL}\nspring.datasource.username = ${AZURE_POSTGRESQL_USERNAME:admin}\nplain: jdbc:postgresql://h:5432/db?sslmode=require&password=p\nmulti=first \\\n  ${CONTINUED}\nspring.cloud.azure.credential.scopes=https://ossrdbms-aad.database.windows.net/.default\nurl#notcomment=${AFTER}\n";
    assert_refs(
        Language::Properties,
        text,
        &[
            ("AZURE_POSTGRESQL_URL", "${AZURE_POSTGRESQL_URL}"),
            (
                "AZURE_POSTGRESQL_USERNAME",
                "${AZURE_POSTGRESQL_USERNAME:admin}",
            ),
            ("CONTINUED", "${CONTINUED}"),
            ("AFTER", "${AFTER}"),
        ],
    );
    let scan = scan_checked(Language::Properties, text);
    assert_eq!(scan.comments.len(), 2);
    assert!(scan.env_refs[1].has_default && !scan.env_refs[0].has_default);
    assert_eq!(scan.string_literals.len(), 1);
    assert_eq!(scan.token_scopes.len(), 1);
}

// ---------------------------------------------------------------- robustness

#[test]
fn crlf_line_endings() {
    let python = "x = os.getenv(\"A\")  # note\r\ny = os.environ[\"B\"]\r\n";
    let scan = scan_checked(Language::Python, python);
    assert_eq!(scan.env_refs.len(), 2);
    assert_eq!(
        &python[scan.comments[0].start..scan.comments[0].end],
        "# note"
    );
    let yaml = "a: ${A} # c\r\nrun: |\r\n  echo $B\r\n";
    let names: Vec<String> = refs(Language::Yaml, yaml)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["A", "B"]);
    let properties = "# c\r\nurl=${URL}\r\n";
    assert_refs(Language::Properties, properties, &[("URL", "${URL}")]);
    let shell = "echo $A # c\r\nB=\"$C\"\r\n";
    let scan = scan_checked(Language::Shell, shell);
    assert_eq!(scan.env_refs.len(), 2);
    assert_eq!(scan.assignments.len(), 1);
}

#[test]
fn unterminated_constructs_do_not_panic() {
    let fragments = [
        "\"",
        "'",
        "`",
        "/*",
        "\"\"\"",
        "'''",
        "${",
        "$(",
        "#{",
        "f\"{",
        "`${",
        "@\"",
        "$\"{",
        "<<<EOT\n",
        "<<~X\n",
        "=begin\n",
        "<<EOF\n",
        "%w[",
        "os.environ[",
        "process.env[",
        "os.getenv(",
        "ENV.fetch(",
        "getenv(",
        "System.getenv()",
        "run: |\n",
        "key: \"",
        "a=\\",
        "é\"ü",
        "/",
        "?",
        "$'",
        "{ X } = process.env",
    ];
    for language in Language::ALL {
        for fragment in fragments {
            scan_checked(*language, fragment);
            scan_checked(*language, &format!("x = {fragment}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_input_never_panics(text in "\\PC{0,200}") {
        for language in Language::ALL {
            scan_checked(*language, &text);
        }
    }

    #[test]
    fn code_like_input_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("os.environ[\"X\"]"), Just("process.env.X"), Just("${X:-d}"), Just("$X"), Just("\""),
                Just("'"), Just("`"), Just("#"), Just("//"), Just("/*"), Just("*/"), Just("\n"), Just("{"),
                Just("}"), Just("("), Just(")"), Just("["), Just("]"), Just("\\"), Just("é"), Just(" "),
                Just("f\"{"), Just("<<EOF\n"), Just("EOF"), Just("run: |"), Just("- "), Just(": "),
                Just("getenv('Y')"), Just("ENV['Z']"), Just("console.log("), Just(".split(\" \")"),
                Just("ssl: "), Just("get_token(\""), Just("scope="), Just("="), Just("const {"),
            ],
            0..40,
        )
    ) {
        let text: String = parts.concat();
        for language in Language::ALL {
            scan_checked(*language, &text);
        }
    }
}
