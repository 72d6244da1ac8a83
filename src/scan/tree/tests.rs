//! Syntax-tree scanning: value flow, platform paths, templates, dialects and linear time.

use crate::scan::{Language, Scan, ValueKind, ValueOrigin, ValueRole, scan, scan_path};

/// `(expression, kind)` of every use fact, in order.
fn uses(scan: &Scan, text: &str) -> Vec<(String, ValueKind)> {
    scan.values
        .iter()
        .filter(|v| v.role == ValueRole::Use)
        .map(|v| (text[v.range.start..v.range.end].to_owned(), v.kind))
        .collect()
}

/// The use facts inside each log call's arguments.
fn logged(scan: &Scan, text: &str) -> Vec<String> {
    scan.log_calls
        .iter()
        .filter_map(|call| {
            scan.values
                .iter()
                .find(|v| v.role == ValueRole::Logged && call.args_range.contains_range(v.range))
                .map(|v| text[v.range.start..v.range.end].to_owned())
        })
        .collect()
}

#[test]
fn names_inside_strings_are_not_values() {
    let text = r#"import os
conn_str = os.environ["AZURE_POSTGRESQL_CONNECTIONSTRING"]
if conn_str:
    print("conn_str is not empty")
    logging.info("using conn_str from the environment")
    print(len(conn_str), "set" if conn_str else "unset", conn_str is None)
    logging.info("has a connection string: %s", bool(conn_str))
"#;
    let scan = scan(Language::Python, text);
    assert_eq!(scan.log_calls.len(), 4);
    assert!(logged(&scan, text).is_empty(), "{:?}", scan.values);
}

#[test]
fn python_flow_through_blocks_functions_and_methods() {
    let text = r#"import os
from psycopg.conninfo import conninfo_to_dict

def get_conn():
    return os.environ["AZURE_POSTGRESQL_CONNECTIONSTRING"]

class Settings:
    def __init__(self):
        if os.getenv("WEBSITE_HOSTNAME"):
            self.conn_str = os.environ["AZURE_POSTGRESQL_CONNECTIONSTRING"]
        else:
            self.conn_str = "dbname=local"

    def parts(self):
        return self.conn_str.split(" ")

def main():
    conn = get_conn()
    conn_dict = {p.split("=")[0]: p.split("=")[1] for p in conn.split(" ")}
    params = conninfo_to_dict(conn)
    print(conn_dict)
    print(f"password is {conn_dict['password']}")
    print("host", params["host"])
    print(params.get("password"))
    token = credential.get_token("https://ossrdbms-aad.database.windows.net/.default").token
    logger.info(token)
    dsn = "postgresql://{}:{}@{}/app".format(user, conn_dict["password"], host)
    print(dsn)
"#;
    let scan = scan(Language::Python, text);
    assert_eq!(
        logged(&scan, text),
        [
            "conn_dict",
            "conn_dict['password']",
            "params.get(\"password\")",
            "token",
            "dsn"
        ]
    );
    let found = uses(&scan, text);
    assert!(found.contains(&("conn".to_owned(), ValueKind::ConnectionString)));
    assert!(found.contains(&("self.conn_str".to_owned(), ValueKind::ConnectionString)));
    assert!(found.contains(&("dsn".to_owned(), ValueKind::ConnectionString)));
    assert!(found.contains(&("token".to_owned(), ValueKind::Token)));
    // The parsed dict's host is not a secret.
    assert!(!found.iter().any(|(e, _)| e == "params[\"host\"]"));
    // The env origin is kept through the function return.
    let conn = scan
        .values
        .iter()
        .find(|v| &text[v.range.start..v.range.end] == "conn" && v.role == ValueRole::Use)
        .map(|v| v.origin);
    assert!(matches!(conn, Some(ValueOrigin::EnvRef(_))));
    // `.format` template: not a connection-string constant.
    assert!(scan.string_literals.iter().all(|l| l.interpolated));
}

