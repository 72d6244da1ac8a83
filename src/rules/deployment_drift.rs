//! `deployment-drift`: the Bicep/ARM/Terraform/az CLI declaration of a connection and the
//! connection Azure has deployed disagree on the client type or the auth type
//! (`check --azure`).

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
With `neon-lsp check --azure`, flags a declared client type or auth type (Bicep, ARM template,
Terraform, `az … connection create`) that differs from the deployed connection's.

### Why is this bad?
The next deployment puts the declared value back and the variables the app gets change under
it; or the declaration is stale and misleads everyone who reads it. Either way, the code can
only be right for one of them.

### Example
```bicep
clientType: 'nodejs'   // the deployed connection neon_pg of app-web has python
```

### Use instead
Decide which one is right: redeploy the declaration, or update it to what is deployed.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    let start = out.len();
    find(context, out);
    fixes(context, &mut out[start..]);
}

fn find(context: &Context, out: &mut Vec<Diagnostic>) {
    for connection in &context.connections {
        let (Some((linker, app)), Some(declaration)) =
            (&connection.deployed, &connection.declaration)
        else {
            continue;
        };
        if let (Some(declared), Some(deployed)) = (&declaration.client_type, linker.client_type)
            && declared.value != deployed
        {
            out.push(Diagnostic::new(
                Rule::DeploymentDrift,
                declared.at.path.clone(),
                declared.at.range,
                format!(
                    "{} declares client type {}, but the deployed connection {} of {app} has {deployed} (from the deployed connection {} of {app}); the next deployment changes the variables the app gets",
                    declaration.source.name(),
                    declared.value,
                    linker.name,
                    linker.name,
                ),
            ));
        }
        if let (Some(declared), Some(deployed)) = (&declaration.auth, linker.auth)
            && declared.value != deployed
        {
            out.push(Diagnostic::new(
                Rule::DeploymentDrift,
                declared.at.path.clone(),
                declared.at.range,
                format!(
                    "{} declares auth {}, but the deployed connection {} of {app} has {deployed} (from the deployed connection {} of {app})",
                    declaration.source.name(),
                    declared.value,
                    linker.name,
                    linker.name,
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
        "Note the drift from the deployed connection",
        |d| {
            format!(
                "{}; change the declaration or redeploy so they agree.",
                d.message
            )
        },
    );
}
