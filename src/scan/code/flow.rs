//! Assignments of reads to locals and the light value flow of the regex-scanned languages
//! (locals derived in one assignment, log calls naming them).

use super::*;

/// Calls that put their argument into the text they return, so a secret passed to them is
/// still logged.
const RENDERS_VALUE: &[&str] = &[
    "implode",
    "join",
    "Join",
    "print_r",
    "var_export",
    "json_encode",
    "serialize",
    "sprintf",
    "Sprintf",
    "Sprint",
    "Sprintln",
    "format",
    "Format",
    "valueOf",
    "toString",
    "ToString",
    "String",
    "string",
    "inspect",
    "to_s",
    "to_json",
    "dump",
    "Dump",
    "pp",
    "Concat",
    "concat",
    "asList",
    "of",
];

impl Code<'_> {
    /// `local = <expr starting at ref_start>`: the local's name and range.
    pub(super) fn assigned_local(&self, ref_start: usize) -> Option<(String, TextRange)> {
        let mut at = self.skip_ws_back(ref_start);
        if at == 0 || self.byte(at - 1) != b'=' {
            return None;
        }
        at -= 1;
        let before = if at > 0 { self.byte(at - 1) } else { 0 };
        if before == b':' && self.language == Language::Go {
            at -= 1;
        } else if matches!(
            before,
            b'=' | b'!'
                | b'<'
                | b'>'
                | b'+'
                | b'-'
                | b'*'
                | b'/'
                | b'%'
                | b'&'
                | b'|'
                | b'^'
                | b'?'
                | b':'
                | b'.'
        ) {
            return None;
        }
        let mut name_end = self.skip_ws_back(at);
        if self.language == Language::Kotlin && name_end > 0 && self.byte(name_end - 1) == b'?' {
            name_end -= 1;
        }
        let mut name_start = self.name_start_before(name_end);
        if name_start == name_end {
            return None;
        }
        let mut preceding = self.skip_ws_back(name_start);
        // A type annotation: `x: str = …`, `val x: String? = …`, `const x: string = …`.
        if matches!(
            self.language,
            Language::Python | Language::JavaScript | Language::Kotlin
        ) && preceding > 0
            && self.byte(preceding - 1) == b':'
            && !(preceding > 1 && self.byte(preceding - 2) == b':')
        {
            name_end = self.skip_ws_back(preceding - 1);
            name_start = self.name_start_before(name_end);
            if name_start == name_end {
                return None;
            }
            preceding = self.skip_ws_back(name_start);
        }
        // Go `v, ok := os.LookupEnv(…)`: the value is the first name.
        if self.language == Language::Go && preceding > 0 && self.byte(preceding - 1) == b',' {
            name_end = self.skip_ws_back(preceding - 1);
            name_start = self.name_start_before(name_end);
            if name_start == name_end {
                return None;
            }
            preceding = self.skip_ws_back(name_start);
        }
        // Keyword arguments (`connect(host=os.environ[…])`) and tuple targets are not locals.
        if preceding > 0 && matches!(self.byte(preceding - 1), b'(' | b',') {
            return None;
        }
        let range = TextRange::new(name_start, name_end);
        let local = self.slice(range);
        if local == "_" || local.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((local.to_owned(), range))
    }

    /// Start of the assignable name ending at `end`: `x`, `self.x`, `this.x`, `$x`, `@x`.
    fn name_start_before(&self, end: usize) -> usize {
        let mut start = end;
        while start > 0 {
            let b = self.byte(start - 1);
            let sigil = (b == b'$'
                && matches!(self.language, Language::Php | Language::JavaScript))
                || b == b'@' && self.language == Language::Ruby;
            if is_word_byte(b) || sigil {
                start -= 1;
                if sigil {
                    break;
                }
            } else if b == b'.' && start > 1 && is_word_byte(self.byte(start - 2)) && start < end {
                start -= 1;
            } else {
                break;
            }
        }
        start
    }

    /// Value flow for the languages without a syntax tree (Go, C#, Java, Kotlin, PHP, Ruby):
    /// locals assigned a connection string, password or secret read, locals derived from them
    /// in one assignment (`params = conninfo.split(" ")…`, `$parts = explode(";", $conn)`,
    /// `pw = params["password"]`), and log calls that name one of them in code or in a string's
    /// interpolation (`logger.info("settings: #{params}")`). Names inside string text are not
    /// values. Flow-insensitive and by simple name, like the tree's; linear in the file.
    pub(super) fn value_flow(&self, scan: &mut Scan) {
        /// More tracked names than this is generated code: no flow.
        const MAX_BINDINGS: usize = 64;
        let mut bindings: HashMap<String, (ValueKind, ValueOrigin)> = HashMap::new();
        for assignment in &scan.assignments {
            let Some(reference) = scan.env_refs.get(assignment.env_ref) else {
                continue;
            };
            if let Some(kind) = env_kind(&reference.name) {
                bindings
                    .entry(assignment.local.clone())
                    .or_insert((kind, ValueOrigin::EnvRef(assignment.env_ref)));
            }
        }
        if bindings.is_empty() || bindings.len() > MAX_BINDINGS {
            return;
        }
        let mut facts = Vec::new();
        // Function splits (`explode`, `strings.Split`) whose argument is a tracked string.
        for split in &scan.split_calls {
            let head = self.occurrence_value(&bindings, split.receiver_range.start);
            let Some((kind, origin, _)) = head else {
                continue;
            };
            if matches!(
                kind,
                ValueKind::ConnectionString | ValueKind::ParsedConnection
            ) && let Some((local, range)) = self.assigned_local(split.range.start)
                && bindings.len() < MAX_BINDINGS
            {
                facts.push(ValueFact {
                    range,
                    kind: ValueKind::ParsedConnection,
                    origin,
                    role: ValueRole::Definition,
                });
                bindings
                    .entry(local)
                    .or_insert((ValueKind::ParsedConnection, origin));
            }
        }
        // Two rounds, so that a name derived from a derived name is known.
        let words = self.code_words();
        for _ in 0..2 {
            for &start in &words {
                let Some((kind, origin, _)) = self.occurrence_value(&bindings, start) else {
                    continue;
                };
                if bindings.len() >= MAX_BINDINGS {
                    break;
                }
                if let Some((local, range)) = self.assigned_local(start)
                    && !bindings.contains_key(&local)
                {
                    facts.push(ValueFact {
                        range,
                        kind,
                        origin,
                        role: ValueRole::Definition,
                    });
                    bindings.insert(local, (kind, origin));
                }
            }
        }
        let mut calls: Vec<TextRange> = scan.log_calls.iter().map(|c| c.args_range).collect();
        calls.sort_by_key(|r| r.start);
        for &start in &words {
            let after = calls.partition_point(|r| r.start <= start);
            let inside = after > 0 && calls[after - 1].contains_range(TextRange::new(start, start));
            if !inside || !self.logged_as_is(calls[after - 1], start) {
                continue;
            }
            if let Some((kind, origin, range)) = self.occurrence_value(&bindings, start) {
                facts.push(ValueFact {
                    range,
                    kind,
                    origin,
                    role: ValueRole::Logged,
                });
            }
        }
        facts.sort_by_key(|f| (f.range.start, f.range.end));
        facts.dedup_by(|a, b| a.range == b.range && a.role == b.role);
        scan.values = facts;
    }

    /// Whether the name at `start` reaches the output of the log call whose arguments are
    /// `args` as it is: not tested (`dsn != ""`, `conn ? … : …`) and not inside a call other
    /// than one that renders it (`len(dsn)` and `redact(conn)` hide it; `implode(", ", $parts)`,
    /// `string.Join(" ", parts)`, `fmt.Sprintf("%v", parts)` show it).
    fn logged_as_is(&self, args: TextRange, start: usize) -> bool {
        let mut end = start + 1;
        while is_word_byte(self.byte(end)) {
            end += 1;
        }
        // Past a subscript or member the occurrence takes (`params["password"]`).
        if self.byte(self.skip_ws(end)) == b'[' {
            end = self
                .matching_close_bracket(self.skip_ws(end))
                .map_or(end, |c| c + 1);
        }
        let next = self.skip_ws(end);
        let tested = matches!(
            (self.byte(next), self.byte(next + 1)),
            (b'=' | b'!', b'=') | (b'<' | b'>' | b'?', _) | (b'&', b'&') | (b'|', b'|')
        );
        if tested {
            return false;
        }
        let floor = args.start.max(start.saturating_sub(512));
        let mut depth = 0usize;
        let mut at = start;
        while at > floor {
            at -= 1;
            match self.byte(at) {
                b')' => depth += 1,
                b'(' if depth > 0 => depth -= 1,
                b'(' => {
                    let callee_end = self.skip_ws_back(at);
                    let mut callee_start = callee_end;
                    while callee_start > 0 && is_word_byte(self.byte(callee_start - 1)) {
                        callee_start -= 1;
                    }
                    let callee = self.text.get(callee_start..callee_end).unwrap_or("");
                    return RENDERS_VALUE.contains(&callee);
                }
                _ => {}
            }
        }
        true
    }

    /// Starts of the names in code (not in string text or comments), sigils included (`$x`,
    /// `@x`); members (`a.b`'s `b`) and keys (`b:` / `:b`) are not names of their own.
    fn code_words(&self) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut at = 0;
        while at < self.masked.len() {
            let b = self.byte(at);
            let sigil = matches!(b, b'$' | b'@') && is_word_byte(self.byte(at + 1));
            if !is_word_byte(b) && !sigil {
                at += 1;
                continue;
            }
            let start = at;
            at += 1;
            while at < self.masked.len() && is_word_byte(self.byte(at)) {
                at += 1;
            }
            let member = start > 0 && matches!(self.byte(start - 1), b'.' | b':');
            let digit = self.byte(start).is_ascii_digit();
            if !member && !digit {
                starts.push(start);
            }
        }
        starts
    }

    /// What the name starting at `start` holds once what follows it is applied: a password
    /// under a password key (`params["password"]`, `url.password`), a parsed connection for a
    /// split (`conn.split(" ")`), the value itself when nothing (or an index) follows; with the
    /// range of the expression that holds it. `None` for other keys and members (`params["host"]`).
    fn occurrence_value(
        &self,
        bindings: &HashMap<String, (ValueKind, ValueOrigin)>,
        start: usize,
    ) -> Option<(ValueKind, ValueOrigin, TextRange)> {
        let mut end = start + 1;
        while end < self.masked.len() && is_word_byte(self.byte(end)) {
            end += 1;
        }
        let name = self.text.get(start..end)?;
        let &(kind, origin) = bindings.get(name)?;
        let next = self.skip_ws(end);
        match self.byte(next) {
            b'[' => {
                let key_at = self.skip_ws(next + 1);
                let close = self.matching_close_bracket(next)?;
                let key = self
                    .lexed
                    .literal_at(key_at)
                    .filter(|l| name_literal(l, self.text))
                    .map(|l| self.slice(l.content));
                let range = TextRange::new(start, close + 1);
                match key {
                    Some(key) if is_password_name(&key.to_ascii_lowercase()) => {
                        Some((ValueKind::Password, origin, range))
                    }
                    Some(_) if kind == ValueKind::ParsedConnection => None,
                    _ => Some((kind, origin, range)),
                }
            }
            b'.' if self.byte(next + 1) != b'.' => {
                let member_start = self.skip_ws(next + 1);
                let mut member_end = member_start;
                while is_word_byte(self.byte(member_end)) {
                    member_end += 1;
                }
                let member = self.text.get(member_start..member_end)?;
                let range = TextRange::new(start, member_end);
                if is_password_name(&member.to_ascii_lowercase()) {
                    return Some((ValueKind::Password, origin, range));
                }
                match member {
                    "split" | "Split" | "split_whitespace" | "scan" | "each_slice" => {
                        Some((ValueKind::ParsedConnection, origin, range))
                    }
                    "strip" | "trim" | "Trim" | "to_s" | "toString" | "ToString" | "inspect"
                    | "chomp" | "dup" | "clone" => Some((kind, origin, range)),
                    _ => None,
                }
            }
            _ => Some((kind, origin, TextRange::new(start, end))),
        }
    }

    /// The `]` closing the `[` at `open`, on the same line.
    fn matching_close_bracket(&self, open: usize) -> Option<usize> {
        let mut depth = 0usize;
        for at in open..self.masked.len().min(open + 256) {
            match self.byte(at) {
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(at);
                    }
                }
                b'\n' => return None,
                _ => {}
            }
        }
        None
    }
}