#[test]
fn javascript_flow_and_destructuring() {
    let text = r#"const { parse } = require("pg-connection-string");
const { DATABASE_URL: url, NEON_POSTGRESQL_PASSWORD } = process.env;
function connect() {
  if (url) {
    const config = parse(url);
    console.log(config);
    console.log(`password: ${config.password}`);
    console.log("host", config.host);
    const { password, host } = new URL(url);
    console.log(password, host);
    console.log("url is set");
  }
  console.log(NEON_POSTGRESQL_PASSWORD);
}
"#;
    let scan = scan(Language::JavaScript, text);
    assert_eq!(
        logged(&scan, text),
        [
            "config",
            "config.password",
            "password",
            "NEON_POSTGRESQL_PASSWORD"
        ]
    );
}

#[test]
fn manual_split_inside_blocks() {
    let text = r#"import os
def settings():
    if "WEBSITE_HOSTNAME" in os.environ:
        conn_str = os.environ["AZURE_POSTGRESQL_CONNECTIONSTRING"]
        params = {pair.split("=")[0]: pair.split("=")[1] for pair in conn_str.split(" ")}
"#;
    let scan = scan(Language::Python, text);
    let receivers: Vec<(&str, bool)> = scan
        .split_calls
        .iter()
        .map(|s| {
            let tracked = scan
                .values
                .iter()
                .any(|v| v.range == s.receiver_range && v.kind == ValueKind::ConnectionString);
            (s.receiver_text.as_str(), tracked)
        })
        .collect();
    assert_eq!(
        receivers,
        [("pair", false), ("pair", false), ("conn_str", true)]
    );
}

#[test]
fn platform_paths() {
    let text = r#"import os
from dotenv import load_dotenv
if os.getenv("WEBSITE_HOSTNAME"):
    host = os.environ["AZURE_POSTGRESQL_HOST"]
else:
    load_dotenv()
    host = os.environ["DBHOST"]
if "WEBSITE_HOSTNAME" not in os.environ:
    local = os.environ["LOCAL_ONLY"]
else:
    from .production import *
settings_module = "azureproject.production" if "WEBSITE_HOSTNAME" in os.environ else "azureproject.settings"
always = os.environ["ALWAYS"]
"#;
    let scan = scan(Language::Python, text);
    let flags: Vec<(&str, bool)> = scan
        .env_refs
        .iter()
        .map(|r| (r.name.as_str(), r.platform_path))
        .collect();
    assert_eq!(
        flags,
        [
            ("WEBSITE_HOSTNAME", false),
            ("AZURE_POSTGRESQL_HOST", true),
            ("DBHOST", false),
            ("LOCAL_ONLY", false),
            ("ALWAYS", false),
        ]
    );
    let platform = scan.platform.as_ref().expect("platform context");
    assert_eq!(platform.modules, [".production", "azureproject.production"]);
    let dbhost = scan.env_refs[2].expr_range;
    assert_eq!(scan.platform_path_of(dbhost), Some(false));

    let js = "if (process.env.WEBSITE_HOSTNAME) { use(process.env.AZURE_POSTGRESQL_PASSWORD); } else { use(process.env.PGPASSWORD); }\n";
    let scan = super::super::scan(Language::JavaScript, js);
    let flags: Vec<bool> = scan.env_refs.iter().map(|r| r.platform_path).collect();
    assert_eq!(flags, [false, true, false]);
}

#[test]
fn identity_endpoint_requests_are_token_requests() {
    let text = r#"import os, requests
resp = requests.get(
    os.environ["IDENTITY_ENDPOINT"],
    params={"resource": "https://ossrdbms-aad.database.windows.net", "api-version": "2019-08-01"},
    headers={"X-IDENTITY-HEADER": os.environ["IDENTITY_HEADER"]},
)
password = resp.json()["access_token"]
RESOURCE = "https://ossrdbms-aad.database.windows.net"
"#;
    let scan = scan(Language::Python, text);
    let scopes: Vec<(&str, crate::scan::ScopeContext)> = scan
        .token_scopes
        .iter()
        .map(|s| (s.value.as_str(), s.context))
        .collect();
    assert_eq!(
        scopes,
        [
            (
                "https://ossrdbms-aad.database.windows.net",
                crate::scan::ScopeContext::Resource
            ),
            (
                "https://ossrdbms-aad.database.windows.net",
                crate::scan::ScopeContext::Resource
            ),
        ]
    );
}

