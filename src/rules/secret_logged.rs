//! `secret-logged`: a connection string or password printed or logged.

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;
use crate::rules::manual_connection_string_parsing::{SecretKind, Sensitive};

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a print or log call (`print`, `logging.*`, `console.log`, `fmt.Println`, `log.Printf`,
`Console.WriteLine`, `System.out.println`, `echo`, `puts`, logger calls …) whose arguments hold
a connection string, password or client secret from Service Connector — directly
(`console.log(process.env.NEON_POSTGRESQL_PASSWORD)`) or through a variable assigned from one in
the same file.

### Why is this bad?
Logs are shipped to Application Insights, Log Analytics and third parties, kept for months and
read by many more people than the database password should be.

### Example
```python
dsn = os.environ["NEON_POSTGRESQL_CONNECTIONSTRING"]
print(f"connecting with {dsn}")
```

### Use instead
```python
print("connecting to the database")
```
Log the host or database name if you need to, never the whole string.
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, _, scan, refs) in context.sources() {
        let sensitive = Sensitive::new(scan, refs, SecretKind::AnySecret);
        for call in &scan.log_calls {
            let args = file
                .text
                .get(call.args_range.start..call.args_range.end)
                .unwrap_or("");
            let what = sensitive.named_in(call.args_range, args);
            let Some(what) = what else { continue };
            out.push(Diagnostic::new(
                Rule::SecretLogged,
                file.path,
                call.range,
                format!("{} writes {what} to the output: connection strings and passwords end up in logs", call.callee),
            ));
        }
    }
}
