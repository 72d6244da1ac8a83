//! Entra token scopes and resources: arguments of token calls, scope keys and their values,
//! the exact PostgreSQL scope anywhere.

use super::*;

impl Code<'_> {
    /// Literals passed to token-acquiring calls: `get_token("…")`, `GetTokenAsync(new
    /// TokenRequestContext(new[] { "…" }))`, `acquire_token_for_client(scopes=["…"])`.
    pub(super) fn token_scope_calls(&self, scan: &mut Scan) {
        for found in TOKEN_CALL.find_iter(self.masked) {
            let open = found.end() - 1;
            let Some(close) = self.matching_close(open) else {
                continue;
            };
            let first = self
                .lexed
                .literals
                .partition_point(|l| l.range.start <= open);
            for literal in self.lexed.literals[first..]
                .iter()
                .take_while(|l| l.range.start < close)
            {
                if literal.kind != LiteralKind::String {
                    continue;
                }
                // `tenant_id="…"` / `tenantId: "…"` name another argument.
                let before = self.skip_ws_back(literal.range.start);
                if before > 0 && matches!(self.byte(before - 1), b'=' | b':' | b'>') {
                    let key_end = self.skip_ws_back(before - 1);
                    let key = self.slice(TextRange::new(
                        self.name_start_before_chain(key_end),
                        key_end,
                    ));
                    if !is_scope_key(key) {
                        continue;
                    }
                }
                crate::scan::push_token_scope(
                    scan,
                    self.text,
                    literal.range,
                    literal.content,
                    ScopeContext::Scope,
                );
            }
        }
    }

    /// The exact PostgreSQL scope anywhere in a string literal (`const TOKEN_SCOPE = "…"`, passed
    /// to `getToken` by name): too specific to mean anything else, and the strongest sign that
    /// the code authenticates with Entra (auth inference reads it).
    pub(super) fn exact_scope_literals(&self, scan: &mut Scan) {
        for literal in &self.lexed.literals {
            if literal.kind == LiteralKind::String
                && self.slice(literal.content) == crate::catalogue::TOKEN_SCOPE
            {
                crate::scan::push_token_scope(
                    scan,
                    self.text,
                    literal.range,
                    literal.content,
                    ScopeContext::Scope,
                );
            }
        }
    }

    /// Values of `scopes`, `scope` and `resource` keys, attributes and assignments, with the key
    /// written as a name (`scopes=[…]`, `Scopes = new[] {…}`, `Scopes: []string{…}`) or as a
    /// string (`{"scope": "…"}`, `'resource' => '…'`, `form.Set("scope", "…")`).
    pub(super) fn token_scope_keys(&self, scan: &mut Scan) {
        for captures in SCOPE_KEY.captures_iter(self.masked) {
            let (Some(whole), Some(key)) = (captures.get(0), captures.get(1)) else {
                continue;
            };
            if !self.token_starts_at(key.start()) || self.byte(whole.end()) == b'=' {
                continue;
            }
            let context = scope_context(self.slice(TextRange::new(key.start(), key.end())));
            self.scope_values(scan, whole.end(), context);
        }
        for literal in &self.lexed.literals {
            if literal.content.len() > 8 || !is_scope_key(self.slice(literal.content)) {
                continue;
            }
            let after = self.skip_ws(literal.range.end);
            let rest = self.masked.get(after..).unwrap_or(&[]);
            let separator_len = if rest.starts_with(b"=>") {
                2
            } else if rest.first() == Some(&b':')
                || (rest.first() == Some(&b'=') && rest.get(1) != Some(&b'='))
            {
                1
            } else if rest.first() == Some(&b',') && self.is_first_argument(literal.range.start) {
                // `form.Set("scope", "…")`, `params.put("resource", "…")`.
                1
            } else {
                continue;
            };
            let context = scope_context(self.slice(literal.content));
            self.scope_values(scan, after + separator_len, context);
        }
    }

    fn is_first_argument(&self, literal_start: usize) -> bool {
        let before = self.skip_ws_back(literal_start);
        before > 0 && self.byte(before - 1) == b'('
    }

    /// The literal value of a scope key, or the literals of a collection value. Keys are a
    /// weak signal (`scope` means many things), so only values shaped like an Entra scope or
    /// resource URI are kept.
    fn scope_values(&self, scan: &mut Scan, from: usize, context: ScopeContext) {
        let at = self.skip_ws(from);
        let mut push = |literal: &Literal| {
            if literal.kind == LiteralKind::String && looks_like_scope(self.slice(literal.content))
            {
                crate::scan::push_token_scope(
                    scan,
                    self.text,
                    literal.range,
                    literal.content,
                    context,
                );
            }
        };
        if let Some(literal) = self.lexed.literal_at(at) {
            push(literal);
            return;
        }
        // A collection: `[…]`, `{…}`, `new[] {…}`, `[]string{…}`, `listOf(…)`, `List.of(…)`.
        let mut open = at;
        let limit = (at + 32).min(self.masked.len());
        while open < limit {
            match self.byte(open) {
                b'[' if self.byte(open + 1) == b']' => open += 2,
                b'(' | b'[' | b'{' => break,
                b if is_word_byte(b) || matches!(b, b' ' | b'\t' | b'.' | b'<' | b'>') => open += 1,
                _ => return,
            }
        }
        let constructor: String = self
            .slice(TextRange::new(at, open.min(limit)))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if open >= limit || !COLLECTION_CONSTRUCTORS.contains(&constructor.as_str()) {
            return;
        }
        let Some(close) = self.matching_close(open) else {
            return;
        };
        let first = self
            .lexed
            .literals
            .partition_point(|l| l.range.start <= open);
        for literal in self.lexed.literals[first..]
            .iter()
            .take_while(|l| l.range.start < close)
        {
            push(literal);
        }
    }
}

/// What may stand between a scope key and the bracket of its collection value.
const COLLECTION_CONSTRUCTORS: &[&str] = &[
    "",
    "new[]",
    "newstring[]",
    "newString[]",
    "[]string",
    "listOf",
    "arrayOf",
    "setOf",
    "mutableListOf",
    "List.of",
    "Set.of",
    "Arrays.asList",
    "array",
    "newList<string>",
    "newList<String>",
    "newArrayList<>",
];

/// An Entra scope or resource: an absolute URI (possibly percent-encoded) or a `.default` scope.
pub(crate) fn looks_like_scope(content: &str) -> bool {
    let lower = content.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("api://")
        || lower.starts_with("https%3a%2f%2f")
        || lower.ends_with("/.default")
}

pub(crate) fn is_scope_key(key: &str) -> bool {
    ["scope", "scopes", "resource"]
        .iter()
        .any(|k| key.eq_ignore_ascii_case(k))
}

pub(crate) fn scope_context(key: &str) -> ScopeContext {
    if key.eq_ignore_ascii_case("resource") {
        ScopeContext::Resource
    } else {
        ScopeContext::Scope
    }
}

static_regex!(
    TOKEN_CALL,
    r"\b(?:get_token|get_token_info|getToken|getTokenSync|GetToken|GetTokenAsync|TokenRequestContext|acquire_token\w*|acquireToken\w*|AcquireToken\w*|addScopes|setScopes|WithScopes)\s*\("
);

static_regex!(
    SCOPE_KEY,
    r"\b(scopes?|Scopes?|SCOPES?|resource|Resource)\s*(?::|=>|=)"
);

#[cfg(test)]
pub(super) fn regexes() -> Vec<&'static Regex> {
    vec![&*TOKEN_CALL, &*SCOPE_KEY]
}