#[test]
fn templates_are_templates() {
    for (language, text) in [
        (
            Language::Python,
            "url = 'postgresql://{}@{}:{}/{}'.format(u, h, p, d)\n",
        ),
        (
            Language::Python,
            "url = 'postgresql://%s:%s@%s/db' % (u, pw, h)\n",
        ),
        (
            Language::Python,
            "url = 'postgresql://{user}:{password}@{host}/db'\n",
        ),
        (
            Language::Python,
            "url = f'postgresql://{user}:{password}@{host}/db'\n",
        ),
        (
            Language::JavaScript,
            "const url = `postgresql://${u}:${p}@${h}/db`;\n",
        ),
        (
            Language::JavaScript,
            "const url = 'postgresql://{{ user }}:{{ password }}@host/db';\n",
        ),
        (Language::Go, "url := \"postgres://%s:%s@%s/db\"\n"),
    ] {
        let scan = scan(language, text);
        assert_eq!(scan.string_literals.len(), 1, "{text}");
        assert!(scan.string_literals[0].interpolated, "{text}");
    }
    // Percent-encoding is not a placeholder.
    let scan = scan(
        Language::Python,
        "url = 'postgresql://app:p%40ss%2Fword%d3@host/db'\n",
    );
    assert!(!scan.string_literals[0].interpolated);
}

#[test]
fn grammars_by_extension() {
    let tsx = "const App = () => <div>{process.env.NEXT_PUBLIC_API}</div>;\nconst url = process.env.DATABASE_URL as string;\n";
    let names: Vec<String> = scan_path("web/App.tsx", Language::JavaScript, tsx)
        .env_refs
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["NEXT_PUBLIC_API", "DATABASE_URL"]);
    let ts = "const n = <number>x; const url: string = process.env.DATABASE_URL!;\n";
    let names: Vec<String> = scan_path("src/db.ts", Language::JavaScript, ts)
        .env_refs
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["DATABASE_URL"]);
    // Without a path, TypeScript is still read when JavaScript fails.
    let names: Vec<String> = scan(
        Language::JavaScript,
        "interface Env { a: string }\nconst url: string = process.env.DATABASE_URL ?? \"\";\n",
    )
    .env_refs
    .into_iter()
    .map(|r| (r.name, r.has_default))
    .map(|(n, d)| format!("{n}:{d}"))
    .collect();
    assert_eq!(names, ["DATABASE_URL:true"]);
}

/// CPU time this thread has used, in seconds (user + system).
fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given and has no other effect.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Generated inputs of the kinds issue 16 lists: each must scan in linear time. The CPU bound
/// is loose (a debug build); quadratic behaviour misses it by minutes.
#[test]
fn pathological_inputs_scan_in_linear_time() {
    let cases: Vec<(Language, String)> = vec![
        (
            Language::JavaScript,
            format!("const s = conn{};\n", ".split(\"=\")".repeat(16_000)),
        ),
        (Language::Python, format!("x = {}\n", "'".repeat(800_000))),
        // Over the syntax-tree cap: the regex scanner takes it.
        (
            Language::JavaScript,
            "var a = process.env.DATABASE_URL + f(1, [2, 3]);\n".repeat(90_000),
        ),
        (
            Language::Python,
            format!(
                "import os\nconn = os.environ['DATABASE_URL']\n{}",
                "print(conn, os.environ['NEON_POSTGRESQL_PASSWORD'])\n".repeat(18_000)
            ),
        ),
        (
            Language::JavaScript,
            format!(
                "const c = process.env.DATABASE_URL;\n{}",
                "console.log(c + process.env.X);\n".repeat(20_000)
            ),
        ),
        (
            Language::Python,
            format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000)),
        ),
        (
            Language::JavaScript,
            format!("x = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000)),
        ),
        (
            Language::Python,
            format!("s = {}\n", "a + ".repeat(100_000) + "conn"),
        ),
        (
            Language::JavaScript,
            format!(
                "if (process.env.WEBSITE_HOSTNAME) {{ {} }}\n",
                "if (a) { b = process.env.X; }\n".repeat(30_000)
            ),
        ),
    ];
    for (language, text) in cases {
        // This thread's CPU time, not the wall clock: other tests and builds on a shared
        // machine must not decide the result.
        let started = thread_cpu_seconds();
        let found = scan(language, &text);
        let cpu = thread_cpu_seconds() - started;
        assert!(
            cpu < 20.0,
            "{} bytes of {language:?} took {cpu:.1} s CPU",
            text.len()
        );
        // Every fact still lies inside the text.
        assert!(found.values.iter().all(|v| v.range.end <= text.len()));
        // Long lines and big files go to the regex scanner (`tree_fits`); the tree walk must
        // stay linear on them all the same (an editor's document, a file under the caps).
        if text.len() <= super::MAX_TREE_BYTES {
            let dialect = if language == Language::Python {
                super::Dialect::Python
            } else {
                super::Dialect::JavaScriptOrTypeScript
            };
            let started = thread_cpu_seconds();
            let found = super::scan_tree(dialect, language, &text);
            let cpu = thread_cpu_seconds() - started;
            assert!(
                cpu < 20.0,
                "{} bytes of {language:?} took {cpu:.1} s CPU in the tree walk",
                text.len()
            );
            assert!(found.values.iter().all(|v| v.range.end <= text.len()));
        }
    }
}

