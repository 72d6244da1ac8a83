//! `iac-plaintext-secret`: a database password written in plain text in infrastructure code
//! or a deployment script.

use crate::analysis::Context;
use crate::declared::{Kind, SettingValue};
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::plaintext_secret::holds_password;
use crate::rules::values;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a password written into infrastructure code: an app setting (`appSettings`,
`app_settings`, container `env`) of a `…_PASSWORD`, `…_CLIENTSECRET` or a connection string that
carries a password, or a linker's `authInfo.secretInfo.value` / Terraform `authentication { secret }`
/ `az … connection create --secret … secret=…` — when the value is a literal (or a parameter's or
variable's default) rather than a `@secure()` parameter, a `sensitive` variable, a Key Vault
reference, a secret reference or an environment variable of the pipeline. Placeholders are not
secrets.

### Why is this bad?
Infrastructure code is committed: the password lives on in every clone, fork and CI log. The
deployment tools all have a way to pass it without writing it down.

### Example
```bicep
appSettings: {
  AZURE_POSTGRESQL_PASSWORD: 'npg_Xyz123example'
}
```

### Use instead
```bicep
@secure()
param dbPassword string
...
appSettings: {
  AZURE_POSTGRESQL_PASSWORD: dbPassword
}
```
or a Key Vault reference (`@Microsoft.KeyVault(SecretUri=…)`), or a passwordless connection.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for declaration in &context.declarations {
        let mut found: Vec<(String, &SettingValue)> = Vec::new();
        if let Some(secret) = &declaration.secret {
            found.push(("the connection's password".to_string(), secret));
        }
        if let Kind::AppSettings(settings) = &declaration.kind {
            for setting in settings {
                found.push((setting.name.clone(), &setting.value));
            }
        }
        for (what, value) in found {
            let SettingValue::Literal { value, at } = value else {
                continue;
            };
            let is_password = if what.starts_with("the connection") {
                values::is_real_secret(value)
            } else {
                holds_password(&what, value)
            };
            if !is_password {
                continue;
            }
            out.push(Diagnostic::new(
                Rule::IacPlaintextSecret,
                at.path.clone(),
                at.range,
                format!(
                    "{what} is written here in plain text ({} code is committed); pass it as a secure parameter, a sensitive variable or a Key Vault reference",
                    declaration.source.name()
                ),
            ));
        }
    }
}

/// No edit can settle these findings (issue 14: the nearest honest edit plus an explanation):
/// a note at the finding's line says what to change by hand.
fn fixes(context: &Context, diagnostics: &mut [Diagnostic]) {
    crate::rules::fixes::add_notes(
        context,
        diagnostics,
        "Note how to take the password out of the code",
        |_| {
            "no password belongs here: pass it as a @secure() parameter (Bicep), a sensitive variable (Terraform), a pipeline secret or a Key Vault reference; the value must come from outside the repository, so no edit can write it.".to_owned()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::Case;

    const APP: (&str, &str) = (
        "app.py",
        "import os\nimport psycopg\n\nconn = psycopg.connect(os.environ[\"NEON_POSTGRESQL_CONNECTIONSTRING\"])\n",
    );

    fn bicep(head: &str, value: &str) -> String {
        format!(
            "{head}resource web 'Microsoft.Web/sites@2022-09-01' = {{\n  name: 'app-notes'\n  properties: {{\n    siteConfig: {{\n      appSettings: [\n        {{\n          name: 'NEON_POSTGRESQL_CONNECTIONSTRING'\n          value: {value}\n        }}\n      ]\n    }}\n  }}\n}}\n"
        )
    }

    #[test]
    fn a_password_written_into_an_app_setting_is_reported_masked() {
        let bicep = bicep(
            "",
            "'postgresql://notes:npg_Xyz123example@ep-still-mud-a12aa123.eastus2.azure.neon.tech/notes?sslmode=require'",
        );
        let case = Case::new(&[APP, ("infra/main.bicep", &bicep)]);
        let found = case.check(check);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(case.found(check)[0].starts_with("infra/main.bicep:8 "));
        assert!(
            !found[0].message.contains("npg_Xyz123example"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn a_secure_parameter_is_fine() {
        let bicep = bicep("@secure()\nparam databaseUrl string\n\n", "databaseUrl");
        let case = Case::new(&[APP, ("infra/main.bicep", &bicep)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// The value decides, not the setting's name: a connection string without a password
    /// (the identity connects) holds nothing to hide.
    #[test]
    fn a_connection_string_without_a_password_is_fine() {
        let bicep = bicep(
            "",
            "'postgresql://notes@ep-still-mud-a12aa123.eastus2.azure.neon.tech/notes?sslmode=require'",
        );
        let case = Case::new(&[APP, ("infra/main.bicep", &bicep)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }
}
