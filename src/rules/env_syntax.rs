//! `env-syntax`: a .env line that loaders reject or misread.

use crate::analysis::Context;
use crate::diagnostic::Diagnostic;
use crate::rules::Rule;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags .env lines that dotenv loaders reject or read differently from what the line seems to say:
unbalanced quotes, a line without `=`, a key with characters loaders refuse, text after a closing
quote.

### Why is this bad?
Depending on the loader, a bad line stops the whole file from loading, or swallows the following
lines into one value — every variable after it is then silently missing.

### Example
```dotenv
NEON_POSTGRESQL_PASSWORD="npg_Xyz123example
NEON_POSTGRESQL_DATABASE=neondb
```

### Use instead
```dotenv
NEON_POSTGRESQL_PASSWORD="npg_Xyz123example"
NEON_POSTGRESQL_DATABASE=neondb
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, env) in context.env_files() {
        for error in &env.errors {
            let mut message = error.message.clone();
            if !error.help.is_empty() {
                message.push_str(": ");
                message.push_str(&error.help);
            }
            out.push(Diagnostic::new(
                Rule::EnvSyntax,
                file.path,
                error.range,
                message,
            ));
        }
    }
}
