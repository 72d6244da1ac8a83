//! Tests of the whole parser against dotenvy's own parse of the same inputs (hand-picked and
//! generated files), and the helpers the modules' tests share.

use super::*;
use proptest::prelude::*;

/// An entry (`Ok`) or a rejected line (`Err`), in file order, as dotenvy's iterator gives
/// them. dotenvy's loaders skip a BOM but `from_read_iter` does not, so it gets the text
/// without one.
pub(super) type Item = Result<(String, String), ()>;

pub(super) fn dotenvy_items(text: &str) -> Vec<Item> {
    let text = text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text);
    dotenvy::from_read_iter(text.as_bytes())
        .map(|item| item.map_err(|_| ()))
        .collect()
}

pub(super) fn our_items(file: &EnvFile) -> Vec<Item> {
    let mut items: Vec<(usize, Item)> = file
        .entries
        .iter()
        .map(|entry| {
            (
                entry.entry_range.start,
                Ok((entry.key.clone(), entry.value.clone())),
            )
        })
        .collect();
    items.extend(
        file.errors
            .iter()
            .filter(|error| error.kind.loader_rejects())
            .map(|error| (error.range.start, Err(()))),
    );
    items.sort_by_key(|(position, _)| *position);
    items.into_iter().map(|(_, item)| item).collect()
}

pub(super) fn assert_range(text: &str, range: TextRange, what: &str) {
    assert!(
        range.start <= range.end && range.end <= text.len(),
        "{what} {range:?} out of text"
    );
    assert!(
        text.is_char_boundary(range.start),
        "{what} {range:?} starts inside a character"
    );
    assert!(
        text.is_char_boundary(range.end),
        "{what} {range:?} ends inside a character"
    );
}

/// Every range is inside the text, on character boundaries, and nested as documented.
pub(super) fn assert_positions(text: &str, file: &EnvFile) {
    for entry in &file.entries {
        for (range, what) in [
            (entry.key_range, "key"),
            (entry.value_range, "value"),
            (entry.inner_range, "inner"),
            (entry.equals_range, "equals"),
            (entry.entry_range, "entry"),
            (entry.full_line_range, "full line"),
        ] {
            assert_range(text, range, what);
        }
        assert_eq!(&text[entry.key_range.start..entry.key_range.end], entry.key);
        assert_eq!(&text[entry.equals_range.start..entry.equals_range.end], "=");
        assert!(entry.entry_range.contains_range(entry.key_range));
        assert!(entry.entry_range.contains_range(entry.value_range));
        assert!(entry.value_range.contains_range(entry.inner_range));
        assert!(entry.full_line_range.contains_range(entry.entry_range));
        assert!(entry.key_range.end <= entry.equals_range.start);
        assert!(entry.equals_range.end <= entry.value_range.start);
        assert_eq!(
            entry.line,
            LineIndex::new(text).line_of(entry.key_range.start)
        );
        for range in entry.export_range.iter().chain(&entry.comment_range) {
            assert_range(text, *range, "export or comment");
            assert!(entry.entry_range.contains_range(*range));
        }
        for reference in &entry.references {
            assert_range(text, reference.range, "reference");
            assert!(entry.value_range.contains_range(reference.range));
            assert!(text[reference.range.start..].starts_with('$'));
        }
    }
    for error in &file.errors {
        assert_range(text, error.range, "error");
        assert!(!error.message.is_empty() && !error.help.is_empty());
    }
    for comment in &file.comments {
        assert_range(text, comment.range, "comment");
        assert!(text[comment.range.start..].starts_with('#'));
    }
}

/// Parses `text`, checks positions, and checks that the entries and rejected lines are
/// exactly dotenvy's.
pub(super) fn check(text: &str) -> EnvFile {
    let file = parse(text);
    assert_positions(text, &file);
    for entry in &file.entries {
        for name in &entry.interpolated {
            assert!(
                std::env::var_os(name).is_none(),
                "test uses `{name}`, set in the environment"
            );
        }
    }
    assert_eq!(
        our_items(&file),
        dotenvy_items(text),
        "differs from dotenvy on {text:?}"
    );
    file
}

