//! dotenvy's `parse_value` with positions: quotes, escapes, inline comments, line feeds inside
//! quotes, and where `$VAR` / `${VAR}` references start (`interpolation` resolves them).

use crate::text::TextRange;

use super::{
    EnvSyntaxErrorKind, Quote, VariableReference,
    diagnostics::{LineError, invalid_escape, text_after_value},
    interpolation::Substitution,
    parser::Parser,
};

/// The result of dotenvy's `parse_value` on one value, with positions.
pub(super) struct ScannedValue {
    pub(super) value: String,
    /// Where the value as written ends (relative to the value's start).
    pub(super) written_end: usize,
    pub(super) quote: Quote,
    /// Inside the quotes, relative to the value's start.
    pub(super) inner: (usize, usize),
    pub(super) comment_start: Option<usize>,
    pub(super) references: Vec<VariableReference>,
    /// Line feeds dotenvy read inside quotes, as part of the value.
    pub(super) quoted_line_feeds: usize,
}

impl Parser<'_> {
    /// dotenvy's `parse_value` on `input` (the trimmed rest of the line after `=` and any
    /// whitespace), which starts at absolute offset `base`.
    pub(super) fn scan_value(&self, input: &str, base: usize) -> Result<ScannedValue, LineError> {
        let at = |start: usize, end: usize| TextRange::new(base + start, base + end);
        let mut strong_quote = false;
        let mut weak_quote = false;
        let mut escape_started_at: Option<usize> = None;
        let mut expecting_end = false;
        let mut written_end: Option<usize> = None;
        let mut comment_start: Option<usize> = None;
        let mut output = String::new();
        let mut substitution = Substitution::None;
        let mut name = String::new();
        let mut name_start = 0;
        let mut references = Vec::new();
        let mut delimiters: Vec<usize> = Vec::new();
        let mut open_quote_at = 0;
        // The `$NAME"` that swallowed a closing quote, and whether NAME was empty.
        let mut quote_taken_by_variable: Option<(TextRange, bool)> = None;
        let mut quoted_line_feeds = 0;

        for (index, character) in input.char_indices() {
            if character == '\n' && (strong_quote || weak_quote) {
                quoted_line_feeds += 1;
            }
            if expecting_end {
                match character {
                    ' ' | '\t' => continue,
                    '#' => {
                        comment_start = Some(index);
                        break;
                    }
                    _ => {
                        let after_quote = written_end
                            .zip(delimiters.last())
                            .is_some_and(|(end, last)| last + 1 == end);
                        return Err(text_after_value(at(index, input.len()), after_quote));
                    }
                }
            } else if let Some(backslash) = escape_started_at {
                match character {
                    '\\' | '\'' | '"' | '$' | ' ' => output.push(character),
                    'n' => output.push('\n'),
                    _ => {
                        return Err(invalid_escape(
                            at(backslash, index + character.len_utf8()),
                            character,
                        ));
                    }
                }
                escape_started_at = None;
            } else if strong_quote {
                if character == '\'' {
                    strong_quote = false;
                    delimiters.push(index);
                } else {
                    output.push(character);
                }
            } else if substitution != Substitution::None {
                if character.is_alphanumeric() {
                    name.push(character);
                } else if substitution == Substitution::Braced {
                    if character == '}' {
                        substitution = Substitution::None;
                        let range = at(name_start, index + 1);
                        self.substitute(&mut name, range, &mut output, &mut references);
                    } else {
                        name.push(character);
                    }
                } else if character == '{' && name.is_empty() {
                    substitution = Substitution::Braced;
                } else {
                    let range = at(name_start, index);
                    let lone_dollar = name.is_empty();
                    self.substitute(&mut name, range, &mut output, &mut references);
                    if character == '$' {
                        name_start = index;
                    } else {
                        // dotenvy keeps any character that ends a bare name as a literal, even a
                        // closing double quote.
                        substitution = Substitution::None;
                        if character == '"' && weak_quote {
                            quote_taken_by_variable =
                                Some((at(name_start, index + 1), lone_dollar));
                        }
                        output.push(character);
                    }
                }
            } else if character == '$' {
                substitution = Substitution::Bare;
                name_start = index;
            } else if weak_quote {
                match character {
                    '"' => {
                        weak_quote = false;
                        delimiters.push(index);
                    }
                    '\\' => escape_started_at = Some(index),
                    _ => output.push(character),
                }
            } else {
                match character {
                    '\'' => {
                        strong_quote = true;
                        open_quote_at = index;
                        delimiters.push(index);
                    }
                    '"' => {
                        weak_quote = true;
                        open_quote_at = index;
                        delimiters.push(index);
                    }
                    '\\' => escape_started_at = Some(index),
                    ' ' | '\t' => {
                        expecting_end = true;
                        written_end = Some(index);
                    }
                    _ => output.push(character),
                }
            }
        }

        if substitution == Substitution::Braced {
            return Err(LineError::new(
                EnvSyntaxErrorKind::UnterminatedVariable,
                at(name_start, input.len()),
                "`${` without a closing `}`",
                "add `}` right after the variable name",
            ));
        }
        if strong_quote {
            let help = if input.contains("\\'") {
                "single-quoted values have no escapes, so `\\'` ends the quote: use double quotes \
                 (`\"…\\'…\"`), or add a closing `'`"
            } else {
                "add a closing `'` at the end of the value"
            };
            return Err(LineError::new(
                EnvSyntaxErrorKind::UnterminatedQuote,
                at(open_quote_at, open_quote_at + 1),
                "unterminated `'`",
                help,
            ));
        }
        if weak_quote {
            return Err(match quote_taken_by_variable {
                Some((range, lone_dollar)) => LineError::new(
                    EnvSyntaxErrorKind::QuoteClosedByVariable,
                    range,
                    "dotenvy reads the `\"` right after a `$NAME` (or a lone `$`) as a literal \
                     character, so the double quote is never closed",
                    if lone_dollar {
                        "write the `$` as `\\$`"
                    } else {
                        "write the variable as `${NAME}`"
                    },
                ),
                None => LineError::new(
                    EnvSyntaxErrorKind::UnterminatedQuote,
                    at(open_quote_at, open_quote_at + 1),
                    "unterminated `\"`",
                    "add a closing `\"` at the end of the value",
                ),
            });
        }
        let range = at(name_start, input.len());
        self.substitute(&mut name, range, &mut output, &mut references);

        let written_end = written_end.unwrap_or(input.len());
        let (quote, inner) = match delimiters.as_slice() {
            [] => (Quote::None, (0, written_end)),
            [0, close] if close + 1 == written_end => {
                let quote = if input.starts_with('"') {
                    Quote::Double
                } else {
                    Quote::Single
                };
                (quote, (1, *close))
            }
            _ => (Quote::Mixed, (0, written_end)),
        };
        Ok(ScannedValue {
            value: output,
            written_end,
            quote,
            inner,
            comment_start,
            references,
            quoted_line_feeds,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::dotenv::tests::{check, kinds, written};
    use crate::dotenv::{EnvSyntaxErrorKind, Quote};
    use crate::text::TextRange;

    #[test]
    fn inline_comments_need_whitespace_before_the_hash() {
        let file =
            check("NEON_A=a#b\nNEON_B=a #b\nNEON_C=a\t#b\nNEON_D=#b\nNEON_E= #b\nNEON_F=\"a\"#b\n");
        let values: Vec<&str> = file
            .entries
            .iter()
            .map(|entry| entry.value.as_str())
            .collect();
        assert_eq!(values, ["a#b", "a", "a", "", "", "a#b"]);
        assert!(file.entries[0].comment_range.is_none());
        assert!(
            file.entries[3].comment_range.is_some(),
            "`#` right after `=` starts a comment"
        );
        assert_eq!(file.entries[5].quote, Quote::Mixed);
    }

    #[test]
    fn empty_values_have_an_empty_range_right_after_the_equals_sign() {
        let text = "NEON_A=\nNEON_B=   \nNEON_C= # c\n";
        let file = check(text);
        for entry in &file.entries {
            assert_eq!(entry.value, "");
            assert_eq!(entry.value_range, TextRange::empty(entry.equals_range.end));
        }
    }

    #[test]
    fn unquoted_values_lose_trailing_whitespace() {
        let text = "NEON_A=value \t \nNEON_B=value\u{a0}\n";
        let file = check(text);
        assert_eq!(written(text, file.entries[0].value_range), "value");
        assert_eq!(file.entries[1].value, "value");
    }

    #[test]
    fn double_quotes_understand_dotenvys_escapes() {
        let text = r#"NEON_A="a\nb \"q\" \\ \$x \' \ end"
NEON_B=un\ quoted\$
NEON_C='no \n escapes'
"#;
        let file = check(text);
        assert_eq!(
            file.entries[0].value,
            "a\nb \"q\" \\ $x ' \\ end".replace("\\ end", " end")
        );
        assert_eq!(file.entries[1].value, "un quoted$");
        assert_eq!(file.entries[2].value, "no \\n escapes");
    }

    #[test]
    fn unknown_escapes_are_rejected() {
        let text = "NEON_A=\"tab\\there\"\nNEON_B=ok\n";
        let file = check(text);
        assert_eq!(kinds(&file), [EnvSyntaxErrorKind::InvalidEscape]);
        assert_eq!(written(text, file.errors[0].range), "\\t");
        assert_eq!(
            file.entries[0].key, "NEON_B",
            "parsing goes on after an error"
        );
    }

    #[test]
    fn multi_line_quoted_values_keep_positions() {
        let text =
            "NEON_CERT=\"-----BEGIN-----\nMIIBIjAN+/Q==\nabcDEF=\n-----END-----\"\nNEON_NEXT=1\n";
        let file = check(text);
        let cert = file.get("NEON_CERT").unwrap();
        assert_eq!(
            cert.value,
            "-----BEGIN-----\nMIIBIjAN+/Q==\nabcDEF=\n-----END-----"
        );
        assert_eq!(cert.line, 0);
        assert_eq!(file.get("NEON_NEXT").unwrap().line, 4);
        assert_eq!(written(text, cert.inner_range), cert.value);
        assert!(
            file.errors.is_empty(),
            "base64 padding is not an entry: {:?}",
            file.errors
        );
    }
}