#[test]
#[ignore]
fn scaling_probe() {
    for n in [7_500, 15_000, 30_000] {
        let text = format!(
            "import os\nconn = os.environ['DATABASE_URL']\n{}",
            "print(conn, os.environ['NEON_POSTGRESQL_PASSWORD'])\n".repeat(n)
        );
        let started = std::time::Instant::now();
        let tree = super::parse(super::Dialect::Python, &text).unwrap();
        let parsed = started.elapsed();
        drop(tree);
        let started = std::time::Instant::now();
        let _ = scan(Language::Python, &text);
        eprintln!("{n}: parse {parsed:?} scan {:?}", started.elapsed());
    }
}

/// The language-server latency benchmark's document (`benches/lsp_latency.rs`): 10,000 lines of
/// JavaScript with 500 env reads; what one edit's scan costs, parse apart.
/// `cargo test --release --lib lsp_document_probe -- --ignored --nocapture`.
#[test]
#[ignore]
fn lsp_document_probe() {
    let mut text = String::new();
    for line in 0..10_000 {
        if line % 20 == 0 {
            text.push_str(&format!(
                "const v{line} = process.env.NEON_POSTGRESQL_HOST; // reference\n"
            ));
        } else {
            text.push_str(&format!(
                "function f{line}(a, b) {{ return a * {line} + b; }}\n"
            ));
        }
    }
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let tree = super::parse(super::Dialect::JavaScriptOrTypeScript, &text);
        let parsed = started.elapsed();
        drop(tree);
        let started = std::time::Instant::now();
        let _ = crate::scan::scan_path("big.js", Language::JavaScript, &text);
        let scanned = started.elapsed();
        let started = std::time::Instant::now();
        let _ = crate::scan::scan_regex(Language::JavaScript, &text);
        eprintln!(
            "{} bytes: parse {parsed:?}, whole scan {scanned:?}, regex scan {:?}",
            text.len(),
            started.elapsed()
        );
    }
}

