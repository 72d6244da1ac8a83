//! Snippets in context (`snippet::place`): for every client type, several real file shapes get
//! the snippet after their imports (or over a selected connection setup), with imports merged
//! and never duplicated, in the file's indentation and quote style. Each result is pinned as an
//! insta snapshot (tests/snapshots/snippet_place__*.snap) and must still parse with the
//! language's own tool where it is installed (a missing tool is a failure when CI=true).

mod support;

use neon_lsp::catalogue::{AuthType, ClientType, Target};
use neon_lsp::snippet::place::{self, Anchor};
use neon_lsp::snippet::{self, SnippetRequest};
use std::path::Path;
use std::process::Command;

struct Case {
    id: &'static str,
    path: &'static str,
    client_type: ClientType,
    target: Target,
    auth: AuthType,
    text: &'static str,
    anchor: Anchor,
}

const fn case(
    id: &'static str,
    path: &'static str,
    client_type: ClientType,
    text: &'static str,
) -> Case {
    Case {
        id,
        path,
        client_type,
        target: Target::Neon,
        auth: AuthType::Secret,
        text,
        anchor: Anchor::AfterImports,
    }
}

fn cases() -> Vec<Case> {
    use ClientType::*;
    vec![
        case(
            "python-docstring-shebang-single-quotes",
            "app/main.py",
            Python,
            "#!/usr/bin/env python3\n\"\"\"Order service.\n\nServes orders.\n\"\"\"\nimport os\nfrom psycopg2.extensions import parse_dsn\n\nLIMIT = int(os.environ.get('LIMIT', '10'))\n\n\ndef handler(event):\n    return {'limit': LIMIT, 'dsn': parse_dsn}\n",
        ),
        case(
            "python-flask-double-quotes-two-spaces",
            "web/app.py",
            Python,
            "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n  if app.debug:\n    return \"debug\"\n  return \"ok\"\n",
        ),
        case(
            "python-no-imports-tabs",
            "jobs/nightly.py",
            Python,
            "# Nightly job.\n\ndef run():\n\tif True:\n\t\treturn 'done'\n",
        ),
        case("python-empty-file", "db.py", Python, ""),
        Case {
            auth: AuthType::UserIdentity,
            target: Target::AzurePostgresql,
            ..case(
                "python-user-identity-merges-azure-identity",
                "api/db.py",
                Python,
                "import os\nimport psycopg2\nfrom azure.identity import DefaultAzureCredential\n\ncredential = DefaultAzureCredential()\n",
            )
        },
        Case {
            anchor: Anchor::Replace { start: 3, end: 5 },
            ..case(
                "python-replaces-selected-setup",
                "api/store.py",
                Python,
                "import os\nimport psycopg2\n\nurl = os.environ['DATABASE_URL']\nconn = psycopg2.connect(url)\n\n\ndef orders():\n    return conn.cursor()\n",
            )
        },
        Case {
            anchor: Anchor::Replace { start: 3, end: 6 },
            ..case(
                "node-esm-replaces-selected-pool",
                "src/db.mjs",
                NodeJs,
                "import pg from 'pg';\nimport express from 'express';\n\nconst pool = new pg.Pool({\n  connectionString: process.env.NEON_POSTGRESQL_CONNECTIONSTRING,\n});\n\nexport const app = express();\napp.get('/', async (req, res) => res.json((await pool.query('select 1')).rows));\n",
            )
        },
        Case {
            anchor: Anchor::Replace { start: 5, end: 6 },
            ..case(
                "php-replaces-selected-pg-connect",
                "lib/db.php",
                Php,
                "<?php\nrequire 'vendor/autoload.php';\n\nfunction orders(): array\n{\n    $db = pg_connect(getenv('DATABASE_URL'));\n    return pg_fetch_all(pg_query($db, 'select * from orders')) ?: [];\n}\n",
            )
        },
        case(
            "django-settings-replaces-databases",
            "mysite/settings.py",
            Django,
            "\"\"\"Django settings for mysite.\"\"\"\nfrom pathlib import Path\nimport os\n\nBASE_DIR = Path(__file__).resolve().parent.parent\nDEBUG = os.environ.get(\"DEBUG\") == \"1\"\n\nDATABASES = {\n    \"default\": {\n        \"ENGINE\": \"django.db.backends.sqlite3\",\n        \"NAME\": BASE_DIR / \"db.sqlite3\",\n    }\n}\n\nUSE_TZ = True\n",
        ),
        case(
            "django-settings-without-databases",
            "shop/settings.py",
            Django,
            "from pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent.parent\nINSTALLED_APPS = ['shop']\n",
        ),
        Case {
            auth: AuthType::SystemIdentity,
            target: Target::AzurePostgresql,
            ..case(
                "django-system-identity-names-the-backend-files",
                "mysite/settings.py",
                Django,
                "import os\n\nSECRET_KEY = os.environ['SECRET_KEY']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': 'db'}}\n",
            )
        },
        case(
            "node-commonjs-use-strict-extends-pg-require",
            "server.js",
            NodeJs,
            "'use strict';\nconst express = require('express');\nconst { Pool } = require('pg');\n\nconst app = express();\napp.get('/', (req, res) => {\n    res.send('ok');\n});\n",
        ),
        case(
            "node-esm-mjs-default-import",
            "src/index.mjs",
            NodeJs,
            "import express from \"express\";\n\nconst app = express();\napp.listen(3000, () => {\n  console.log(\"listening\");\n});\n",
        ),
        case(
            "node-esm-reuses-pg-default-import",
            "src/db.js",
            NodeJs,
            "import pg from 'pg';\nimport { readFile } from 'node:fs/promises';\n\nexport const pool = new pg.Pool();\n",
        ),
        case(
            "node-typescript-extends-named-import",
            "src/db.ts",
            NodeJs,
            "import { Pool } from \"pg\";\nimport type { Request } from \"express\";\n\nexport function handler(req: Request): string {\n  return req.path;\n}\n",
        ),
        Case {
            auth: AuthType::UserIdentity,
            target: Target::AzurePostgresql,
            ..case(
                "node-esm-user-identity",
                "lib/pg.mjs",
                NodeJs,
                "#!/usr/bin/env node\n// Database access.\nimport process from 'node:process';\n\nprocess.exitCode = 0;\n",
            )
        },
        case(
            "node-script-without-imports",
            "scripts/migrate.js",
            NodeJs,
            "#!/usr/bin/env node\n/* Migrations. */\n\nconsole.log('migrating');\n",
        ),
        case(
            "go-import-block",
            "cmd/api/main.go",
            Go,
            "// Command api serves orders.\npackage main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\n\t\"github.com/go-chi/chi/v5\"\n)\n\nfunc main() {\n\tr := chi.NewRouter()\n\tfmt.Println(http.ListenAndServe(\":8080\", r))\n}\n",
        ),
        case(
            "go-single-import",
            "db/db.go",
            Go,
            "package db\n\nimport \"fmt\"\n\nvar Name = fmt.Sprint(\"orders\")\n",
        ),
        case(
            "go-no-imports",
            "store/store.go",
            Go,
            "package store\n\n// Limit is the page size.\nconst Limit = 10\n",
        ),
        case(
            "java-package-imports-public-class",
            "src/main/java/com/example/App.java",
            Java,
            "package com.example;\n\nimport java.sql.Connection;\nimport java.util.List;\n\npublic class App {\n  public static void main(String[] args) {\n    System.out.println(List.of(\"ok\"));\n  }\n}\n",
        ),
        case(
            "java-no-package",
            "Tool.java",
            Java,
            "public class Tool {\n    static int answer() {\n        return 42;\n    }\n}\n",
        ),
        case(
            "spring-properties-keeps-keys-notes-values",
            "src/main/resources/application.properties",
            SpringBoot,
            "server.port=8080\nspring.datasource.url=jdbc:postgresql://localhost:5432/app\nspring.jpa.open-in-view=false\n",
        ),
        case(
            "spring-yml-merges-into-tree",
            "src/main/resources/application.yml",
            SpringBoot,
            "server:\n    port: 8080\nspring:\n    application:\n        name: orders\n    jpa:\n        open-in-view: false\n",
        ),
        case(
            "spring-yml-existing-hikari",
            "src/main/resources/application.yaml",
            SpringBoot,
            "spring:\n  datasource:\n    hikari:\n      maximum-pool-size: 10\n# local overrides\nlogging:\n  level:\n    root: INFO\n",
        ),
        case(
            "spring-repository-into-java-file",
            "src/main/java/com/example/Orders.java",
            SpringBoot,
            "package com.example;\n\nimport org.springframework.stereotype.Service;\n\n@Service\npublic class Orders {\n}\n",
        ),
        case(
            "csharp-minimal-api",
            "Program.cs",
            DotNet,
            "using Microsoft.AspNetCore.Builder;\n\nvar builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\napp.MapGet(\"/\", () => \"ok\");\napp.Run();\n",
        ),
        case(
            "csharp-file-scoped-namespace",
            "Data/Store.cs",
            DotNet,
            "using System;\nusing Npgsql;\n\nnamespace Shop.Data;\n\npublic class Store\n{\n    public int Limit => 10;\n}\n",
        ),
        case(
            "php-namespace-declare-use",
            "src/Db.php",
            Php,
            "<?php\n\ndeclare(strict_types=1);\n\nnamespace App;\n\nuse App\\Models\\Order;\n\nfunction orders(): array\n{\n    return [Order::class];\n}\n",
        ),
        case(
            "php-require-autoload",
            "public/index.php",
            Php,
            "<?php\nrequire __DIR__ . '/../vendor/autoload.php';\n\necho 'ok';\n",
        ),
        case(
            "ruby-frozen-string-literal-requires",
            "app.rb",
            Ruby,
            "# frozen_string_literal: true\n\nrequire 'sinatra'\nrequire 'pg'\n\nget '/' do\n    'ok'\nend\n",
        ),
        case("ruby-shebang-no-requires", "bin/worker", Ruby, ""),
        case(
            "ruby-magic-comment-only",
            "lib/worker.rb",
            Ruby,
            "# frozen_string_literal: true\n\nclass Worker\n  def run\n    :ok\n  end\nend\n",
        ),
        case(
            "shell-sh-set-e",
            "scripts/backup.sh",
            ClientType::None,
            "#!/bin/sh\nset -e\n\necho backing up\n",
        ),
        case(
            "shell-bash-tabs",
            "deploy.bash",
            ClientType::None,
            "#!/usr/bin/env bash\n# Deploys.\n\nmain() {\n\tif true; then\n\t\techo deploy\n\tfi\n}\nmain \"$@\"\n",
        ),
    ]
}

