//! `${VAR}` / `$VAR` substitution as dotenvy does it, minus the process environment: only keys
//! defined earlier in the same file resolve; bare names cut at `_` are reported.

use crate::text::TextRange;

use super::{EnvEntry, EnvSyntaxError, EnvSyntaxErrorKind, VariableReference, parser::Parser};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Substitution {
    None,
    /// After `$`, collecting an alphanumeric name.
    Bare,
    /// After `${`, collecting everything up to `}`.
    Braced,
}

impl Parser<'_> {
    /// dotenvy's `apply_substitution`, minus the process environment.
    pub(super) fn substitute(
        &self,
        name: &mut String,
        range: TextRange,
        output: &mut String,
        references: &mut Vec<VariableReference>,
    ) {
        let name = std::mem::take(name);
        if name.is_empty() {
            return;
        }
        let definition = self.defined.get(&name);
        if let Some(Some(value)) = definition {
            // Past the budget a reference reads as empty: values that double on every line
            // (`B=${A}${A}`, `C=${B}${B}`, …) would otherwise need exponential memory.
            // Once it has run out, every later reference reads as empty, as the error says.
            let expanded = self.expanded.get().saturating_add(value.len());
            if expanded <= super::EXPANSION_BUDGET && self.expansion_stopped_at.get().is_none() {
                self.expanded.set(expanded);
                output.push_str(value);
            } else if self.expansion_stopped_at.get().is_none() {
                self.expansion_stopped_at.set(Some(range));
            }
        }
        references.push(VariableReference {
            name,
            range,
            defined_earlier: definition.is_some(),
        });
    }

    /// Reports `$NAME_WITH_UNDERSCORES`, which dotenvy cuts at the first `_`.
    pub(super) fn check_bare_references(&mut self, entry: &EnvEntry) {
        // Once per entry, not per reference: a value may hold 100,000 of them.
        let secret_key = crate::secrets::is_secret_key(&entry.key);
        let may_hold_secret =
            secret_key || entry.value.contains("://") || entry.value.contains('=');
        for reference in &entry.references {
            let braced = self
                .text
                .get(reference.range.start..)
                .is_some_and(|rest| rest.starts_with("${"));
            let after = self.text.get(reference.range.end..).unwrap_or("");
            if braced || !after.starts_with('_') {
                continue;
            }
            let rest_length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let full_name = format!(
                "{}{}",
                reference.name,
                after.get(..rest_length).unwrap_or("")
            );
            let range = TextRange::new(reference.range.start, reference.range.end + rest_length);
            self.file.errors.push(EnvSyntaxError {
                kind: EnvSyntaxErrorKind::BareVariableNameCut,
                range,
                line: self.line_of(range.start),
                message: if may_hold_secret {
                    // The `$` may be part of a password: describe, do not quote.
                    "dotenvy cuts a bare `$NAME` reference at the first `_`, so it reads a \
                     shorter name here than the one written"
                        .to_owned()
                } else {
                    format!(
                        "dotenvy reads `${full_name}` as `${}` followed by the text `{}`: a bare \
                         variable name ends at the first `_`",
                        reference.name,
                        after.get(..rest_length).unwrap_or("")
                    )
                },
                help: if secret_key {
                    "wrap the name in braces (`${NAME_WITH_UNDERSCORES}`), or escape the `$` as \
                     `\\$` if it is part of the value"
                        .to_owned()
                } else {
                    format!("write `${{{full_name}}}`")
                },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::dotenv::EnvSyntaxErrorKind;
    use crate::dotenv::tests::{check, kinds, written};

    #[test]
    fn interpolates_keys_defined_earlier_and_records_them() {
        let text = "NEON_HOST=db\nNEON_URL=postgres://${NEON_HOST}/$NEON_HOST-${NEON_LATER}\nNEON_LATER=x\nNEON_Q=\"${NEON_HOST}\"\n";
        let file = check(text);
        let url = file.get("NEON_URL").unwrap();
        assert_eq!(url.value, "postgres://db/_HOST-");
        assert_eq!(url.interpolated, ["NEON_HOST", "NEON", "NEON_LATER"]);
        let written_references: Vec<&str> = url
            .references
            .iter()
            .map(|reference| written(text, reference.range))
            .collect();
        // A bare name stops at the first character that is not alphanumeric, `_` included.
        assert_eq!(
            written_references,
            ["${NEON_HOST}", "$NEON", "${NEON_LATER}"]
        );
        assert_eq!(
            url.references
                .iter()
                .map(|r| r.defined_earlier)
                .collect::<Vec<_>>(),
            [true, false, false]
        );
        assert_eq!(file.get("NEON_Q").unwrap().value, "db");
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::BareVariableNameCut]);
        let error = &file.errors[0];
        assert_eq!(written(text, error.range), "$NEON_HOST");
        assert!(error.help.contains("${NEON_HOST}"), "{}", error.help);
    }

    #[test]
    fn bare_variable_names_stop_at_underscores_as_in_dotenvy() {
        let file = check("NEONAB=1\nNEON_X=$NEONAB_C\n");
        assert_eq!(file.get("NEON_X").unwrap().value, "1_C");
    }

    #[test]
    fn bare_variable_before_closing_double_quote_is_rejected_like_dotenvy() {
        let text = "NEONAB=1\nNEON_X=\"$NEONAB\"\n";
        let file = check(text);
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::QuoteClosedByVariable]);
        assert_eq!(written(text, file.errors[0].range), "$NEONAB\"");
        assert!(file.errors[0].help.contains("${NAME}"));
        let lone_dollar = check("NEON_X=\"cost: 5$\"\n");
        assert_eq!(
            kinds(&lone_dollar),
            [EnvSyntaxErrorKind::QuoteClosedByVariable]
        );
        assert!(lone_dollar.errors[0].help.contains("`\\$`"));
    }

    #[test]
    fn expansion_stops_at_the_budget_and_is_reported_once() {
        // Each value references the previous one twice: 1 KiB doubled 30 times is 1 TiB.
        let mut text = format!("NEON_V0={}\n", "x".repeat(1024));
        for line in 1..=30 {
            let previous = line - 1;
            text.push_str(&format!(
                "NEON_V{line}=${{NEON_V{previous}}}${{NEON_V{previous}}}\n"
            ));
        }
        // Not `check`: dotenvy itself would try to build the terabyte.
        let file = crate::dotenv::parse(&text);
        assert_eq!(file.entries.len(), 31);
        let produced: usize = file.entries.iter().map(|entry| entry.value.len()).sum();
        assert!(
            produced <= text.len() + crate::dotenv::EXPANSION_BUDGET,
            "{produced} bytes of values"
        );
        // Within the budget every value is exact: 2^n KiB up to 512 KiB (1 MiB in all).
        for (line, entry) in file.entries.iter().enumerate().take(10) {
            assert_eq!(entry.value.len(), 1024 << line, "line {line}");
        }
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::ExpansionLimit]);
        let error = &file.errors[0];
        assert!(!error.kind.loader_rejects());
        // The first reference left unexpanded: the first on line 11, whose 512 KiB would bring
        // the 1022 KiB expanded so far over 1 MiB.
        assert_eq!(error.line, 10);
        assert_eq!(written(&text, error.range), "${NEON_V9}");
        assert!(!error.message.contains("xxx"), "{}", error.message);
    }

    #[test]
    fn a_value_with_a_hundred_thousand_references_lists_each_name_once() {
        let mut text = String::from("NEON_A=");
        for index in 0..100_000 {
            text.push_str(&format!("${{NEON_B{index}}}${{NEON_B{index}}}"));
        }
        text.push('\n');
        let file = crate::dotenv::parse(&text);
        let entry = &file.entries[0];
        assert_eq!(entry.references.len(), 200_000);
        assert_eq!(entry.interpolated.len(), 100_000);
        assert_eq!(entry.interpolated[99_999], "NEON_B99999");
    }

    #[test]
    fn unterminated_braced_variable_is_rejected() {
        let file = check("NEON_X=${NEON_A\n");
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::UnterminatedVariable]);
    }
}