/// Debug-build estimate of what the syntax trees cost `check` on a tree: only the files that
/// pass the prefilter are parsed. `NEON_LSP_PROBE_DIR=… cargo test --lib prefiltered_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn prefiltered_cost() {
    let Ok(root) = std::env::var("NEON_LSP_PROBE_DIR") else {
        eprintln!("set NEON_LSP_PROBE_DIR");
        return;
    };
    let mut stack = vec![std::path::PathBuf::from(root)];
    let mut relevant = Vec::new();
    let (mut files, mut bytes) = (0usize, 0usize);
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(language) = Language::for_path(&path.to_string_lossy())
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files += 1;
                bytes += text.len();
                if crate::scan::might_be_relevant(text.as_bytes()) {
                    relevant.push((language, text));
                }
            }
        }
    }
    let relevant_bytes: usize = relevant.iter().map(|(_, t)| t.len()).sum();
    let started = std::time::Instant::now();
    for (language, text) in &relevant {
        let dialect = if *language == Language::Python {
            super::Dialect::Python
        } else {
            super::Dialect::JavaScriptOrTypeScript
        };
        let _ = super::parse(dialect, text);
    }
    let parse = started.elapsed();
    let started = std::time::Instant::now();
    for (language, text) in &relevant {
        let _ = scan(*language, text);
    }
    let tree = started.elapsed();
    let started = std::time::Instant::now();
    for (language, text) in &relevant {
        let _ = crate::scan::scan_regex(*language, text);
    }
    let regex = started.elapsed();
    // The gate: which files keep the regex scanner's answer, and what the tree would have
    // found in them that a rule reads (values, platform paths, env reads).
    let (mut gated, mut gated_bytes) = (0usize, 0usize);
    for (language, text) in &relevant {
        let dialect = if *language == Language::Python {
            super::Dialect::Python
        } else {
            super::Dialect::JavaScriptOrTypeScript
        };
        let quick = crate::scan::scan_regex(*language, text);
        if super::needs_tree(*language, text, &quick) || text.len() > super::MAX_TREE_BYTES {
            continue;
        }
        gated += 1;
        gated_bytes += text.len();
        let full = super::scan_tree(dialect, *language, text);
        if !full.values.is_empty() || full.platform.is_some() || !full.env_refs.is_empty() {
            let lost: Vec<String> = full
                .values
                .iter()
                .map(|v| {
                    format!(
                        "{:?} {:?} {:?} {:?}",
                        &text[v.range.start..v.range.end],
                        v.kind,
                        v.origin,
                        v.role
                    )
                })
                .collect();
            eprintln!(
                "lost by the gate: refs {} platform {} values {lost:?}",
                full.env_refs.len(),
                full.platform.is_some()
            );
        }
    }
    eprintln!("gate: {gated} files ({gated_bytes} bytes) keep the regex scan");
    eprintln!(
        "{files} files, {bytes} bytes; {} pass the prefilter ({relevant_bytes} bytes): syntax trees {tree:?} (parse alone {parse:?}, C at -O3), regex {regex:?} (debug build)",
        relevant.len()
    );
}

#[test]
fn platform_flags_and_production_comparisons() {
    let text = r#"import os
ON_AZURE = "WEBSITE_HOSTNAME" in os.environ
IN_AKS = bool(os.getenv("KUBERNETES_SERVICE_HOST"))
if ON_AZURE:
    a = os.environ["AZURE_POSTGRESQL_HOST"]
if not IN_AKS:
    b = os.environ["LOCAL_B"]
if os.getenv("FLASK_ENV") == "production":
    c = os.environ["PROD_C"]
else:
    d = os.environ["DEV_D"]
flip = "WEBSITE_HOSTNAME" in os.environ
flip = False
if flip:
    e = os.environ["UNKNOWN_E"]
if os.getenv("FLASK_ENV") == "development":
    f = os.environ["DEV_F"]
"#;
    let scan = scan(Language::Python, text);
    let on_platform: Vec<&str> = scan
        .env_refs
        .iter()
        .filter(|r| r.platform_path)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(on_platform, ["AZURE_POSTGRESQL_HOST", "PROD_C"]);
    let local_b = scan
        .env_refs
        .iter()
        .find(|r| r.name == "LOCAL_B")
        .expect("LOCAL_B read");
    assert_eq!(scan.platform_path_of(local_b.expr_range), Some(false));

    let js = r#"const onAppService = Boolean(process.env.WEBSITE_HOSTNAME);
const isProd = "production" === process.env.NODE_ENV;
const pool = onAppService ? make(process.env.NEON_POSTGRESQL_HOST) : make(process.env.DATABASE_URL);
if (isProd) { use(process.env.NEON_POSTGRESQL_USER); }
if (process.env.NODE_ENV !== "production") { use(process.env.LOCAL_ONLY); }
"#;
    let scan = super::super::scan(Language::JavaScript, js);
    let on_platform: Vec<&str> = scan
        .env_refs
        .iter()
        .filter(|r| r.platform_path)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        on_platform,
        ["NEON_POSTGRESQL_HOST", "NEON_POSTGRESQL_USER"]
    );
}

