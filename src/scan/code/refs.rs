//! Environment-variable reads per language: the call, subscript and member forms, the
//! module and environment aliases they go through, and JavaScript destructuring.

use super::*;

impl Code<'_> {
    /// The name literal right after an opening bracket, and what follows it.
    fn name_argument(&self, after_open: usize) -> Option<(&Literal, u8)> {
        let at = self.skip_ws(after_open);
        let literal = self.lexed.literal_at(at)?;
        if !name_literal(literal, self.text) {
            return None;
        }
        let next = self.byte(self.skip_ws(literal.range.end));
        Some((literal, next))
    }

    /// Whether the expression ending at `end` is followed by a fallback operator.
    fn followed_by_fallback(&self, end: usize) -> bool {
        let at = self.skip_ws(end);
        let rest = self.masked.get(at..).unwrap_or(&[]);
        match self.language {
            Language::Python => {
                rest.starts_with(b"or") && !rest.get(2).is_some_and(|b| is_word_byte(*b))
            }
            Language::JavaScript => rest.starts_with(b"||") || rest.starts_with(b"??"),
            Language::CSharp => rest.starts_with(b"??"),
            Language::Kotlin => rest.starts_with(b"?:"),
            Language::Php => rest.starts_with(b"??") || rest.starts_with(b"?:"),
            Language::Ruby => rest.starts_with(b"||"),
            _ => false,
        }
    }

    /// Builds the ref for `call(<name literal>…)` or `subscript[<name literal>]` whose
    /// opening bracket is at `open`.
    fn bracketed_ref(
        &self,
        start: usize,
        open: usize,
        form: RefForm,
        comma_means_default: bool,
    ) -> Option<EnvRef> {
        let (literal, next) = self.name_argument(open + 1)?;
        let close_byte = if self.byte(open) == b'[' { b']' } else { b')' };
        if next != close_byte && !(next == b',' && close_byte == b')') {
            return None;
        }
        let end = self
            .matching_close(open)
            .map_or(literal.range.end, |close| close + 1);
        let mut has_default = comma_means_default && next == b',';
        // Ruby `ENV.fetch("X") { … }` / `do … end` blocks compute the default.
        if self.language == Language::Ruby && form == RefForm::RubyEnvFetch {
            let after = self.skip_ws(end);
            has_default |= self.byte(after) == b'{'
                || self
                    .masked
                    .get(after..)
                    .is_some_and(|r| r.starts_with(b"do"));
        }
        has_default |= self.followed_by_fallback(end);
        Some(self.env_ref(
            literal.content,
            TextRange::new(start, end),
            form,
            has_default,
        ))
    }

    pub(super) fn env_ref(
        &self,
        name_range: TextRange,
        expr_range: TextRange,
        form: RefForm,
        has_default: bool,
    ) -> EnvRef {
        EnvRef {
            name: self.slice(name_range).to_owned(),
            name_range,
            expr_range,
            form,
            has_default,
            platform_path: false,
        }
    }

    /// Go and C#: a single call form whose first argument is the name.
    pub(super) fn simple_refs(
        &self,
        scan: &mut Scan,
        regex: &Regex,
        form_of: impl Fn(&[u8]) -> (RefForm, bool),
    ) {
        for found in regex.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let (mut form, default) = form_of(found.as_bytes());
            if self.language == Language::Go
                && found.as_bytes().windows(9).any(|w| w == b"LookupEnv")
            {
                form = RefForm::GoLookupEnv;
            }
            if let Some(env_ref) = self.bracketed_ref(found.start(), found.end() - 1, form, default)
            {
                scan.env_refs.push(env_ref);
            }
        }
    }

    pub(super) fn python_refs(&self, scan: &mut Scan) {
        let aliases = self.python_aliases();
        let dynamic;
        let regex: &Regex = if aliases.is_default() {
            &PYTHON_DEFAULT
        } else {
            dynamic = built_in(&python_pattern(
                &aliases.modules,
                &aliases.environs,
                &aliases.getenvs,
            ));
            &dynamic
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            if !self.token_starts_at(whole.start()) {
                continue;
            }
            let open = whole.end() - 1;
            let env_ref = if captures.name("subscript").is_some() {
                self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironSubscript, false)
            } else if let Some(method) = captures.name("method") {
                if method.as_bytes() == b"get" {
                    self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironGet, true)
                } else {
                    self.bracketed_ref(whole.start(), open, RefForm::PythonEnvironSetdefault, true)
                }
            } else {
                self.bracketed_ref(whole.start(), open, RefForm::PythonGetenv, true)
            };
            scan.env_refs.extend(env_ref);
        }
    }

    fn python_aliases(&self) -> PythonAliases {
        let mut aliases = PythonAliases {
            modules: vec!["os".into()],
            environs: Vec::new(),
            getenvs: Vec::new(),
        };
        if memchr::memmem::find(self.masked, b"import").is_none()
            && memchr::memmem::find(self.masked, b"environ").is_none()
        {
            return aliases;
        }
        for captures in PYTHON_IMPORT_OS_AS.captures_iter(self.masked) {
            if let Some(alias) = captures.get(1) {
                aliases
                    .modules
                    .push(String::from_utf8_lossy(alias.as_bytes()).into_owned());
            }
        }
        for captures in PYTHON_FROM_OS_IMPORT.captures_iter(self.masked) {
            let Some(names) = captures.get(1) else {
                continue;
            };
            for item in names.as_bytes().split(|b| *b == b',') {
                let words: Vec<&[u8]> = item
                    .split(|b| b.is_ascii_whitespace() || *b == b'(' || *b == b')' || *b == b'\\')
                    .filter(|w| !w.is_empty())
                    .collect();
                let (imported, local) = match words.as_slice() {
                    [name] => (*name, *name),
                    [name, as_keyword, alias] if *as_keyword == b"as" => (*name, *alias),
                    _ => continue,
                };
                let local = String::from_utf8_lossy(local).into_owned();
                match imported {
                    b"environ" => aliases.environs.push(local),
                    b"getenv" => aliases.getenvs.push(local),
                    _ => {}
                }
            }
        }
        // `env = os.environ` (module-level or local): later `env["X"]` reads the environment.
        for captures in PYTHON_ENVIRON_ALIAS.captures_iter(self.masked) {
            let (Some(local), module) = (captures.get(1), captures.get(2)) else {
                continue;
            };
            let via_module = module
                .is_some_and(|m| aliases.modules.iter().any(|n| n.as_bytes() == m.as_bytes()));
            let via_import = module.is_none() && aliases.environs.iter().any(|n| n == "environ");
            if via_module || via_import {
                aliases
                    .environs
                    .push(String::from_utf8_lossy(local.as_bytes()).into_owned());
            }
        }
        aliases.environs.sort();
        aliases.environs.dedup();
        aliases
    }

    pub(super) fn javascript_refs(
        &self,
        scan: &mut Scan,
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        let aliases = self.javascript_aliases();
        let dynamic;
        let regex: &Regex = if aliases.is_empty() {
            &JS_DEFAULT
        } else {
            dynamic = built_in(&javascript_pattern(&aliases));
            &dynamic
        };
        for captures in regex.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            if !self.token_starts_at(whole.start()) {
                continue;
            }
            let env_ref = if let Some(member) = captures.name("member") {
                // `process.env.hasOwnProperty("X")` calls a method; it reads no variable.
                if self.byte(self.skip_ws(member.end())) == b'(' {
                    continue;
                }
                let range = TextRange::new(member.start(), member.end());
                let has_default = self.followed_by_fallback(member.end());
                Some(self.env_ref(
                    range,
                    TextRange::new(whole.start(), member.end()),
                    RefForm::JsEnvMember,
                    has_default,
                ))
            } else if captures.name("subscript").is_some() {
                self.bracketed_ref(
                    whole.start(),
                    whole.end() - 1,
                    RefForm::JsEnvSubscript,
                    false,
                )
            } else {
                self.bracketed_ref(whole.start(), whole.end() - 1, RefForm::DenoEnvGet, false)
            };
            scan.env_refs.extend(env_ref);
        }
        self.javascript_destructuring(scan, &aliases, destructured_locals);
    }

    /// Names bound to the env object: `const env = process.env`, `const { env } = process`,
    /// `import { env } from "node:process"`.
    fn javascript_aliases(&self) -> Vec<String> {
        let mut aliases = Vec::new();
        for captures in JS_ENV_ALIAS.captures_iter(self.masked) {
            let (Some(whole), Some(name)) = (captures.get(0), captures.get(1)) else {
                continue;
            };
            if matches!(
                self.byte(self.skip_ws(whole.end())),
                b'.' | b'[' | b'?' | b'('
            ) {
                continue;
            }
            aliases.push(String::from_utf8_lossy(name.as_bytes()).into_owned());
        }
        for captures in JS_PROCESS_DESTRUCTURE_ENV.captures_iter(self.masked) {
            let name = captures.get(1).map_or("env".to_owned(), |m| {
                String::from_utf8_lossy(m.as_bytes()).into_owned()
            });
            aliases.push(name);
        }
        for captures in JS_IMPORT_ENV.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let from = self.lexed.literal_at(self.skip_ws(whole.end()));
            let is_process =
                from.is_some_and(|l| matches!(self.slice(l.content), "process" | "node:process"));
            if is_process {
                let name = captures.get(1).map_or("env".to_owned(), |m| {
                    String::from_utf8_lossy(m.as_bytes()).into_owned()
                });
                aliases.push(name);
            }
        }
        aliases.retain(|a| {
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        });
        aliases.sort();
        aliases.dedup();
        aliases
    }

    /// `const { X, Y: alias, Z = "d", "A-B": c } = process.env` (or an alias of it).
    fn javascript_destructuring(
        &self,
        scan: &mut Scan,
        aliases: &[String],
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        for found in JS_DESTRUCTURING_START.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let open = found.end() - 1;
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            // Optional TypeScript annotation, then `=` and the env object.
            let mut at = self.skip_ws(close + 1);
            if self.byte(at) == b':' {
                while at < self.masked.len() && !matches!(self.byte(at), b'=' | b';' | b'\n') {
                    at += 1;
                }
            }
            if self.byte(at) != b'=' || self.byte(at + 1) == b'=' {
                continue;
            }
            let source_start = self.skip_ws(at + 1);
            let rest = self.masked.get(source_start..).unwrap_or(&[]);
            let source_len = JS_ENV_OBJECT
                .find(rest)
                .filter(|m| m.start() == 0)
                .map(|m| m.end())
                .or_else(|| {
                    aliases
                        .iter()
                        .find(|a| {
                            rest.starts_with(a.as_bytes())
                                && !rest
                                    .get(a.len())
                                    .is_some_and(|b| is_word_byte(*b) || *b == b'$')
                        })
                        .map(|a| a.len())
                });
            let Some(source_len) = source_len else {
                continue;
            };
            if matches!(
                self.byte(self.skip_ws(source_start + source_len)),
                b'.' | b'[' | b'('
            ) {
                continue;
            }
            self.destructured_entries(scan, open + 1, close, destructured_locals);
        }
    }

    fn destructured_entries(
        &self,
        scan: &mut Scan,
        from: usize,
        to: usize,
        destructured_locals: &mut Vec<(String, TextRange, usize)>,
    ) {
        let mut entry_start = from;
        let mut depth = 0usize;
        for offset in from..=to {
            let b = self.byte(offset);
            match b {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' if depth > 0 => depth -= 1,
                _ => {}
            }
            if (b == b',' && depth == 0) || offset == to {
                if let Some((env_ref, local, local_range)) =
                    self.destructured_entry(entry_start, offset)
                {
                    scan.env_refs.push(env_ref);
                    destructured_locals.push((local, local_range, scan.env_refs.len() - 1));
                }
                entry_start = offset + 1;
            }
        }
    }

    fn destructured_entry(&self, start: usize, end: usize) -> Option<(EnvRef, String, TextRange)> {
        let start = self.skip_ws(start);
        let end = self.skip_ws_back(end).max(start);
        if start >= end || self.masked.get(start..end)?.starts_with(b"...") {
            return None;
        }
        // The key: an identifier or a quoted name.
        let (name_range, after_key) = if let Some(literal) = self.lexed.literal_at(start) {
            if !name_literal(literal, self.text) {
                return None;
            }
            (literal.content, literal.range.end)
        } else {
            let key_end = self.word_end(start);
            if key_end == start {
                return None;
            }
            (TextRange::new(start, key_end), key_end)
        };
        let mut at = self.skip_ws(after_key);
        let mut local_range = name_range;
        if self.byte(at) == b':' {
            let target = self.skip_ws(at + 1);
            let target_end = self.word_end(target);
            if target_end == target {
                return None; // nested pattern: `{ X: { y } }`
            }
            local_range = TextRange::new(target, target_end);
            at = self.skip_ws(target_end);
        }
        let has_default = self.byte(at) == b'=';
        let env_ref = self.env_ref(
            name_range,
            TextRange::new(start, end),
            RefForm::JsEnvDestructuring,
            has_default,
        );
        Some((env_ref, self.slice(local_range).to_owned(), local_range))
    }

    fn word_end(&self, mut offset: usize) -> usize {
        while is_word_byte(self.byte(offset)) || self.byte(offset) == b'$' {
            offset += 1;
        }
        offset
    }

    pub(super) fn java_refs(&self, scan: &mut Scan) {
        for found in JAVA_GETENV.find_iter(self.masked) {
            if !self.token_starts_at(found.start()) {
                continue;
            }
            let open = found.end() - 1;
            if let Some(env_ref) =
                self.bracketed_ref(found.start(), open, RefForm::JavaGetenv, false)
            {
                scan.env_refs.push(env_ref);
                continue;
            }
            // `System.getenv()["X"]`, `System.getenv().get("X")`, `.getOrDefault("X", d)`.
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            if self.skip_ws(open + 1) != close {
                continue;
            }
            let rest = self.masked.get(close + 1..).unwrap_or(&[]);
            let Some(access) = JAVA_MAP_ACCESS.captures(rest) else {
                continue;
            };
            let Some(access_whole) = access.get(0) else {
                continue;
            };
            let map_open = close + 1 + access_whole.end() - 1;
            let default = access
                .name("method")
                .is_some_and(|m| m.as_bytes() == b"getOrDefault");
            scan.env_refs.extend(self.bracketed_ref(
                found.start(),
                map_open,
                RefForm::JavaGetenvMap,
                default,
            ));
        }
    }

    pub(super) fn php_refs(&self, scan: &mut Scan) {
        for captures in PHP_REFS.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let start = whole.start();
            if !self.token_starts_at(start) {
                continue;
            }
            let open = whole.end() - 1;
            let (form, default) = if captures.name("getenv").is_some() {
                (RefForm::PhpGetenv, false)
            } else if captures.name("laravel").is_some() {
                let before = self.masked.get(..self.skip_ws_back(start)).unwrap_or(&[]);
                if before.ends_with(b"function") {
                    continue;
                }
                (RefForm::PhpLaravelEnv, true)
            } else if captures.name("server").is_some() {
                (RefForm::PhpServerSuperglobal, false)
            } else {
                (RefForm::PhpEnvSuperglobal, false)
            };
            scan.env_refs
                .extend(self.bracketed_ref(start, open, form, default));
        }
    }

    pub(super) fn ruby_refs(&self, scan: &mut Scan) {
        for captures in RUBY_REFS.captures_iter(self.masked) {
            let Some(whole) = captures.get(0) else {
                continue;
            };
            let start = whole.start();
            if !self.token_starts_at(start) {
                continue;
            }
            if captures.name("subscript").is_some() {
                scan.env_refs.extend(self.bracketed_ref(
                    start,
                    whole.end() - 1,
                    RefForm::RubyEnvSubscript,
                    false,
                ));
            } else if captures.name("paren").is_some() {
                scan.env_refs.extend(self.bracketed_ref(
                    start,
                    whole.end() - 1,
                    RefForm::RubyEnvFetch,
                    true,
                ));
            } else {
                // `ENV.fetch "X", "d"` without parentheses.
                let Some((literal, next)) = self.name_argument(whole.end()) else {
                    continue;
                };
                let end = literal.range.end;
                let has_default = next == b',' || self.byte(self.skip_ws(end)) == b'{';
                scan.env_refs.push(self.env_ref(
                    literal.content,
                    TextRange::new(start, end),
                    RefForm::RubyEnvFetch,
                    has_default,
                ));
            }
        }
    }
}