pub(super) fn written(text: &str, range: TextRange) -> &str {
    &text[range.start..range.end]
}

pub(super) fn only_entry(file: &EnvFile) -> &EnvEntry {
    assert_eq!(file.entries.len(), 1, "{file:?}");
    &file.entries[0]
}

pub(super) fn kinds(file: &EnvFile) -> Vec<EnvSyntaxErrorKind> {
    file.errors.iter().map(|error| error.kind).collect()
}

#[test]
fn reads_keys_values_and_their_ranges() {
    let text =
        "# header\nNEON_A=1\n  export NEON_B = \"two words\"   # note\nNEON_C='lit $NEON_A'\n";
    let file = check(text);
    assert_eq!(file.comments.len(), 1);
    assert_eq!(written(text, file.comments[0].range), "# header");
    let [a, b, c] = &file.entries[..] else {
        panic!("{file:?}")
    };
    assert_eq!((a.value.as_str(), a.line, a.quote), ("1", 1, Quote::None));
    assert_eq!(written(text, a.entry_range), "NEON_A=1");
    assert_eq!(written(text, a.full_line_range), "NEON_A=1\n");

    assert_eq!(b.value, "two words");
    assert!(b.exported);
    assert_eq!(written(text, b.export_range.unwrap()), "export");
    assert_eq!(written(text, b.value_range), "\"two words\"");
    assert_eq!(written(text, b.inner_range), "two words");
    assert_eq!(b.quote, Quote::Double);
    assert_eq!(written(text, b.comment_range.unwrap()), "# note");
    assert_eq!(
        written(text, b.entry_range),
        "  export NEON_B = \"two words\"   # note"
    );
    assert_eq!(b.equals_range.start, text.find(" = ").unwrap() + 1);

    assert_eq!(c.value, "lit $NEON_A");
    assert_eq!(c.quote, Quote::Single);
    assert!(c.interpolated.is_empty());
    assert!(file.errors.is_empty());
}

#[test]
fn crlf_files_keep_terminators_out_of_entries() {
    let text = "NEON_A=1\r\nNEON_B=\"x\r\ny\"\r\n";
    let file = check(text);
    assert_eq!(file.line_ending, LineEnding::CrLf);
    let [a, b] = &file.entries[..] else { panic!() };
    assert_eq!(written(text, a.entry_range), "NEON_A=1");
    assert_eq!(written(text, a.full_line_range), "NEON_A=1\r\n");
    assert_eq!(
        b.value, "x\r\ny",
        "dotenvy keeps the CR inside a quoted value"
    );
    assert_eq!(written(text, b.full_line_range), "NEON_B=\"x\r\ny\"\r\n");
}

#[test]
fn byte_order_mark_is_skipped_and_counted() {
    let text = "\u{feff}NEON_A=1\n";
    let file = check(text);
    assert!(file.has_bom);
    let entry = only_entry(&file);
    assert_eq!(entry.key_range, TextRange::new(3, 9));
    assert_eq!(
        entry.entry_range.start, 3,
        "deleting the entry keeps the BOM"
    );
    // Deliberate difference: dotenvy's `from_read_iter` rejects the BOM line, its loaders
    // (`dotenv()`, `from_path`) skip the BOM as we do.
    assert_eq!(
        dotenvy::from_read_iter(text.as_bytes())
            .filter(Result::is_err)
            .count(),
        1
    );
}

#[test]
fn export_is_a_prefix_or_a_key() {
    let file = check("export=\"export as key\"\nexport   NEON_A=1\nexportNEON_B=2\n");
    let keys: Vec<(&str, bool)> = file
        .entries
        .iter()
        .map(|entry| (entry.key.as_str(), entry.exported))
        .collect();
    assert_eq!(
        keys,
        [("export", false), ("NEON_A", true), ("exportNEON_B", false)]
    );
}