#[test]
fn objects_and_generator_arguments_hold_what_they_contain() {
    let text = r#"import os
conn_str = os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"]
conn_dict = dict(item.split("=", 1) for item in conn_str.split(" "))
print(conn_dict)
print({"password": conn_dict["password"], "host": "x"})
print({"host": conn_dict["host"]})
"#;
    let scan = scan(Language::Python, text);
    assert_eq!(
        logged(&scan, text),
        ["conn_dict", "conn_dict[\"password\"]"]
    );

    let js = r#"const { AZURE_POSTGRESQL_PASSWORD: password, AZURE_POSTGRESQL_HOST: host } = process.env;
const config = { host, password, port: 5432 };
logger.info({ config }, "configured");
logger.info({ host }, "host");
console.log({ ...config });
"#;
    let scan = super::super::scan(Language::JavaScript, js);
    assert_eq!(logged(&scan, js), ["config", "config"]);
}

/// Minified and generated files get the regex scanner: a line over 16 KiB, or over 1 MiB in
/// all; the reads in them are still found.
#[test]
fn long_lines_get_the_regex_scanner() {
    let short = "import os\nx = os.environ['NEON_POSTGRESQL_HOST']\n";
    assert!(super::tree_fits(short));
    let long_line = format!(
        "import os\nx = [{}]\nos.environ['NEON_POSTGRESQL_HOST']\n",
        "1,".repeat(10_000)
    );
    assert!(!super::tree_fits(&long_line));
    let last_line = format!("{}{}", "a = 1\n".repeat(5_000), "b".repeat(20_000));
    assert!(!super::tree_fits(&last_line));
    assert!(super::tree_fits(&"a = 1\n".repeat(20_000)));
    let found = scan(Language::Python, &long_line);
    assert_eq!(found.env_refs.len(), 1);
    assert_eq!(found.env_refs[0].name, "NEON_POSTGRESQL_HOST");
}

/// The gate's needles count only as whole identifiers: prose ("environment"), longer names
/// (`target_tokens`, pygments' `get_tokens`) and a Python string holding just the word do
/// not send a file to the tree.
#[test]
fn tree_needles_are_whole_identifiers() {
    let python = |text: &str| super::has_tree_needle(Language::Python, text);
    let javascript = |text: &str| super::has_tree_needle(Language::JavaScript, text);
    for text in [
        "import os\nx = os.environ['A']\n",
        "from os import environ as e\n",
        "from os import getenv\n",
        "if 'A' in os.environ:\n    pass\n",
        "t = credential.get_token(scope).token\n",
        "r = app.acquire_token_for_client(scopes=s)\n",
        "info = c.get_token_info(s)\n",
    ] {
        assert!(python(text), "{text}");
    }
    for text in [
        "# the environment decides\n",
        "files = ('.Renviron', '.Rprofile')\n",
        "BUILTINS = ['getenv', 'putenv']\n",
        "x = os.environb[b'A']\n",
        "fk.target_tokens\n",
        "lexer.get_tokens_unprocessed(text)\n",
        "self._get_token()\n",
    ] {
        assert!(!python(text), "{text}");
    }
    for text in [
        "const a = process.env.A;\n",
        "const { env } = process;\n",
        "const { 'env': e } = process;\n",
        "const t = await credential.getToken(scope);\n",
        "const t = credential.getTokenSync(scope);\n",
        "const c = new TokenRequestContext(s);\n",
    ] {
        assert!(javascript(text), "{text}");
    }
    for text in [
        "require('dotenv').config();\n",
        "// the environment decides\n",
        "const envelope = 1;\n",
        "lexer.getTokens();\n",
    ] {
        assert!(!javascript(text), "{text}");
    }
}

/// The facts walk visits only the kinds of `kinds::VISITED`: every Python and
/// JavaScript/TypeScript file of the test fixtures scans to the same facts as when it visits
/// every node.
#[test]
fn visiting_only_the_listed_kinds_finds_every_fact() {
    use super::{Dialect, scan_tree, scan_tree_visiting_all};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut stack = vec![root];
    let mut compared = 0;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.to_string_lossy().to_ascii_lowercase();
            let (dialect, language) = if name.ends_with(".py") {
                (Dialect::Python, Language::Python)
            } else if name.ends_with(".tsx") {
                (Dialect::Tsx, Language::JavaScript)
            } else if name.ends_with(".ts") {
                (Dialect::TypeScript, Language::JavaScript)
            } else if [".js", ".jsx", ".mjs", ".cjs"]
                .iter()
                .any(|e| name.ends_with(e))
            {
                (Dialect::JavaScriptOrTypeScript, Language::JavaScript)
            } else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            assert_eq!(
                scan_tree(dialect, language, &text),
                scan_tree_visiting_all(dialect, language, &text),
                "{}",
                path.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} fixture files");
}