fn request(case: &Case) -> SnippetRequest {
    SnippetRequest {
        target: case.target,
        client_type: case.client_type,
        auth: case.auth,
        name: None,
        customized_keys: Vec::new(),
    }
}

#[test]
fn placed_snippets_match_their_snapshots_and_still_parse() {
    let mut checked = 0;
    for case in cases() {
        if case.path == "bin/worker" {
            // Not a snippet file by name: refused with the list of what is.
            let snippet = snippet::generate(&request(&case)).unwrap();
            let error =
                place::place(&snippet, &request(&case), case.path, "", case.anchor).unwrap_err();
            assert!(error.to_string().contains("Ruby"), "{error}");
            continue;
        }
        let request = request(&case);
        let snippet = snippet::generate(&request).unwrap();
        let placement = place::place(&snippet, &request, case.path, case.text, case.anchor)
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        let edit = placement.edit.as_ref().expect("an edit");
        // The edit, applied to the old text, gives the new text.
        let old: Vec<&str> = case.text.lines().collect();
        let mut rebuilt: String = old[..edit.start].iter().map(|l| format!("{l}\n")).collect();
        rebuilt.push_str(&edit.text);
        for line in &old[edit.end..] {
            rebuilt.push_str(line);
            rebuilt.push('\n');
        }
        assert_eq!(rebuilt, placement.text, "{}: the edit", case.id);
        // Every line of the file survives (or was replaced on purpose).
        if case.anchor == Anchor::AfterImports && !case.id.starts_with("django-settings-replaces") {
            for line in case.text.lines() {
                // Imports may gain names (`{ Pool }` → `{ Pool, Client }`).
                let import = ["import ", "from ", "const {"]
                    .iter()
                    .any(|p| line.starts_with(p));
                let kept = import
                    || placement.text.lines().any(|l| l == line)
                    || placement
                        .text
                        .lines()
                        .any(|l| l.starts_with(line.trim_end()));
                assert!(
                    kept || line.starts_with("DATABASES") || line.starts_with(' '),
                    "{}: lost {line:?}",
                    case.id
                );
            }
        }
        assert_no_duplicate_imports(case.id, &placement.text);
        let shown = format!(
            "{} × {} × {} into {}\nnotes:\n{}\n---\n{}",
            request.target,
            request.client_type,
            request.auth,
            case.path,
            placement
                .notes
                .iter()
                .map(|n| format!("  {n}\n"))
                .collect::<String>(),
            placement.text
        );
        insta::assert_snapshot!(case.id, shown);
        // Placing it again changes nothing but what is not idempotent by nature (the code).
        checked += parses(case.path, &placement.text) as usize;
    }
    assert!(checked > 0 || !in_ci(), "no placed snippet was parsed");
}

