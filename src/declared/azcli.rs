//! `az webapp|containerapp|spring|functionapp connection create <target> …` commands in shell
//! scripts, CI workflow `run:`/`script:` blocks and Dockerfile `RUN` lines.
//!
//! Line continuations (`\` + newline) are blanked in a same-length copy so offsets stay true,
//! and so are the line breaks YAML folds in workflows and pipelines ([`super::yaml_fold`]);
//! each command is split into words by `shlex` (POSIX quoting). Parameters as in the Azure CLI's
//! service connector module (A1, A2): the target word (`postgres-flexible`, `postgres`,
//! `neon-postgres`), `--client-type`, `--connection`, `--secret name=… secret=…` /
//! `--system-identity` / `--user-identity` / `--service-principal`, `--customized-keys K=V…`,
//! and the app (`--name`/`-n`, `--source-id`).

use super::{Declaration, Kind, Located, Locator, SettingValue, Source, client_from_schema};
use crate::catalogue::{AuthType, Target};
use crate::text::TextRange;
use regex::Regex;
use std::sync::LazyLock;

static COMMAND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\baz\s+(?:webapp|containerapp|spring|spring-cloud|functionapp)\s+connection\s+create\s",
    )
    .ok()
});

pub(super) fn read(path: &str, text: &str) -> Vec<Declaration> {
    let Some(command) = COMMAND.as_ref() else {
        return Vec::new();
    };
    let mut blanked = blank_continuations(text, backtick_continues(path, text));
    if crate::scan::Language::for_path(path) == Some(crate::scan::Language::Yaml) {
        // Workflows and pipelines: a command over several lines of a `>` block or a plain
        // scalar is one line to the shell.
        blanked = super::yaml_fold::fold_scalars(text, blanked);
    }
    let locator = Locator::new(path, text);
    let mut out = Vec::new();
    for found in command.find_iter(&blanked) {
        let start = found.start();
        let end = blanked[start..]
            .find('\n')
            .map_or(blanked.len(), |e| start + e);
        let line = blanked[start..end].trim_end_matches('\r');
        if is_commented(&blanked, start) {
            continue;
        }
        if let Some(declaration) = read_command(line, start, &locator) {
            out.push(declaration);
        }
    }
    out
}

/// `\` + newline (and `\` + CRLF) become spaces, so a continued command is one line; with
/// `backtick`, PowerShell's `` ` `` + newline too.
fn blank_continuations(text: &str, backtick: bool) -> String {
    let text = text.replace("\\\r\n", "   ").replace("\\\n", "  ");
    if backtick {
        text.replace("`\r\n", "   ").replace("`\n", "  ")
    } else {
        text
    }
}

/// Where a backtick ends a line to continue the command: PowerShell scripts, CI YAML (whose
/// `pwsh`/`powershell` steps and AzureCLI tasks with `scriptType: ps`/`pscore` run PowerShell)
/// and Dockerfiles with the `# escape=`` ` directive. Not POSIX shell scripts, where a
/// backtick opens a command substitution.
fn backtick_continues(path: &str, text: &str) -> bool {
    use crate::scan::Language;
    match Language::for_path(path) {
        Some(Language::Shell) => false,
        Some(Language::Dockerfile) => text
            .lines()
            .take_while(|line| line.starts_with('#'))
            .any(|line| line.replace(' ', "").eq_ignore_ascii_case("#escape=`")),
        _ => true,
    }
}

/// The command sits after a `#` on its line (a comment in shell, YAML and Dockerfiles).
fn is_commented(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at].contains('#')
}

