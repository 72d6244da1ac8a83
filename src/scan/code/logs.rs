//! Print, log and echo calls, with and without parentheses.

use super::*;

impl Code<'_> {
    pub(super) fn log_calls(&self, scan: &mut Scan) {
        let (own, paren_less): (&Regex, bool) = match self.language {
            Language::Python => (&PYTHON_LOG, false),
            Language::JavaScript => (&JS_LOG, false),
            Language::Go => (&GO_LOG, false),
            Language::CSharp => (&CSHARP_LOG, false),
            Language::Java => (&JAVA_LOG, false),
            Language::Kotlin => (&KOTLIN_LOG, false),
            Language::Php => (&PHP_LOG, true),
            Language::Ruby => (&RUBY_LOG, true),
            _ => return,
        };
        for regex in [own, &LOGGER_LOG] {
            for found in regex.find_iter(self.masked) {
                let callee_start = found.start();
                let starts_with_sigil = matches!(self.byte(callee_start), b'$' | b'@');
                if !starts_with_sigil && !self.token_starts_at(callee_start) {
                    continue;
                }
                if scan
                    .log_calls
                    .iter()
                    .any(|c| c.callee_range.start == callee_start)
                {
                    continue;
                }
                let callee_range = TextRange::new(callee_start, found.end());
                let after = self.skip_ws(found.end());
                if self.byte(after) == b'(' {
                    let Some(close) = self.matching_close(after) else {
                        continue;
                    };
                    scan.log_calls.push(Call {
                        callee: self.slice(callee_range).to_owned(),
                        callee_range,
                        range: TextRange::new(callee_start, close + 1),
                        args_range: TextRange::new(after + 1, close),
                    });
                } else if paren_less && let Some(call) = self.paren_less_call(callee_range) {
                    scan.log_calls.push(call);
                }
            }
        }
    }

    /// Ruby `puts x` / `logger.info "x"` (to the end of the line) and PHP `echo $x;` (to `;`).
    fn paren_less_call(&self, callee_range: TextRange) -> Option<Call> {
        let mut at = callee_range.end;
        while matches!(self.byte(at), b' ' | b'\t') {
            at += 1;
        }
        if at == callee_range.end && self.language == Language::Ruby {
            return None;
        }
        let first = self.byte(at);
        if matches!(
            first,
            0 | b'\n' | b'\r' | b'=' | b'.' | b')' | b',' | b';' | b'}' | b']' | b'?' | b':'
        ) {
            return None;
        }
        let mut end = at;
        if self.language == Language::Php {
            while end < self.masked.len()
                && self.byte(end) != b';'
                && !self.masked[end..].starts_with(b"?>")
            {
                end += 1;
            }
        } else {
            while end < self.masked.len() && self.byte(end) != b'\n' {
                end += 1;
            }
            // A trailing `if`/`unless` modifier is not an argument.
            let line = self.masked.get(at..end).unwrap_or(&[]);
            if let Some(modifier) = RUBY_MODIFIER.find(line) {
                end = at + modifier.start();
            }
        }
        let end = self.skip_ws_back(end).max(at);
        Some(Call {
            callee: self.slice(callee_range).to_owned(),
            callee_range,
            range: TextRange::new(callee_range.start, end),
            args_range: TextRange::new(at, end),
        })
    }
}

static_regex!(RUBY_MODIFIER, r"[ \t](?:if|unless)[ \t]");

static_regex!(
    PYTHON_LOG,
    r"\b(?:print|pprint\s*\.\s*pprint|pprint|sys\s*\.\s*(?:stdout|stderr)\s*\.\s*write)\b"
);

static_regex!(
    JS_LOG,
    r"\bconsole\s*\.\s*(?:log|info|warn|error|debug|trace|dir|table)\b"
);

static_regex!(
    GO_LOG,
    r"\b(?:fmt\s*\.\s*(?:Print|Println|Printf|Fprint|Fprintln|Fprintf)|log\s*\.\s*(?:Print|Println|Printf|Fatal|Fatalf|Fatalln|Panic|Panicf|Panicln)|slog\s*\.\s*(?:Debug|Info|Warn|Error|Log)\w*)\b"
);

static_regex!(
    CSHARP_LOG,
    r"\b(?:Console\s*\.\s*(?:Write|WriteLine|Error\s*\.\s*WriteLine|Out\s*\.\s*WriteLine)|(?:Debug|Trace)\s*\.\s*(?:Write|WriteLine|Print|TraceInformation|TraceWarning|TraceError))\b"
);

static_regex!(
    JAVA_LOG,
    r"\bSystem\s*\.\s*(?:out|err)\s*\.\s*(?:print|println|printf|format)\b"
);

static_regex!(
    KOTLIN_LOG,
    r"\b(?:println|print|System\s*\.\s*(?:out|err)\s*\.\s*(?:print|println|printf|format))\b"
);

static_regex!(
    PHP_LOG,
    r"\b(?:echo|print|print_r|var_dump|var_export|error_log|printf|syslog)\b"
);

static_regex!(
    RUBY_LOG,
    r"(?:\$std(?:out|err)\s*\.\s*|\bSTD(?:OUT|ERR)\s*\.\s*)?\b(?:puts|print|pp|p|warn)\b"
);

static_regex!(
    LOGGER_LOG,
    r"(?:\$this\s*->\s*|\$|@)?\b(?:[A-Za-z_]\w*\s*\.\s*)*(?:log|logger|_log|_logger|LOG|LOGGER|Log|Logger|logging|slog|LOGGING)\s*(?:\?\.|\.|->|::)\s*(?i:debug|info|information|warn|warning|error|exception|critical|fatal|trace|verbose|notice|log\w*|print\w*|panic\w*|infof|debugf|warnf|errorf|fatalf)\b"
);

#[cfg(test)]
pub(super) fn regexes() -> Vec<&'static Regex> {
    vec![
        &*RUBY_MODIFIER,
        &*PYTHON_LOG,
        &*JS_LOG,
        &*GO_LOG,
        &*CSHARP_LOG,
        &*JAVA_LOG,
        &*KOTLIN_LOG,
        &*PHP_LOG,
        &*RUBY_LOG,
        &*LOGGER_LOG,
    ]
}