/// No import, require, using or Go import spec appears twice.
fn assert_no_duplicate_imports(id: &str, text: &str) {
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let import = ["import ", "from ", "using ", "require ", "use "]
            .iter()
            .any(|p| trimmed.starts_with(p))
            || (trimmed.contains("require(") && trimmed.starts_with("const "))
            || (trimmed.starts_with('"') && trimmed.ends_with('"') && !trimmed.contains(' '));
        if import && !line.starts_with([' ']) {
            assert!(seen.insert(trimmed.to_owned()), "{id}: {trimmed} twice");
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Checks `text` with the language's own parser; `false` when none applies or is installed.
fn parses(path: &str, text: &str) -> bool {
    let extension = path.rsplit('.').next().unwrap_or_default();
    let (program, args, what): (&str, &[&str], &str) = match extension {
        "py" => ("python3", &["-m", "py_compile"], "python3"),
        "js" | "mjs" | "cjs" => ("node", &["--check"], "node"),
        "go" => ("gofmt", &["-e", "-l"], "gofmt (apt install golang-go)"),
        "php" => ("php", &["-l"], "php (apt install php-cli)"),
        "rb" => ("ruby", &["-c"], "ruby"),
        "sh" | "bash" => ("bash", &["-n"], "bash"),
        "yml" | "yaml" => (
            "ruby",
            &["-ryaml", "-e", "YAML.load_file(ARGV[0])"],
            "ruby (for its YAML parser)",
        ),
        "java" if !text.contains("org.springframework") => (
            "javac",
            &["-proc:none", "-d"],
            "a JDK (apt install default-jdk-headless)",
        ),
        // TypeScript, C#, properties and Spring classes: no checker without their toolchains
        // (the snapshots pin them).
        _ => return false,
    };
    // gofmt has no version flag: it formats an empty standard input instead.
    let probe: &[&str] = match program {
        "javac" => &["-version"],
        "gofmt" => &["-l"],
        _ => &["--version"],
    };
    let works = Command::new(program)
        .args(probe)
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !works {
        support::prerequisite_missing(what);
        return false;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(Path::new(path).file_name().unwrap());
    std::fs::write(&file, text).unwrap();
    let mut command = Command::new(program);
    command.args(args);
    if program == "javac" {
        command.arg(dir.path());
    }
    let output = command.arg(&file).output().unwrap();
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "{path} does not parse after placing:\n{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    if program == "gofmt" {
        assert!(
            output.stdout.is_empty(),
            "{path} is not gofmt-formatted after placing:\n{text}"
        );
    }
    true
}

#[test]
fn a_second_placement_changes_nothing() {
    for case in cases() {
        if case.text.is_empty() || !matches!(case.anchor, Anchor::AfterImports) {
            continue;
        }
        let request = request(&case);
        let snippet = snippet::generate(&request).unwrap();
        let Ok(first) = place::place(&snippet, &request, case.path, case.text, case.anchor) else {
            continue;
        };
        let second = place::place(&snippet, &request, case.path, &first.text, case.anchor).unwrap();
        // Keys merge, imports merge, and the code is recognised by its title comment: a
        // second run changes nothing.
        assert_eq!(second.edit, None, "{}:\n{}", case.id, second.text);
    }
}

#[test]
fn every_client_type_the_cli_generates_can_be_placed() {
    let placed: std::collections::BTreeSet<ClientType> =
        cases().iter().map(|c| c.client_type).collect();
    for client in ClientType::ALL {
        assert!(placed.contains(&client), "no placement case for {client}");
    }
}

#[test]
fn cli_into_prints_a_diff_and_writes_only_with_write() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("package.json"),
        "{\"dependencies\": {\"pg\": \"^8\"}}\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".env"),
        "NEON_POSTGRESQL_HOST=ep-cool-river-123456.eu-central-1.aws.neon.tech\n",
    )
    .unwrap();
    let source = "const { Pool } = require('pg');\n\nmodule.exports = { host: process.env.NEON_POSTGRESQL_HOST };\n";
    std::fs::write(root.join("db.js"), source).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_neon-lsp"))
            .arg("snippet")
            .args(args)
            .current_dir(root)
            .output()
            .unwrap()
    };
    let diff = run(&["--into", "db.js"]);
    assert!(diff.status.success(), "{diff:?}");
    let stdout = String::from_utf8(diff.stdout).unwrap();
    assert!(stdout.starts_with("--- a/db.js\n+++ b/db.js\n"), "{stdout}");
    assert!(
        stdout
            .contains("-const { Pool } = require('pg');\n+const { Pool, Client } = require('pg');"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&diff.stderr).contains("--write"));
    assert_eq!(
        std::fs::read_to_string(root.join("db.js")).unwrap(),
        source,
        "written without --write"
    );
    let write = run(&["--into", "db.js", "--write"]);
    assert!(write.status.success(), "{write:?}");
    let written = std::fs::read_to_string(root.join("db.js")).unwrap();
    assert!(
        written.contains("process.env.NEON_POSTGRESQL_PASSWORD"),
        "{written}"
    );
    assert!(written.ends_with("module.exports = { host: process.env.NEON_POSTGRESQL_HOST };\n"));
    // Nothing left to merge: the imports are there; a second run only repeats the code, which
    // the user sees in the diff before writing.
    std::fs::write(root.join("README.md"), "# Orders\n").unwrap();
    let wrong = run(&["--into", "README.md"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("snippets go into Python"));
    let range = run(&["--into", "db.js", "--replace", "5-2"]);
    assert_eq!(range.status.code(), Some(2));
}