struct PythonAliases {
    modules: Vec<String>,
    environs: Vec<String>,
    getenvs: Vec<String>,
}

impl PythonAliases {
    fn is_default(&self) -> bool {
        self.modules.len() == 1 && self.environs.is_empty() && self.getenvs.is_empty()
    }
}

fn alternation(names: &[String]) -> String {
    names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|")
}

fn python_pattern(modules: &[String], environs: &[String], getenvs: &[String]) -> String {
    let modules = alternation(modules);
    let mut environ = format!(r"\b(?:{modules})\s*\.\s*environ");
    if !environs.is_empty() {
        environ = format!(r"(?:{environ}|\b(?:{}))", alternation(environs));
    }
    let mut getenv = format!(r"\b(?:{modules})\s*\.\s*getenv");
    if !getenvs.is_empty() {
        getenv = format!(r"(?:{getenv}|\b(?:{}))", alternation(getenvs));
    }
    format!(
        r"{environ}\s*(?:(?P<subscript>\[)|\.\s*(?P<method>get|setdefault)\s*\()|{getenv}\s*(?P<call>\()"
    )
}

fn javascript_pattern(aliases: &[String]) -> String {
    let mut receivers =
        r"\bprocess\s*\.\s*env|\bimport\s*\.\s*meta\s*\.\s*env|\bBun\s*\.\s*env".to_owned();
    if !aliases.is_empty() {
        receivers.push_str(&format!(r"|\b(?:{})", alternation(aliases)));
    }
    format!(
        r"(?:{receivers})\s*(?:\??\.\s*(?P<member>[A-Za-z_$][A-Za-z0-9_$]*)|(?:\?\.\s*)?(?P<subscript>\[))|\bDeno\s*\.\s*env\s*\.\s*get\s*(?P<deno>\()"
    )
}

