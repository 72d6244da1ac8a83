//! Hand-written splits of a string (`s.split(sep)`, `strings.Split`, `explode`) and the
//! receiver chains they apply to.

use super::*;

/// A split receiver's text is kept up to this many bytes (the variable or read it starts
/// with is what the rules look at); a longer one would be copied once per call in a chain.
const MAX_RECEIVER_TEXT: usize = 512;

impl Code<'_> {
    pub(super) fn split_calls(&self, scan: &mut Scan) {
        let regex: &Regex = match self.language {
            Language::Go => &GO_SPLIT,
            Language::Php => &PHP_SPLIT,
            _ => &METHOD_SPLIT,
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let split = match self.language {
                Language::Go => self.function_split(&captures, whole.end()),
                Language::Php => self.function_split(&captures, whole.end()),
                _ => self.method_split(whole.start(), whole.end()),
            };
            scan.split_calls.extend(split);
        }
    }

    /// `receiver.split(sep)`; `dot` is where the `.` is and `after_name` just past `split`.
    fn method_split(&self, dot: usize, after_name: usize) -> Option<SplitCall> {
        let receiver_end = self.skip_ws_back(dot);
        let receiver_start = self.expression_start(receiver_end)?;
        let receiver_range = TextRange::new(receiver_start, receiver_end);
        let mut shown_end = receiver_end.min(receiver_start + MAX_RECEIVER_TEXT);
        while !self.text.is_char_boundary(shown_end) {
            shown_end -= 1;
        }
        let receiver = self.slice(TextRange::new(receiver_start, shown_end));
        // Python `re.split(pattern, text)` is a function, not a method of `re`.
        if self.language == Language::Python && receiver == "re" {
            return self.python_re_split(receiver_start, after_name);
        }
        let open = self.skip_ws(after_name);
        let (separator, end) = if self.byte(open) == b'(' {
            let close = self.matching_close(open)?;
            (self.separator_in(open + 1, close)?, close + 1)
        } else if self.language == Language::Ruby {
            // `s.split " "` or a bare `s.split`.
            let mut at = after_name;
            while matches!(self.byte(at), b' ' | b'\t') {
                at += 1;
            }
            match self.lexed.literal_at(at) {
                Some(literal) if at > after_name => {
                    (self.separator_of(literal)?, literal.range.end)
                }
                _ if is_word_byte(self.byte(after_name)) => return None,
                _ => (SplitSeparator::Whitespace, after_name),
            }
        } else {
            return None;
        };
        Some(SplitCall {
            range: TextRange::new(receiver_start, end),
            receiver_range,
            receiver_text: receiver.to_owned(),
            separator,
        })
    }

    fn python_re_split(&self, start: usize, after_name: usize) -> Option<SplitCall> {
        let open = self.skip_ws(after_name);
        let close = self.matching_close(open)?;
        let pattern = self.lexed.literal_at(self.skip_ws(open + 1))?;
        if pattern.interpolated || pattern.kind != LiteralKind::String {
            return None;
        }
        let comma = self.skip_ws(pattern.range.end);
        if self.byte(comma) != b',' {
            return None;
        }
        let receiver_range = self.argument_range(comma + 1, close);
        Some(SplitCall {
            range: TextRange::new(start, close + 1),
            receiver_range,
            receiver_text: self.slice(receiver_range).to_owned(),
            separator: SplitSeparator::Regex(self.slice(pattern.content).to_owned()),
        })
    }

    /// Go `strings.Split(s, sep)`/`strings.Fields(s)` and PHP `explode(sep, s)`.
    fn function_split(
        &self,
        captures: &regex::bytes::Captures<'_>,
        after_open: usize,
    ) -> Option<SplitCall> {
        let whole = captures.get(0)?;
        if !self.token_starts_at(whole.start()) {
            return None;
        }
        let open = after_open - 1;
        let close = self.matching_close(open)?;
        let first = self.argument_range(open + 1, close);
        if self.language == Language::Php {
            let separator_literal = self.lexed.literal_at(first.start)?;
            let second = self.argument_range(first.end + 1, close);
            if first.end >= close || second.is_empty() {
                return None;
            }
            return Some(SplitCall {
                range: TextRange::new(whole.start(), close + 1),
                receiver_range: second,
                receiver_text: self.slice(second).to_owned(),
                separator: self.separator_of(separator_literal)?,
            });
        }
        let function = captures.name("function")?.as_bytes();
        let separator = if function == b"Fields" {
            SplitSeparator::Whitespace
        } else {
            let second = self.argument_range(first.end + 1, close);
            let literal = self.lexed.literal_at(second.start)?;
            self.separator_of(literal)?
        };
        if first.is_empty() {
            return None;
        }
        Some(SplitCall {
            range: TextRange::new(whole.start(), close + 1),
            receiver_range: first,
            receiver_text: self.slice(first).to_owned(),
            separator,
        })
    }

    /// The trimmed argument starting at `from`, up to the next top-level comma or `close`.
    fn argument_range(&self, from: usize, close: usize) -> TextRange {
        let start = self.skip_ws(from).min(close);
        let mut depth = 0usize;
        let mut end = start;
        while end < close {
            match self.byte(end) {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => break,
                _ => {}
            }
            end += 1;
        }
        TextRange::new(start, self.skip_ws_back(end).max(start))
    }

    fn separator_in(&self, from: usize, close: usize) -> Option<SplitSeparator> {
        let first = self.argument_range(from, close);
        if first.is_empty() {
            // Only Python, Ruby and C# split on whitespace without an argument.
            return matches!(
                self.language,
                Language::Python | Language::Ruby | Language::CSharp
            )
            .then_some(SplitSeparator::Whitespace);
        }
        // Literals are sorted by start: a binary search, not a walk from the file's start.
        let literals = &self.lexed.literals;
        let literal = literals
            .get(literals.partition_point(|l| l.range.start < first.start))
            .filter(|l| l.range.start < first.end)?;
        self.separator_of(literal)
    }

    fn separator_of(&self, literal: &Literal) -> Option<SplitSeparator> {
        if literal.interpolated {
            return None;
        }
        let content = self.slice(literal.content).to_owned();
        Some(
            if literal.kind == LiteralKind::Regex || self.language == Language::Java {
                SplitSeparator::Regex(content)
            } else {
                SplitSeparator::Literal(content)
            },
        )
    }

    /// Start of the expression that ends at `end`: a chain of names, calls, indexes and
    /// literals joined by `.`, `?.`, `->` or `::`.
    fn expression_start(&self, end: usize) -> Option<usize> {
        let start = self.chain_start(end)?;
        (start < end).then_some(start)
    }

    fn chain_start(&self, end: usize) -> Option<usize> {
        if let Some(&start) = self.chain_starts.borrow().get(&end) {
            return Some(start);
        }
        let mut pos = end;
        let mut start = end;
        loop {
            let round_start = pos;
            while pos > 0 && matches!(self.byte(pos - 1), b')' | b']' | b'!') {
                pos = if self.byte(pos - 1) == b'!' {
                    pos - 1
                } else {
                    self.matching_open(pos - 1)?
                };
            }
            if let Some(literal) = self.lexed.literal_ending_at(pos) {
                pos = literal.range.start;
            } else {
                pos = self.name_start_before_chain(pos);
            }
            if pos == round_start {
                break;
            }
            start = pos;
            // Method chains may break lines before the connector.
            let connector_end = self.skip_ws_back(pos);
            let connector = [b"?.".as_slice(), b"->", b"::", b"."]
                .into_iter()
                .find(|c| {
                    connector_end >= c.len()
                        && self.masked.get(connector_end - c.len()..connector_end) == Some(*c)
                });
            match connector {
                Some(c) => pos = self.skip_ws_back(connector_end - c.len()),
                None => break,
            }
            if let Some(&known) = self.chain_starts.borrow().get(&pos) {
                if known < pos {
                    start = known;
                }
                break;
            }
        }
        self.chain_starts.borrow_mut().insert(end, start);
        Some(start)
    }
}

static_regex!(METHOD_SPLIT, r"(?:\?\.|\.)\s*(?:split|rsplit|Split)\b");

static_regex!(
    GO_SPLIT,
    r"\bstrings\s*\.\s*(?P<function>Split|SplitN|SplitAfter|SplitAfterN|Fields)\s*\("
);

static_regex!(PHP_SPLIT, r"\bexplode\s*\(");

#[cfg(test)]
pub(super) fn regexes() -> Vec<&'static Regex> {
    vec![&*METHOD_SPLIT, &*GO_SPLIT, &*PHP_SPLIT]
}
