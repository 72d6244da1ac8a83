//! `string-ssl-flag`: Node passes the `_SSL` string straight to `ssl`.

use crate::analysis::Context;
use crate::catalogue::Field;
use crate::diagnostic::{Applicability, Diagnostic, FileEdit, Fix};
use crate::rules::Rule;
use crate::rules::manual_connection_string_parsing::word_in;

pub(crate) const DOCUMENTATION: &str = r#"
### What it does
Flags a Node.js `ssl:` option whose value is `process.env.*_SSL` itself (or `Boolean(…)`/`!!…`
of it, or a variable assigned from it).

### Why is this bad?
Environment variables are strings. `"false"` is truthy, so `ssl: process.env.NEON_POSTGRESQL_SSL`
turns TLS on whatever the value says — and node-postgres treats a non-object `ssl` differently
across versions. The official Service Connector sample does exactly this.

### Example
```js
const client = new Client({ ssl: process.env.NEON_POSTGRESQL_SSL });
```

### Use instead
```js
const client = new Client({ ssl: process.env.NEON_POSTGRESQL_SSL === "true" });
```
"#;

pub(crate) fn check(context: &Context, out: &mut Vec<Diagnostic>) {
    for (_, file, _, scan, refs) in context.sources() {
        let ssl_refs: Vec<_> = refs
            .iter()
            .filter(|r| r.parsed.as_ref().is_some_and(|p| p.field == Field::Ssl))
            .collect();
        if ssl_refs.is_empty() {
            continue;
        }
        let locals: Vec<(&str, &str)> = scan
            .assignments
            .iter()
            .filter_map(|a| {
                ssl_refs
                    .iter()
                    .find(|r| r.index == a.env_ref)
                    .map(|r| (a.local.as_str(), r.name.as_str()))
            })
            .collect();
        for property in &scan.ssl_properties {
            let core = strip_coercion(property.value_text.trim());
            let expression = ssl_refs.iter().find_map(|r| {
                let expr = scan.env_refs.get(r.index)?.expr_range;
                let text = file.text.get(expr.start..expr.end)?;
                (text == core).then(|| (text.to_string(), r.name.clone()))
            });
            let found = expression.or_else(|| {
                locals
                    .iter()
                    .find(|(local, _)| core == *local && word_in(core, local))
                    .map(|(l, n)| (l.to_string(), n.to_string()))
            });
            let Some((expression, name)) = found else {
                continue;
            };
            let mut diagnostic = Diagnostic::new(
                Rule::StringSslFlag,
                file.path,
                property.value_range,
                format!(
                    "{name} is a string (\"true\"/\"false\") and \"false\" is truthy: compare it, `ssl: {expression} === \"true\"`"
                ),
            );
            if !file.lossy {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Compare with \"true\": {expression} === \"true\""),
                    edits: vec![FileEdit::new(
                        file.path,
                        property.value_range,
                        format!("{expression} === \"true\""),
                    )],
                    applicability: Applicability::Safe,
                });
            }
            out.push(diagnostic);
        }
    }
}

/// `Boolean(x)` → `x`, `!!x` → `x`.
fn strip_coercion(value: &str) -> &str {
    let value = value.trim();
    if let Some(inner) = value
        .strip_prefix("Boolean(")
        .and_then(|v| v.strip_suffix(')'))
    {
        return inner.trim();
    }
    value.strip_prefix("!!").map(str::trim).unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::rules::testing::{Case, PG_PACKAGE_JSON};

    fn pool(ssl: &str) -> String {
        format!(
            "const {{ Pool }} = require(\"pg\");\nmodule.exports = new Pool({{\n  host: process.env.NEON_POSTGRESQL_HOST,\n  ssl: {ssl},\n}});\n"
        )
    }

    #[test]
    fn passing_the_string_to_ssl_is_reported_with_a_comparison() {
        let db = pool("process.env.NEON_POSTGRESQL_SSL");
        let case = Case::new(&[PG_PACKAGE_JSON, ("db.js", &db)]);
        assert_eq!(
            case.found(check),
            ["db.js:4 process.env.NEON_POSTGRESQL_SSL"]
        );
        let fix = &case.check(check)[0].fixes[0];
        assert_eq!(
            fix.edits[0].new_text,
            "process.env.NEON_POSTGRESQL_SSL === \"true\""
        );
    }

    #[test]
    fn a_comparison_is_fine() {
        let db = pool("process.env.NEON_POSTGRESQL_SSL === \"true\"");
        let case = Case::new(&[PG_PACKAGE_JSON, ("db.js", &db)]);
        assert_eq!(case.found(check), Vec::<String>::new());
    }

    /// TypeScript is Node too: the same property in a .ts file is the same mistake.
    #[test]
    fn typescript_is_judged_like_javascript() {
        let db = pool("process.env.NEON_POSTGRESQL_SSL");
        let case = Case::new(&[PG_PACKAGE_JSON, ("src/db.ts", &db)]);
        assert_eq!(
            case.found(check),
            ["src/db.ts:4 process.env.NEON_POSTGRESQL_SSL"]
        );
    }
}