static PYTHON_DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| built_in(&python_pattern(&["os".to_owned()], &[], &[])));

static JS_DEFAULT: LazyLock<Regex> = LazyLock::new(|| built_in(&javascript_pattern(&[])));

static_regex!(PYTHON_IMPORT_OS_AS, r"\bimport\s+os\s+as\s+([A-Za-z_]\w*)");

static_regex!(
    PYTHON_FROM_OS_IMPORT,
    r"\bfrom[ \t]+os[ \t]+import[ \t]+(\([^)]*\)|[^\n;]*)"
);

static_regex!(
    PYTHON_ENVIRON_ALIAS,
    r"(?m)^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*(?:([A-Za-z_]\w*)[ \t]*\.[ \t]*)?environ[ \t]*\r?$"
);

static_regex!(
    JS_ENV_ALIAS,
    r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[^=;\n]+)?=\s*(?:process\s*\.\s*env|import\s*\.\s*meta\s*\.\s*env|Bun\s*\.\s*env)\b"
);

static_regex!(
    JS_PROCESS_DESTRUCTURE_ENV,
    r"\b(?:const|let|var)\s*\{\s*env\s*(?::\s*([A-Za-z_$][\w$]*)\s*)?\}\s*=\s*process\b"
);

static_regex!(
    JS_IMPORT_ENV,
    r"\bimport\s*\{\s*env(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\}\s*from"
);