#[test]
fn keys_may_hold_dots_and_lowercase() {
    let file = check("neon.lower_case=1\n_NEON=2\n");
    assert_eq!(file.entries[0].key, "neon.lower_case");
    assert_eq!(file.entries[1].key, "_NEON");
}

#[test]
fn last_definition_wins_for_get() {
    let file = check("NEON_A=1\nNEON_A=2\n");
    assert_eq!(file.get("NEON_A").unwrap().value, "2");
    assert_eq!(file.definitions("NEON_A").count(), 2);
    assert!(file.get("NEON_MISSING").is_none());
}

#[test]
fn debug_output_hides_values() {
    let file = parse("NEON_PASSWORD=hunter2\n");
    let debug = format!("{file:?}");
    assert!(!debug.contains("hunter2"));
    assert!(debug.contains("NEON_PASSWORD"));
}

#[test]
fn detects_line_endings() {
    assert_eq!(LineEnding::detect("A=1\r\nB=2\n"), LineEnding::CrLf);
    assert_eq!(LineEnding::detect("A=1\nB=2\r\n"), LineEnding::Lf);
    assert_eq!(LineEnding::detect("A=1"), LineEnding::Lf);
    assert_eq!(LineEnding::detect("\n"), LineEnding::Lf);
}

#[test]
fn key_validity_matches_dotenvy() {
    for key in ["A", "_", "a.b", "A_1", "export"] {
        assert!(is_valid_key(key), "{key}");
        assert!(check(&format!("{key}=1\n")).errors.is_empty());
    }
    for key in ["", "1A", "A-B", "A B", ".A", "É"] {
        assert!(!is_valid_key(key), "{key}");
    }
}

/// Values in the forms a person writes, with the text they are written as.
fn written_value() -> impl Strategy<Value = (String, bool)> {
    // `(written, spans_lines)`
    prop_oneof![
        "[A-Za-z0-9_./:@%+,=-]{1,12}".prop_map(|v| (v, false)),
        "[a-zA-Z0-9 #$\"=.:\\\\]{0,12}"
            .prop_map(|v| (format!("'{}'", v.trim_end_matches('\\')), false)),
        prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 #'=.:]{1,4}".boxed(),
                Just("\\n".to_owned()).boxed(),
                Just("\\\"".to_owned()).boxed(),
                Just("\\\\".to_owned()).boxed(),
                Just("\\$".to_owned()).boxed(),
                Just("\\'".to_owned()).boxed(),
                "\\$\\{ZQ[A-Z0-9]{0,2}\\}".boxed(),
            ],
            0..5
        )
        .prop_map(|pieces| (format!("\"{}\"", pieces.concat()), false)),
        "[a-z0-9 ]{0,6}\n[a-z0-9 ]{0,6}".prop_map(|v| (format!("\"{v}\""), true)),
        "[a-z0-9 ]{0,6}\n[a-z0-9 ]{0,6}".prop_map(|v| (format!("'{v}'"), true)),
        "\\$\\{ZQ[A-Z0-9]{0,2}\\}[a-z]{0,3}".prop_map(|v| (v, false)),
        any::<String>().prop_map(|v| (render_value(&v), v.contains('\n'))),
    ]
}