fn read_command(line: &str, offset: usize, locator: &Locator) -> Option<Declaration> {
    // The command ends at a shell separator or a comment.
    let mut words = shlex::split(line).unwrap_or_else(|| {
        line.split_whitespace()
            .map(|w| w.trim_matches(['"', '\'']).to_string())
            .collect()
    });
    if let Some(stop) = words
        .iter()
        .position(|w| matches!(w.as_str(), "&&" | "||" | ";" | "|") || w.starts_with('#'))
    {
        words.truncate(stop);
    }
    let create = words.iter().position(|w| w == "create")?;
    let target_word = words.get(create + 1)?;
    let find = |needle: &str, after: usize| -> TextRange {
        match line[after.min(line.len())..].find(needle) {
            Some(i) => TextRange::new(offset + after + i, offset + after + i + needle.len()),
            None => TextRange::new(offset, offset + line.len()),
        }
    };
    let at = locator.at(TextRange::new(offset, offset + line.len()));
    let mut declaration = Declaration::new(Source::AzCli, at, Kind::Linker);
    let target = match target_word.as_str() {
        "postgres-flexible" | "postgres" => Some(Target::AzurePostgresql),
        "neon-postgres" => Some(Target::Neon),
        _ => None,
    };
    let target_at = line.find(target_word.as_str()).unwrap_or(0);
    declaration.target = target.map(|value| Located {
        value,
        at: locator.at(find(target_word, target_at)),
        literal: true,
    });
    let flag_value = |flag: &str| -> Option<(String, TextRange)> {
        let i = words.iter().position(|w| w == flag)?;
        let value = words.get(i + 1).filter(|v| !v.starts_with("--"))?;
        let flag_at = line.find(flag).unwrap_or(0);
        Some((value.clone(), find(value, flag_at + flag.len())))
    };
    if let Some((value, range)) = flag_value("--client-type") {
        declaration.client_type = client_from_schema(&value).map(|client| Located {
            value: client,
            at: locator.at(range),
            literal: !value.contains('$'),
        });
    }
    if let Some((value, range)) = flag_value("--connection") {
        declaration.name = Some(Located {
            value,
            at: locator.at(range),
            literal: true,
        });
    }
    declaration.app = flag_value("--name")
        .or_else(|| flag_value("-n"))
        .or_else(|| flag_value("--app"))
        .or_else(|| flag_value("--source-id"))
        .map(|(value, _)| value);
    let auth_flags = [
        ("--secret", AuthType::Secret),
        ("--system-identity", AuthType::SystemIdentity),
        ("--user-identity", AuthType::UserIdentity),
        ("--service-principal", AuthType::ServicePrincipal),
    ];
    for (flag, auth) in auth_flags {
        if words.iter().any(|w| w == flag) {
            let flag_at = line.find(flag).unwrap_or(0);
            declaration.auth = Some(Located {
                value: auth,
                at: locator.at(TextRange::new(
                    offset + flag_at,
                    offset + flag_at + flag.len(),
                )),
                literal: true,
            });
            break;
        }
    }
    if let Some(i) = words.iter().position(|w| w == "--secret") {
        for word in words[i + 1..].iter().take_while(|w| !w.starts_with("--")) {
            if let Some(value) = word.strip_prefix("secret=") {
                let protected = value.contains('$') || value.is_empty();
                declaration.secret = Some(if protected {
                    SettingValue::Protected
                } else {
                    let at = find(value, line.find("--secret").unwrap_or(0));
                    SettingValue::Literal {
                        value: value.to_string(),
                        at: locator.at(at),
                    }
                });
            } else if word.starts_with("secret-uri=") || word.starts_with("secret-name=") {
                declaration.secret = Some(SettingValue::Protected);
            }
        }
    }
    if let Some(i) = words.iter().position(|w| w == "--customized-keys") {
        for word in words[i + 1..].iter().take_while(|w| !w.starts_with("--")) {
            if let Some((from, to)) = word.split_once('=') {
                declaration
                    .customized_keys
                    .push((from.to_string(), to.to_string()));
            }
        }
    }
    Some(declaration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ClientType;

    #[test]
    fn reads_a_continued_command_in_a_script() {
        let text = "#!/bin/sh\nset -e\naz webapp connection create postgres-flexible \\\n  --connection pg_conn --name \"$APP\" \\\n  --target-resource-group rg --server srv --database app \\\n  --client-type django --system-identity \\\n  --customized-keys AZURE_POSTGRESQL_HOST=DB_HOST && echo done\n# az webapp connection create neon-postgres --client-type nodejs\n";
        let found = read("scripts/deploy.sh", text);
        assert_eq!(found.len(), 1, "the commented command is not read");
        let d = &found[0];
        assert_eq!(d.target.as_ref().unwrap().value, Target::AzurePostgresql);
        let client = d.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::Django);
        assert_eq!(client.at.to_string(), "scripts/deploy.sh:6");
        assert_eq!(&text[client.at.range.start..client.at.range.end], "django");
        assert_eq!(d.auth.as_ref().unwrap().value, AuthType::SystemIdentity);
        assert_eq!(d.name.as_ref().unwrap().value, "pg_conn");
        assert_eq!(d.app.as_deref(), Some("$APP"));
        assert_eq!(
            d.customized_keys,
            vec![("AZURE_POSTGRESQL_HOST".into(), "DB_HOST".into())]
        );
    }

    #[test]
    fn reads_workflow_steps_and_secrets() {
        let text = "jobs:\n  deploy:\n    steps:\n      - run: |\n          az containerapp connection create neon-postgres --connection neon \\\n            --server ep-x.neon.tech --database app --secret name=app secret=${{ secrets.PG }} --client-type springBoot\n      - run: az webapp connection create neon-postgres --secret name=app secret=npg_Xyz123example --client-type python\n";
        let found = read(".github/workflows/deploy.yml", text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].target.as_ref().unwrap().value, Target::Neon);
        assert_eq!(
            found[0].client_type.as_ref().unwrap().value,
            ClientType::SpringBoot
        );
        assert_eq!(found[0].secret, Some(SettingValue::Protected));
        assert!(matches!(
            &found[1].secret,
            Some(SettingValue::Literal { value, .. }) if value == "npg_Xyz123example"
        ));
        assert!(read("x.sh", "az webapp connection create \"unterminated").len() <= 1);
    }

    #[test]
    fn reads_powershell_backtick_continuations() {
        let text = "param([string]$AppName, [securestring]$DbPassword)\r\n$ErrorActionPreference = 'Stop'\r\n# az webapp connection create postgres-flexible --client-type java\r\naz webapp connection create postgres-flexible `\r\n    --connection ledger_db --name $AppName --resource-group $env:RG `\r\n    --target-resource-group $env:RG --server psql-ledger --database ledger `\r\n    --client-type dotnet --secret name=ledger secret=$DbPassword `\r\n    --customized-keys AZURE_POSTGRESQL_CONNECTIONSTRING=ConnectionStrings__Ledger\r\nWrite-Host \"connected `\"$AppName`\"\"\r\n";
        let found = read("deploy/Connect-Database.ps1", text);
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.target.as_ref().unwrap().value, Target::AzurePostgresql);
        let client = d.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::DotNet);
        assert_eq!(client.at.to_string(), "deploy/Connect-Database.ps1:7");
        assert_eq!(&text[client.at.range.start..client.at.range.end], "dotnet");
        assert_eq!(d.auth.as_ref().unwrap().value, AuthType::Secret);
        assert_eq!(d.secret, Some(SettingValue::Protected));
        assert_eq!(d.name.as_ref().unwrap().value, "ledger_db");
        assert_eq!(
            d.customized_keys,
            vec![(
                "AZURE_POSTGRESQL_CONNECTIONSTRING".into(),
                "ConnectionStrings__Ledger".into()
            )]
        );
    }

    #[test]
    fn reads_pipelines_actions_and_dockerfiles() {
        // Azure Pipelines: an AzureCLI task running PowerShell Core.
        let pipeline = "steps:\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: prod\n    scriptType: pscore\n    scriptLocation: inlineScript\n    inlineScript: |\n      az containerapp connection create postgres-flexible `\n        --client-type nodejs `\n        --user-identity client-id=$(UAMI_CLIENT_ID) subs-id=$(SUB)\n- script: az webapp connection create neon-postgres --client-type python --secret name=u secret=$(PG_PASSWORD)\n";
        let found = read("azure-pipelines.yml", pipeline);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0].client_type.as_ref().unwrap().value,
            ClientType::NodeJs
        );
        assert_eq!(
            found[0].auth.as_ref().unwrap().value,
            AuthType::UserIdentity
        );
        assert_eq!(found[1].target.as_ref().unwrap().value, Target::Neon);
        assert_eq!(found[1].secret, Some(SettingValue::Protected));
        // GitHub Actions: a pwsh step.
        let workflow = "jobs:\n  deploy:\n    runs-on: windows-latest\n    steps:\n      - shell: pwsh\n        run: |\n          az webapp connection create postgres-flexible `\n            --name app-web --client-type springBoot --system-identity\n";
        let found = read(".github/workflows/deploy.yml", workflow);
        assert_eq!(
            found[0].client_type.as_ref().unwrap().value,
            ClientType::SpringBoot
        );
        assert_eq!(found[0].app.as_deref(), Some("app-web"));
        // Dockerfiles: `RUN` with `\`, and with the backtick escape directive.
        let dockerfile = "FROM mcr.microsoft.com/azure-cli\nRUN az webapp connection create postgres-flexible \\\n    --connection pg_go --client-type go --system-identity \\\n    --customized-keys AZURE_POSTGRESQL_HOST=PGHOST\n";
        let found = read("deploy/Dockerfile", dockerfile);
        assert_eq!(found[0].client_type.as_ref().unwrap().value, ClientType::Go);
        assert_eq!(
            found[0].auth.as_ref().unwrap().value,
            AuthType::SystemIdentity
        );
        assert_eq!(
            found[0].target.as_ref().unwrap().value,
            Target::AzurePostgresql
        );
        assert_eq!(found[0].name.as_ref().unwrap().value, "pg_go");
        assert_eq!(
            found[0].customized_keys,
            [("AZURE_POSTGRESQL_HOST".to_string(), "PGHOST".to_string())]
        );
        let windows = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN az webapp connection create postgres-flexible `\n    --client-type php --system-identity\n";
        let found = read("Dockerfile", windows);
        assert_eq!(
            found[0].client_type.as_ref().unwrap().value,
            ClientType::Php
        );
        // In a POSIX shell script a backtick is a command substitution, not a continuation.
        let shell = "HOST=`hostname`\naz webapp connection create postgres-flexible --client-type go `\n--system-identity`\n";
        let found = read("deploy.sh", shell);
        assert_eq!(found[0].auth, None);
    }

    /// The line a located value is cited at, and the text its range covers.
    fn cited<T>(text: &str, value: &Located<T>) -> (usize, String) {
        let range = value.at.range;
        (value.at.line, text[range.start..range.end].to_string())
    }

    #[test]
    fn reads_an_azd_workflow_step_written_as_a_folded_block() {
        let path = "tests/fixtures/declared-pipelines/azd-github/.github/workflows/azure-dev.yml";
        let text = include_str!(
            "../../tests/fixtures/declared-pipelines/azd-github/.github/workflows/azure-dev.yml"
        );
        let found = read(path, text);
        assert_eq!(
            found.len(),
            1,
            "the commented-out step is not read: {found:?}"
        );
        let d = &found[0];
        assert_eq!(d.at.line, 50, "the command's first line");
        assert_eq!(d.target.as_ref().unwrap().value, Target::AzurePostgresql);
        let client = d.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::Django);
        assert_eq!(cited(text, client), (57, "django".into()));
        let auth = d.auth.as_ref().unwrap();
        assert_eq!(auth.value, AuthType::SystemIdentity);
        assert_eq!(cited(text, auth), (58, "--system-identity".into()));
        let name = d.name.as_ref().unwrap();
        assert_eq!(name.value, "guestbook_db");
        assert_eq!(cited(text, name), (51, "guestbook_db".into()));
        assert_eq!(d.app.as_deref(), Some("app-web-$AZURE_ENV_NAME"));
        assert_eq!(
            d.customized_keys,
            vec![
                ("AZURE_POSTGRESQL_HOST".into(), "DB_HOST".into()),
                ("AZURE_POSTGRESQL_NAME".into(), "DB_NAME".into())
            ]
        );
        assert_eq!(d.secret, None);
    }

    #[test]
    fn reads_an_app_service_pipeline_with_a_folded_task_script_and_a_pwsh_step() {
        let path = "azure-pipelines.yml";
        let text = include_str!(
            "../../tests/fixtures/declared-pipelines/appservice-azure-pipelines/azure-pipelines.yml"
        );
        let found = read(path, text);
        assert_eq!(found.len(), 2, "{found:?}");
        // `inlineScript: >-` of an AzureCLI@2 bash task.
        let billing = &found[0];
        assert_eq!(
            billing.target.as_ref().unwrap().value,
            Target::AzurePostgresql
        );
        let client = billing.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::NodeJs);
        assert_eq!(cited(text, client), (65, "nodejs".into()));
        assert_eq!(billing.auth.as_ref().unwrap().value, AuthType::Secret);
        assert_eq!(billing.secret, Some(SettingValue::Protected));
        let name = billing.name.as_ref().unwrap();
        assert_eq!(cited(text, name), (61, "billing".into()));
        assert_eq!(billing.app.as_deref(), Some("$(webAppName)"));
        assert_eq!(
            billing.customized_keys,
            vec![
                ("AZURE_POSTGRESQL_PASSWORD".into(), "PGPASSWORD".into()),
                ("AZURE_POSTGRESQL_HOST".into(), "PGHOST".into())
            ]
        );
        // A `pwsh: |` step continued with backticks: a named Neon connection.
        let reports = &found[1];
        assert_eq!(reports.target.as_ref().unwrap().value, Target::Neon);
        let client = reports.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::None);
        assert_eq!(cited(text, client), (74, "none".into()));
        let name = reports.name.as_ref().unwrap();
        assert_eq!(cited(text, name), (71, "reports".into()));
        assert_eq!(reports.secret, Some(SettingValue::Protected));
        assert_eq!(
            reports.customized_keys,
            vec![(
                "NEON_POSTGRESQL_REPORTS_USERNAME".into(),
                "REPORTS_USER".into()
            )]
        );
    }

    #[test]
    fn reads_commands_folded_by_every_yaml_scalar_style() {
        // `>` with a keep indicator, `>2` with an explicit indentation, a plain scalar continued
        // on the next lines, a double-quoted one; `|` without `\` is two shell commands.
        let text = "steps:\n  - run: >+\n      az webapp connection create postgres-flexible\n      --client-type go --system-identity\n\n  - run: >2\n      az containerapp connection create neon-postgres\n      --connection one --client-type php --secret name=u secret=$PG\n  - script: az webapp connection create postgres-flexible\n      --client-type ruby\n      --user-identity client-id=x subs-id=y\n  - run: \"az webapp connection create postgres-flexible\n      --client-type java --service-principal\"\n  - run: |\n      az webapp connection create postgres-flexible\n      --client-type python --secret\n";
        let found = read(".github/workflows/connect.yml", text);
        let read_back: Vec<(Option<ClientType>, Option<AuthType>)> = found
            .iter()
            .map(|d| {
                (
                    d.client_type.as_ref().map(|c| c.value),
                    d.auth.as_ref().map(|a| a.value),
                )
            })
            .collect();
        assert_eq!(
            read_back,
            [
                (Some(ClientType::Go), Some(AuthType::SystemIdentity)),
                (Some(ClientType::Php), Some(AuthType::Secret)),
                (Some(ClientType::Ruby), Some(AuthType::UserIdentity)),
                (Some(ClientType::Java), Some(AuthType::ServicePrincipal)),
                (None, None),
            ]
        );
        assert_eq!(found[1].name.as_ref().unwrap().value, "one");
        assert_eq!(found[2].client_type.as_ref().unwrap().at.line, 10);
        // The same text in a shell script is not YAML: its lines stay lines.
        let found = read("connect.sh", text);
        assert!(found.iter().all(|d| d.client_type.is_none()), "{found:?}");
    }
}