static_regex!(JS_DESTRUCTURING_START, r"\b(?:const|let|var)\s*\{");

static_regex!(
    JS_ENV_OBJECT,
    r"^(?:process\s*\.\s*env|import\s*\.\s*meta\s*\.\s*env|Bun\s*\.\s*env)\b"
);

static_regex!(
    pub(super) GO_REFS,
    r"\b(?:os|syscall)\s*\.\s*(?:Getenv|LookupEnv)\s*\("
);

static_regex!(
    pub(super) CSHARP_REFS,
    r"\b(?:System\s*\.\s*)?Environment\s*\.\s*GetEnvironmentVariable\s*\("
);

static_regex!(
    JAVA_GETENV,
    r"\b(?:java\s*\.\s*lang\s*\.\s*)?System\s*\.\s*getenv\s*\("
);

static_regex!(
    JAVA_MAP_ACCESS,
    r"^\s*(?:\[|\.\s*(?P<method>get|getOrDefault)\s*\()"
);

static_regex!(
    PHP_REFS,
    r"\\?\b(?P<getenv>getenv)\s*\(|\$_(?P<env>ENV)\s*\[|\$_(?P<server>SERVER)\s*\[|\\?\b(?P<laravel>env)\s*\("
);

static_regex!(
    RUBY_REFS,
    r"\bENV\s*(?:(?P<subscript>\[)|\.\s*fetch\s*(?:(?P<paren>\()|[ \t]+))"
);

#[cfg(test)]
pub(super) fn regexes() -> Vec<&'static Regex> {
    vec![
        &*PYTHON_DEFAULT,
        &*JS_DEFAULT,
        &*PYTHON_IMPORT_OS_AS,
        &*PYTHON_FROM_OS_IMPORT,
        &*PYTHON_ENVIRON_ALIAS,
        &*JS_ENV_ALIAS,
        &*JS_PROCESS_DESTRUCTURE_ENV,
        &*JS_IMPORT_ENV,
        &*JS_DESTRUCTURING_START,
        &*JS_ENV_OBJECT,
        &*GO_REFS,
        &*CSHARP_REFS,
        &*JAVA_GETENV,
        &*JAVA_MAP_ACCESS,
        &*PHP_REFS,
        &*RUBY_REFS,
    ]
}