#[derive(Debug, Clone)]
enum Line {
    Blank,
    Comment(String),
    Entry {
        indent: &'static str,
        export: bool,
        key: String,
        spaces: (bool, bool),
        value: String,
        comment: Option<String>,
    },
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        1 => Just(Line::Blank),
        1 => "[a-zA-Z0-9 '\"=#]{0,12}".prop_map(|c| Line::Comment(format!("#{c}"))),
        6 => (
            prop_oneof![Just(""), Just("  "), Just("\t")],
            any::<bool>(),
            "ZQ[A-Z0-9_]{0,4}",
            (any::<bool>(), any::<bool>()),
            written_value(),
            proptest::option::of("[a-zA-Z0-9 =]{0,8}"),
        )
            .prop_map(|(indent, export, key, spaces, (value, _), comment)| Line::Entry {
                indent,
                export,
                key,
                spaces,
                value,
                comment: comment.map(|c| format!("# {c}")),
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn rendered_entries_read_back_exactly(value in any::<String>(), prefix in "[a-z\\n\"' ]{0,3}") {
        let value = format!("{prefix}{value}");
        let line = render_entry("NEON_ROUND_TRIP", &value);
        let text = format!("{line}\n");
        let read: Vec<_> = dotenvy::from_read_iter(text.as_bytes()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(read, vec![("NEON_ROUND_TRIP".to_owned(), value.clone())]);
        let file = check(&text);
        prop_assert_eq!(&only_entry(&file).value, &value);
        prop_assert!(file.errors.is_empty());
    }

    #[test]
    fn generated_files_match_dotenvy(lines in prop::collection::vec(line(), 0..12), crlf in any::<bool>(), final_newline in any::<bool>()) {
        let ending = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut expected = Vec::new();
        for line in &lines {
            match line {
                Line::Blank => {}
                Line::Comment(comment) => text.push_str(comment),
                Line::Entry { indent, export, key, spaces, value, comment } => {
                    text.push_str(indent);
                    if *export { text.push_str("export "); }
                    let key_start = text.len();
                    text.push_str(key);
                    if spaces.0 { text.push(' '); }
                    text.push('=');
                    if spaces.1 && !value.is_empty() { text.push(' '); }
                    let value_start = text.len();
                    text.push_str(value);
                    expected.push((key.clone(), key_start, value_start, value.clone()));
                    if let Some(comment) = comment { text.push(' '); text.push_str(comment); }
                }
            }
            text.push_str(ending);
        }
        if !final_newline { text.truncate(text.len().saturating_sub(ending.len())); }
        let file = check(&text);
        prop_assert!(file.errors.is_empty(), "{:?}", file.errors);
        prop_assert_eq!(file.entries.len(), expected.len());
        for (entry, (key, key_start, value_start, value)) in file.entries.iter().zip(&expected) {
            prop_assert_eq!(&entry.key, key);
            prop_assert_eq!(entry.key_range.start, *key_start);
            prop_assert_eq!(written(&text, entry.value_range), value.as_str());
            if !value.is_empty() {
                prop_assert_eq!(entry.value_range.start, *value_start);
            }
        }
    }

    #[test]
    fn env_like_noise_matches_dotenvy_and_keeps_ranges_valid(tokens in prop::collection::vec(
        prop_oneof![
            Just("ZQ"), Just("zq_1"), Just("Q.9"), Just("export"), Just(" "), Just("  "), Just("\t"),
            Just("="), Just("#"), Just("'"), Just("\""), Just("\\"), Just("$"), Just("${"), Just("}"),
            Just("$ZQ"), Just("${ZQ}"), Just("\n"), Just("\r\n"), Just("\r"), Just("a"), Just("n"),
            Just("é"), Just("\u{a0}"), Just("\u{feff}"), Just("-"), Just("😀"),
        ],
        0..40,
    )) {
        let text = tokens.concat();
        check(&text);
    }

    #[test]
    fn any_text_is_parsed_without_panicking(text in any::<String>()) {
        let file = parse(&text);
        assert_positions(&text, &file);
        let uses_environment = file
            .entries
            .iter()
            .flat_map(|entry| &entry.interpolated)
            .any(|name| std::env::var_os(name).is_some());
        if !uses_environment {
            prop_assert_eq!(our_items(&file), dotenvy_items(&text));
        }
    }
}