/// Calibration of `budget.rs`: the longest stall and the checks per KiB of real parses.
/// `NEON_PARSE_PROBE=dir:dir cargo test --release --lib parse_budget_probe -- --ignored --nocapture`.
#[test]
#[ignore]
fn parse_budget_probe() {
    use super::budget::{Budget, parse_counting};
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| ["js", "mjs", "cjs", "ts", "py"].iter().any(|x| e == *x))
            {
                out.push(path);
            }
        }
    }
    let mut inputs: Vec<(String, String)> = vec![
        ("js 1 MiB of `a;`".into(), "a;\n".repeat(349_000)),
        ("py 1 MiB of `x = 1`".into(), "x = 1\n".repeat(174_000)),
        (
            "js nested".into(),
            format!("x = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000)),
        ),
        (
            "js unclosed".into(),
            format!("x = {}1\n", "[".repeat(50_000)),
        ),
        (
            "py nested".into(),
            format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000)),
        ),
        (
            "py unclosed".into(),
            format!("x = {}1\n", "(".repeat(50_000)),
        ),
        ("py quotes".into(), format!("x = {}\n", "'".repeat(800_000))),
        (
            "js garbage".into(),
            "}{)(][;,.:?!@#%^&*<>/\\`'\"".repeat(30_000),
        ),
        (
            "py garbage".into(),
            "}{)(][;,.:?!@#%^&*<>/\\`'\"".repeat(30_000),
        ),
    ];
    let mut paths = Vec::new();
    for dir in std::env::var("NEON_PARSE_PROBE")
        .unwrap_or_default()
        .split(':')
    {
        if !dir.is_empty() {
            walk(std::path::Path::new(dir), &mut paths);
        }
    }
    for path in paths {
        if let Ok(text) = std::fs::read_to_string(&path)
            && super::tree_fits(&text)
        {
            inputs.push((path.display().to_string(), text));
        }
    }
    let mut rows = Vec::new();
    let mut bytes = 0;
    let started = std::time::Instant::now();
    for (name, text) in &inputs {
        bytes += text.len();
        let grammars: Vec<tree_sitter::Language> =
            if name.ends_with(".py") || name.starts_with("py ") {
                vec![tree_sitter_python::LANGUAGE.into()]
            } else {
                vec![
                    tree_sitter_javascript::LANGUAGE.into(),
                    tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
                ]
            };
        for grammar in grammars {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&grammar).unwrap();
            let mut budget = Budget::unlimited();
            let tree = parse_counting(&mut parser, text, None, &mut budget);
            let per_kib = budget.checks() as f64 * 1024.0 / text.len().max(1) as f64;
            rows.push((
                budget.longest_stall,
                per_kib,
                budget.checks(),
                tree.is_some(),
                name.clone(),
                text.len(),
            ));
        }
    }
    eprintln!(
        "{} inputs, {} parses, {bytes} bytes, {:?}",
        inputs.len(),
        rows.len(),
        started.elapsed()
    );
    rows.sort_by_key(|row| std::cmp::Reverse(row.0));
    for row in rows.iter().take(12) {
        eprintln!(
            "stall {} per KiB {:.1} checks {} ok {} {} ({} B)",
            row.0, row.1, row.2, row.3, row.4, row.5
        );
    }
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    for row in rows.iter().filter(|row| row.5 >= 1024).take(12) {
        eprintln!(
            "per KiB {:.1} stall {} checks {} ok {} {} ({} B)",
            row.1, row.0, row.2, row.3, row.4, row.5
        );
    }
    let bytes = include_bytes!("../../../fuzz/seeds/scan/scan-timeout-49fdb282");
    let text = String::from_utf8_lossy(bytes.get(1..).unwrap_or_default()).into_owned();
    let language: tree_sitter::Language = tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into();
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).unwrap();
    let started = std::time::Instant::now();
    let tree = super::parse_bounded(&mut parser, &text, None);
    eprintln!(
        "fuzz input: tree {} in {:?}",
        tree.is_some(),
        started.elapsed()
    );
}
