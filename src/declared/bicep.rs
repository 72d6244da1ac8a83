//! Bicep: `Microsoft.ServiceLinker/linkers` resources and app settings, through modules.
//!
//! A small tolerant reader of the statements that matter (`param` with its default and
//! `@secure()`, `var`, `resource` — nested ones too —, `module` with its `params`), over the
//! shared object notation of [`super::tree`]. Modules are followed: each `module` statement
//! instantiates its file with the caller's `params`, so a linker in `core/host/linker.bicep`
//! whose `clientType` is a parameter gets the value `main.bicep` passes (and the location of
//! that value). Schema: the Azure template reference for `Microsoft.ServiceLinker/linkers`
//! (`properties.clientType`, `authInfo.authType`, `authInfo.secretInfo`, `targetService.id`,
//! `configurationInfo.customizedKeys`, `scope`), `Microsoft.Web/sites` (`siteConfig.appSettings`
//! as `{ name, value }`), `Microsoft.Web/sites/config` (`appsettings` properties) and
//! `Microsoft.App/containerApps` (`template.containers[].env` as `{ name, value | secretRef }`).

use super::tree::{Node, Object, Parser, Part, Tok, tokenize};
use super::{
    Declaration, Input, Kind, Located, Locator, Setting, SettingValue, Source, auth_from_schema,
    client_from_schema, settings_in, target_from_text,
};
use crate::catalogue::Target;
use crate::text::TextRange;

/// Module instantiations followed at most per root file (a guard against cycles and explosions).
const MAX_INSTANCES: usize = 256;
const MAX_DEPTH: usize = 12;

struct Param {
    name: String,
    default: Option<Node>,
    secure: bool,
}

struct Resource {
    symbol: String,
    /// Lower case, without the API version; nested short types are made full (`…/sites/config`).
    type_name: String,
    existing: bool,
    body: Node,
    at: TextRange,
    parent: Option<usize>,
}

struct Module {
    symbol: String,
    /// Workspace-relative path of the module file, when it is a local file.
    path: Option<String>,
    body: Node,
    at: TextRange,
}

struct File<'a> {
    path: &'a str,
    locator: Locator<'a>,
    params: Vec<Param>,
    vars: Vec<(String, Node)>,
    resources: Vec<Resource>,
    modules: Vec<Module>,
}

/// One instantiation of a file: the root, or a module statement of a caller instance.
struct Instance {
    file: usize,
    caller: Option<(usize, usize)>,
}

/// Reads the Bicep files' declarations, each root file (one no module statement refers to)
/// instantiated with its module tree. With `filtered`, only the trees that hold a file which
/// could declare a connection ([`super::prefilter::template`]) are parsed and read: a linker or
/// a setting's name is written in some file of the tree it is declared in, and every value
/// comes from that tree (a module's parameters from its callers).
pub(super) fn read(inputs: &[&Input<'_>], filtered: bool) -> Vec<Declaration> {
    let files: Vec<File> = if filtered {
        parse_needed(inputs)
    } else {
        super::parallel_map(inputs, |input| parse(input))
    };
    let by_path: std::collections::HashMap<&str, usize> =
        files.iter().enumerate().map(|(i, f)| (f.path, i)).collect();
    let index_of = |path: &str| by_path.get(path).copied();
    let mut referenced = vec![false; files.len()];
    for module in files.iter().flat_map(|f| &f.modules) {
        if let Some(i) = module.path.as_deref().and_then(index_of) {
            referenced[i] = true;
        }
    }
    // Each root file (one no module statement refers to) is instantiated with its module tree,
    // breadth first, at most MAX_INSTANCES instances per root.
    let mut instances: Vec<Instance> = Vec::new();
    for root in (0..files.len()).filter(|i| !referenced[*i]) {
        let first = instances.len();
        instances.push(Instance {
            file: root,
            caller: None,
        });
        let mut depth_of: Vec<usize> = vec![0];
        let mut next = first;
        while next < instances.len() && instances.len() - first < MAX_INSTANCES {
            let file = &files[instances[next].file];
            let depth = depth_of[next - first];
            if depth < MAX_DEPTH {
                for (m, module) in file.modules.iter().enumerate() {
                    if let Some(target) = module.path.as_deref().and_then(index_of) {
                        instances.push(Instance {
                            file: target,
                            caller: Some((next, m)),
                        });
                        depth_of.push(depth + 1);
                    }
                }
            }
            next += 1;
        }
    }
    let reader = Reader {
        files: &files,
        instances: &instances,
    };
    let mut out = Vec::new();
    for instance in 0..instances.len() {
        reader.declarations(instance, &mut out);
    }
    out
}

/// The files of the module trees that hold a file with a needle, parsed (on threads), in input
/// order. A file without a needle and without the word `module` is parsed only when such a
/// tree reaches it.
fn parse_needed<'a>(inputs: &[&Input<'a>]) -> Vec<File<'a>> {
    use super::prefilter;
    let needle: Vec<bool> = inputs.iter().map(|i| prefilter::template(i.text)).collect();
    let first: Vec<usize> = (0..inputs.len())
        .filter(|&i| needle[i] || prefilter::bicep_module(inputs[i].text))
        .collect();
    let mut parsed: Vec<Option<File<'a>>> = inputs.iter().map(|_| None).collect();
    for (i, file) in first
        .iter()
        .zip(super::parallel_map(&first, |&i| parse(inputs[i])))
    {
        parsed[*i] = Some(file);
    }
    // The module graph: only parsed files can hold module statements.
    let by_path: std::collections::HashMap<&str, usize> = inputs
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path, i))
        .collect();
    let edges: Vec<Vec<usize>> = parsed
        .iter()
        .map(|file| {
            file.iter()
                .flat_map(|f| &f.modules)
                .filter_map(|m| m.path.as_deref().and_then(|p| by_path.get(p).copied()))
                .collect()
        })
        .collect();
    let mut referenced = vec![false; inputs.len()];
    for &target in edges.iter().flatten() {
        referenced[target] = true;
    }
    // Each root's tree (everything it reaches) is needed when a file in it has a needle.
    let mut needed = vec![false; inputs.len()];
    let mut seen_by = vec![usize::MAX; inputs.len()];
    for root in (0..inputs.len()).filter(|&i| !referenced[i]) {
        let mut tree = vec![root];
        seen_by[root] = root;
        let mut next = 0;
        while let Some(&file) = tree.get(next) {
            for &target in &edges[file] {
                if seen_by[target] != root {
                    seen_by[target] = root;
                    tree.push(target);
                }
            }
            next += 1;
        }
        if tree.iter().any(|&file| needle[file]) {
            for file in tree {
                needed[file] = true;
            }
        }
    }
    let rest: Vec<usize> = (0..inputs.len())
        .filter(|&i| needed[i] && parsed[i].is_none())
        .collect();
    for (i, file) in rest
        .iter()
        .zip(super::parallel_map(&rest, |&i| parse(inputs[i])))
    {
        parsed[*i] = Some(file);
    }
    parsed
        .into_iter()
        .zip(needed)
        .filter_map(|(file, needed)| file.filter(|_| needed))
        .collect()
}

fn parse<'a>(input: &Input<'a>) -> File<'a> {
    let text = input.text;
    let tokens = tokenize(text);
    let mut parser = Parser::new(text, &tokens);
    let dir = input.path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut file = File {
        path: input.path,
        locator: Locator::new(input.path, text),
        params: Vec::new(),
        vars: Vec::new(),
        resources: Vec::new(),
        modules: Vec::new(),
    };
    let mut secure_next = false;
    while let Some(token) = parser.peek() {
        match &token.tok {
            Tok::Newline => {
                parser.pos += 1;
            }
            Tok::Punct('@') => {
                parser.pos += 1;
                if matches!(parser.peek().map(|t| &t.tok), Some(Tok::Ident(d)) if *d == "secure") {
                    secure_next = true;
                }
                parser.skip_statement();
            }
            Tok::Ident(word) if *word == "param" => {
                parser.pos += 1;
                let Some(name) = identifier(&mut parser) else {
                    continue;
                };
                let mut default = None;
                while let Some(token) = parser.peek() {
                    match token.tok {
                        Tok::Punct('=') => {
                            parser.pos += 1;
                            default = Some(parser.value());
                            break;
                        }
                        Tok::Newline => break,
                        Tok::Punct('{' | '[' | '(') => {
                            parser.skip_statement();
                            break;
                        }
                        _ => parser.pos += 1,
                    }
                }
                file.params.push(Param {
                    name,
                    default,
                    secure: std::mem::take(&mut secure_next),
                });
            }
            Tok::Ident(word) if *word == "var" => {
                parser.pos += 1;
                let Some(name) = identifier(&mut parser) else {
                    continue;
                };
                if parser.at_punct('=') {
                    parser.pos += 1;
                    file.vars.push((name, parser.value()));
                } else {
                    parser.skip_statement();
                }
            }
            Tok::Ident(word) if *word == "resource" => {
                let at = token.range;
                parser.pos += 1;
                if let Some(entry) = parser.nested_resource(at) {
                    add_resource(&mut file.resources, &entry.key, entry.value, at, None);
                }
                secure_next = false;
            }
            Tok::Ident(word) if *word == "module" => {
                let at = token.range;
                parser.pos += 1;
                let Some(symbol) = identifier(&mut parser) else {
                    continue;
                };
                let path = match parser.next().map(|t| &t.tok) {
                    Some(Tok::Str(s)) => s.literal(text).and_then(|p| module_path(dir, &p)),
                    _ => {
                        parser.skip_statement();
                        continue;
                    }
                };
                if parser.at_punct('=') {
                    parser.pos += 1;
                    parser.skip_condition();
                    let body = parser.value();
                    file.modules.push(Module {
                        symbol,
                        path,
                        body: loop_body(body),
                        at,
                    });
                } else {
                    parser.skip_statement();
                }
            }
            _ => {
                secure_next = false;
                let before = parser.pos;
                parser.skip_statement();
                if parser.pos == before {
                    parser.pos += 1;
                }
            }
        }
    }
    file
}

/// The identifier after a keyword (`param name`), or `None` with the statement skipped.
fn identifier(parser: &mut Parser) -> Option<String> {
    match parser.next().map(|t| &t.tok) {
        Some(Tok::Ident(name)) => Some(name.to_string()),
        _ => {
            parser.skip_statement();
            None
        }
    }
}

/// `[for x in xs: {…}]` → the object inside.
fn loop_body(node: Node) -> Node {
    match node {
        Node::Array { mut items, .. } if items.len() == 1 => items.remove(0),
        other => other,
    }
}

/// Adds a resource (from an entry key `resource <symbol> <type>[ existing]`) and its nested ones.
fn add_resource(
    resources: &mut Vec<Resource>,
    key: &str,
    body: Node,
    at: TextRange,
    parent: Option<usize>,
) {
    let mut words = key.split(' ').skip(1);
    let symbol = words.next().unwrap_or_default().to_string();
    let declared_type = words.next().unwrap_or_default();
    let existing = words.next() == Some("existing");
    let short = declared_type
        .split('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let type_name = match parent {
        Some(p) if !short.contains('/') => format!("{}/{}", resources[p].type_name, short),
        _ => short,
    };
    let body = loop_body(body);
    let nested: Vec<(String, Node, TextRange)> = match &body {
        Node::Object(object) => object
            .entries
            .iter()
            .filter(|e| e.key.starts_with("resource "))
            .map(|e| (e.key.clone(), e.value.clone(), e.key_range))
            .collect(),
        _ => Vec::new(),
    };
    resources.push(Resource {
        symbol,
        type_name,
        existing,
        body,
        at,
        parent,
    });
    let me = resources.len() - 1;
    for (key, body, at) in nested {
        add_resource(resources, &key, body, at, Some(me));
    }
}

/// A module reference relative to the calling file; registry modules (`br:`, `ts:`) are not files.
fn module_path(dir: &str, reference: &str) -> Option<String> {
    if reference.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for segment in reference.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A node followed through parameters and variables to what it finally is.
struct Deref<'n> {
    node: &'n Node,
    instance: usize,
    /// Passed through a `@secure()` parameter.
    secure: bool,
    /// Passed through a parameter or variable at all.
    indirect: bool,
}

struct Reader<'f, 'a> {
    files: &'f [File<'a>],
    instances: &'f [Instance],
}

impl<'f, 'a> Reader<'f, 'a> {
    fn file(&self, instance: usize) -> &'f File<'a> {
        &self.files[self.instances[instance].file]
    }

    /// What an identifier names in `instance`: the argument the caller passes, the default,
    /// or a variable's value.
    fn lookup(&self, name: &str, instance: usize) -> Option<Deref<'f>> {
        let file = self.file(instance);
        if let Some(param) = file.params.iter().find(|p| p.name == name) {
            if let Some((caller, module)) = self.instances[instance].caller {
                let call = &self.file(caller).modules[module];
                if let Some(argument) = call
                    .body
                    .as_object()
                    .and_then(|b| b.get("params"))
                    .and_then(Node::as_object)
                    .and_then(|p| p.get(name))
                {
                    let mut d = self.deref(argument, caller, 0);
                    d.secure |= param.secure;
                    d.indirect = true;
                    return Some(d);
                }
            }
            let default = param.default.as_ref()?;
            let mut d = self.deref(default, instance, 0);
            d.secure |= param.secure;
            d.indirect = true;
            return Some(d);
        }
        let (_, value) = file.vars.iter().find(|(n, _)| n == name)?;
        let mut d = self.deref(value, instance, 0);
        d.indirect = true;
        Some(d)
    }

    fn deref(&self, node: &'f Node, instance: usize, depth: usize) -> Deref<'f> {
        let plain = Deref {
            node,
            instance,
            secure: false,
            indirect: false,
        };
        if depth > MAX_DEPTH {
            return plain;
        }
        if let Node::Expr { text, .. } = node
            && is_identifier(text.trim())
            && let Some(found) = self.lookup(text.trim(), instance)
        {
            return found;
        }
        // A parameter with no default and no argument, or a secure one, still says "secure".
        if let Node::Expr { text, .. } = node
            && let Some(param) = self
                .file(instance)
                .params
                .iter()
                .find(|p| p.name == text.trim())
        {
            return Deref {
                secure: param.secure,
                ..plain
            };
        }
        plain
    }

    /// A string value with where it was written; `None` when it cannot be determined.
    fn string(&self, node: &'f Node, instance: usize) -> Option<Located<String>> {
        let d = self.deref(node, instance, 0);
        let Node::Str(s) = d.node else { return None };
        let mut value = String::new();
        let mut interpolated = false;
        for part in &s.parts {
            match part {
                Part::Text(text) => value.push_str(text),
                Part::Interpolation(expr) => {
                    interpolated = true;
                    if !is_identifier(expr) {
                        return None;
                    }
                    let inner = self.lookup(expr, d.instance)?;
                    let Node::Str(inner_str) = inner.node else {
                        return None;
                    };
                    value.push_str(&inner_str.literal()?);
                }
            }
        }
        Some(Located {
            value,
            at: self.file(d.instance).locator.at(s.content),
            literal: !d.indirect && !interpolated,
        })
    }

    /// How a secret or setting value is given.
    fn setting_value(&self, node: &'f Node, instance: usize) -> SettingValue {
        let d = self.deref(node, instance, 0);
        if d.secure {
            return SettingValue::Protected;
        }
        match d.node {
            Node::Str(s) => {
                let raw: String = s
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) => t.as_str(),
                        Part::Interpolation(_) => "",
                    })
                    .collect();
                if raw.contains("@Microsoft.KeyVault(") {
                    return SettingValue::Protected;
                }
                // Interpolating a secure parameter keeps the secret out of the file.
                let secure_inside = s.parts.iter().any(|p| match p {
                    Part::Interpolation(expr) => {
                        !is_identifier(expr)
                            || self.lookup(expr, d.instance).is_none_or(|i| i.secure)
                    }
                    Part::Text(_) => false,
                });
                if secure_inside {
                    return SettingValue::Protected;
                }
                match self.string(d.node, d.instance) {
                    Some(located) => SettingValue::Literal {
                        value: located.value,
                        at: located.at,
                    },
                    None => SettingValue::Unknown,
                }
            }
            Node::Expr { text, .. } if text.contains("getSecret(") => SettingValue::Protected,
            _ => SettingValue::Unknown,
        }
    }

    /// The target a `targetService.id` points at.
    fn target(&self, node: &'f Node, instance: usize) -> Option<Located<Target>> {
        let d = self.deref(node, instance, 0);
        let file = self.file(d.instance);
        let at = file.locator.at(d.node.range());
        let found = match d.node {
            Node::Str(s) => {
                let text: String = s
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text(t) | Part::Interpolation(t) => t.as_str(),
                    })
                    .collect();
                target_from_text(&text).or_else(|| {
                    s.parts.iter().find_map(|p| match p {
                        Part::Interpolation(expr) => self.symbol_target(expr, d.instance),
                        Part::Text(_) => None,
                    })
                })
            }
            Node::Expr { text, .. } => self
                .symbol_target(text, d.instance)
                .or_else(|| target_from_text(text)),
            _ => None,
        }?;
        Some(Located {
            value: found,
            at,
            literal: false,
        })
    }

    /// `pg.id`, `db.outputs.id`: the target of the resource, or of the module's resources.
    fn symbol_target(&self, expr: &str, instance: usize) -> Option<Target> {
        let file = self.file(instance);
        let symbol = expr.split('.').next().unwrap_or_default().trim();
        if let Some(resource) = file.resources.iter().find(|r| r.symbol == symbol) {
            return target_from_text(&resource.type_name);
        }
        let module = file.modules.iter().find(|m| m.symbol == symbol)?;
        let module_file = self
            .files
            .iter()
            .find(|f| Some(f.path) == module.path.as_deref())?;
        let mut targets = module_file
            .resources
            .iter()
            .filter_map(|r| target_from_text(&r.type_name));
        let first = targets.next()?;
        targets.all(|t| t == first).then_some(first)
    }

    /// The azd service (or, failing that, the resource name) of the app a resource belongs to.
    fn app_of_resource(&self, resource: &'f Resource, instance: usize) -> Option<String> {
        if let Some(service) = self.tag_service(&resource.body, instance) {
            return Some(service);
        }
        if let Some(parent) = resource.parent {
            return self.app_of_resource(&self.file(instance).resources[parent], instance);
        }
        let name = resource.body.as_object().and_then(|b| b.get("name"));
        if resource.existing
            && let Some(Node::Expr { text, .. }) = name
            && let Some(module) = self
                .file(instance)
                .modules
                .iter()
                .find(|m| Some(m.symbol.as_str()) == text.split('.').next())
            && let Some(service) = self.tag_service(&module.body, instance)
        {
            return Some(service);
        }
        // azd's pattern: `resource web '…/sites@…' existing = { name: 'app-${resourceToken}' }`
        // beside `module web './core/host/appservice.bicep' = { params: { name:
        // 'app-${resourceToken}', tags: union(tags, { 'azd-service-name': 'web' }) } }`: the
        // module that creates a resource of the same name expression carries the tag.
        if resource.existing
            && let Some(name) = name
            && let Some(service) = self
                .file(instance)
                .modules
                .iter()
                .filter(|m| {
                    m.body
                        .as_object()
                        .and_then(|b| b.path(&["params", "name"]))
                        .is_some_and(|n| same_expression(n, name))
                })
                .find_map(|m| self.tag_service(&m.body, instance))
        {
            return Some(service);
        }
        if let Some(service) = self.instance_service(instance) {
            return Some(service);
        }
        // A child type's name is `parent/child` (`Microsoft.Web/sites/config` named
        // `shop-api/appsettings`): the app is the parent.
        let child_type = resource.type_name.matches('/').count() > 1;
        name.and_then(|n| self.string(n, instance))
            .map(|n| match n.value.split_once('/') {
                Some((parent, _)) if child_type => parent.to_string(),
                _ => n.value,
            })
            .or_else(|| Some(resource.symbol.clone()))
    }

    /// An `azd-service-name` tag (or a `serviceName` argument) anywhere in `node`.
    fn tag_service(&self, node: &'f Node, instance: usize) -> Option<String> {
        let mut found: Option<&Node> = None;
        let mut via_tags: Option<&Node> = None;
        node.walk(&mut |n| {
            if let Node::Object(object) = n {
                if found.is_none() {
                    found = object
                        .get("azd-service-name")
                        .or_else(|| object.get("serviceName"));
                }
                if via_tags.is_none() {
                    via_tags = object.get("tags");
                }
            }
        });
        if let Some(value) = found {
            return self.string(value, instance).map(|s| s.value);
        }
        // `tags: webTags` where the variable or parameter holds the tag.
        let tags = self.deref(via_tags?, instance, 0);
        if tags.indirect {
            return self.tag_service(tags.node, tags.instance);
        }
        None
    }

    /// The service the module call that created `instance` (or one above it) names.
    fn instance_service(&self, instance: usize) -> Option<String> {
        let (caller, module) = self.instances[instance].caller?;
        let call = &self.file(caller).modules[module];
        self.tag_service(&call.body, caller)
            .or_else(|| self.instance_service(caller))
    }

    fn declarations(&self, instance: usize, out: &mut Vec<Declaration>) {
        let file = self.file(instance);
        for resource in &file.resources {
            if resource
                .type_name
                .starts_with("microsoft.servicelinker/linkers")
                && !resource.existing
            {
                out.push(self.linker(resource, instance));
            }
            // A nested resource's settings are its parent's: they were read with the parent's
            // body, which holds it (one declaration per app, not the same setting twice).
            if resource.type_name.starts_with("microsoft.servicelinker/")
                || resource.parent.is_some()
            {
                continue;
            }
            if let Some(declaration) = self.settings(&resource.body, instance, || {
                self.app_of_resource(resource, instance)
            }) {
                out.push(declaration);
            }
        }
        for module in &file.modules {
            if let Some(declaration) = self.settings(&module.body, instance, || {
                self.tag_service(&module.body, instance)
                    .or_else(|| Some(module.symbol.clone()))
            }) {
                out.push(declaration);
            }
            let _ = module.at;
        }
    }

    fn linker(&self, resource: &'f Resource, instance: usize) -> Declaration {
        let file = self.file(instance);
        let body = resource.body.as_object();
        let props = body
            .and_then(|b| b.get("properties"))
            .map(|p| self.deref(p, instance, 0));
        let props_object: Option<(&Object, usize)> = props
            .as_ref()
            .and_then(|d| d.node.as_object().map(|o| (o, d.instance)));
        let mut declaration =
            Declaration::new(Source::Bicep, file.locator.at(resource.at), Kind::Linker);
        if let Some((props, i)) = props_object {
            declaration.client_type = props.get("clientType").and_then(|n| {
                let s = self.string(n, i)?;
                Some(Located {
                    value: client_from_schema(&s.value)?,
                    at: s.at,
                    literal: s.literal,
                })
            });
            declaration.auth = props.path(&["authInfo", "authType"]).and_then(|n| {
                let s = self.string(n, i)?;
                Some(Located {
                    value: auth_from_schema(&s.value)?,
                    at: s.at,
                    literal: s.literal,
                })
            });
            declaration.secret = props
                .path(&["authInfo", "secretInfo", "value"])
                .map(|n| self.setting_value(n, i));
            if let Some(kind) = props
                .path(&["authInfo", "secretInfo", "secretType"])
                .and_then(|n| self.string(n, i))
                && kind.value.to_ascii_lowercase().starts_with("keyvault")
            {
                declaration.secret = Some(SettingValue::Protected);
            }
            declaration.target = props
                .path(&["targetService", "id"])
                .and_then(|n| self.target(n, i));
            if let Some(keys) = props
                .path(&["configurationInfo", "customizedKeys"])
                .map(|n| self.deref(n, i, 0))
                && let Some(object) = keys.node.as_object()
            {
                for entry in &object.entries {
                    if let Some(to) = self.string(&entry.value, keys.instance) {
                        declaration
                            .customized_keys
                            .push((entry.key.clone(), to.value));
                    }
                }
            }
        }
        declaration.name = body
            .and_then(|b| b.get("name"))
            .and_then(|n| self.string(n, instance));
        let scope_resource = body.and_then(|b| b.get("scope")).and_then(|s| match s {
            Node::Expr { text, .. } => file.resources.iter().find(|r| r.symbol == text.trim()),
            _ => None,
        });
        declaration.app = match scope_resource {
            Some(target) => self.app_of_resource(target, instance),
            None => self.app_of_resource(resource, instance),
        };
        declaration
    }

    /// App settings in `node` that set Service-Connector-looking variables.
    fn settings(
        &self,
        node: &'f Node,
        instance: usize,
        app: impl FnOnce() -> Option<String>,
    ) -> Option<Declaration> {
        let file = self.file(instance);
        let mut settings: Vec<Setting> = Vec::new();
        objects_with_settings(node, &mut |object| {
            settings_in(
                object,
                &file.locator,
                &|value| self.setting_value(value, instance),
                &mut settings,
            );
        });
        Declaration::app_settings(Source::Bicep, settings, app())
    }
}

/// Two values written alike: the same string pieces and interpolations, or the same expression.
/// Every object in `node` that could hold app settings: not a linker nested in it, nor a
/// linker's `customizedKeys` (renames, not values).
fn objects_with_settings<'n>(node: &'n Node, visit: &mut dyn FnMut(&'n Object)) {
    match node {
        Node::Object(object) => {
            visit(object);
            for entry in &object.entries {
                let linker = entry.key.starts_with("resource ")
                    && entry.key.to_ascii_lowercase().contains("linkers");
                if !linker && !entry.key.eq_ignore_ascii_case("customizedKeys") {
                    objects_with_settings(&entry.value, visit);
                }
            }
        }
        Node::Array { items, .. } => items.iter().for_each(|i| objects_with_settings(i, visit)),
        Node::Expr { children, .. } => children
            .iter()
            .for_each(|c| objects_with_settings(c, visit)),
        Node::Str(_) => {}
    }
}

fn same_expression(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Str(a), Node::Str(b)) => a.parts == b.parts,
        (Node::Expr { text: a, .. }, Node::Expr { text: b, .. }) => a.trim() == b.trim(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{AuthType, ClientType};

    fn read_files(files: &[(&str, &str)]) -> Vec<Declaration> {
        let inputs: Vec<Input> = files
            .iter()
            .map(|(path, text)| Input { path, text })
            .collect();
        let refs: Vec<&Input> = inputs.iter().collect();
        let found = read(&refs, true);
        assert_eq!(
            found,
            read(&refs, false),
            "the prefilter keeps every declaration"
        );
        found
    }

    #[test]
    fn reads_a_top_level_linker() {
        let text = "param location string = resourceGroup().location\n\nresource web 'Microsoft.Web/sites@2022-03-01' = {\n  name: 'shop-web'\n  tags: { 'azd-service-name': 'web' }\n}\n\nresource pg 'Microsoft.DBforPostgreSQL/flexibleServers@2023-03-01-preview' existing = {\n  name: 'shop-db'\n}\n\nresource conn 'Microsoft.ServiceLinker/linkers@2022-11-01-preview' = {\n  name: 'pgconn'\n  scope: web\n  properties: {\n    clientType: 'django'\n    authInfo: {\n      authType: 'systemAssignedIdentity'\n    }\n    targetService: {\n      type: 'AzureResource'\n      id: '${pg.id}/databases/app'\n    }\n    configurationInfo: {\n      customizedKeys: {\n        AZURE_POSTGRESQL_HOST: 'DB_HOST'\n      }\n    }\n  }\n}\n";
        let declarations = read_files(&[("infra/main.bicep", text)]);
        assert_eq!(declarations.len(), 1, "{declarations:?}");
        let d = &declarations[0];
        let client = d.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::Django);
        assert_eq!(client.at.to_string(), "infra/main.bicep:16");
        assert!(client.literal);
        assert_eq!(d.auth.as_ref().unwrap().value, AuthType::SystemIdentity);
        assert_eq!(d.name.as_ref().unwrap().value, "pgconn");
        assert_eq!(d.app.as_deref(), Some("web"));
        assert_eq!(
            d.customized_keys,
            vec![("AZURE_POSTGRESQL_HOST".to_string(), "DB_HOST".to_string())]
        );
        // `'${pg.id}/…'`: the interpolated symbol's resource type.
        assert_eq!(d.target.as_ref().unwrap().value, Target::AzurePostgresql);
        assert_eq!(d.at.line, 12);
    }

    #[test]
    fn follows_module_parameters_to_the_callers_values() {
        let main = "module web './core/host/appservice.bicep' = {\n  name: 'web'\n  params: {\n    name: 'shop-web'\n    tags: union(tags, { 'azd-service-name': 'web' })\n    appSettings: {\n      AZURE_POSTGRESQL_CONNECTIONSTRING: 'postgresql://app:npg_Xyz123example@db/app'\n      AZURE_POSTGRESQL_PASSWORD: dbPassword\n    }\n  }\n}\n\nmodule link 'core/linker.bicep' = {\n  name: 'link'\n  params: {\n    appName: web.outputs.name\n    clientType: 'python'\n  }\n}\n\n@secure()\nparam dbPassword string\n";
        let linker = "param appName string\nparam clientType string\nparam authType string = 'secret'\nparam targetId string\n\nresource app 'Microsoft.Web/sites@2022-03-01' existing = {\n  name: appName\n}\n\nresource linker 'Microsoft.ServiceLinker/linkers@2022-05-01' = {\n  name: 'db'\n  scope: app\n  properties: {\n    clientType: clientType\n    authInfo: { authType: authType }\n    targetService: { type: 'AzureResource', id: targetId }\n  }\n}\n";
        let declarations = read_files(&[
            ("infra/main.bicep", main),
            ("infra/core/linker.bicep", linker),
        ]);
        let linker = declarations
            .iter()
            .find(|d| d.kind == Kind::Linker)
            .unwrap();
        let client = linker.client_type.as_ref().unwrap();
        assert_eq!(client.value, ClientType::Python);
        assert_eq!(client.at.to_string(), "infra/main.bicep:17");
        assert!(!client.literal);
        assert_eq!(
            linker.auth.as_ref().unwrap().at.to_string(),
            "infra/core/linker.bicep:3"
        );
        assert_eq!(linker.target, None, "an unresolvable parameter is unknown");
        let settings = declarations
            .iter()
            .find_map(|d| match &d.kind {
                Kind::AppSettings(s) => Some((d, s)),
                _ => None,
            })
            .unwrap();
        assert_eq!(settings.0.app.as_deref(), Some("web"));
        assert_eq!(settings.1.len(), 2);
        assert!(matches!(settings.1[0].value, SettingValue::Literal { .. }));
        assert_eq!(settings.1[1].value, SettingValue::Protected);
    }

    #[test]
    fn container_app_env_and_site_config_settings() {
        let text = "resource api 'Microsoft.App/containerApps@2023-05-01' = {\n  name: 'api'\n  tags: { 'azd-service-name': 'api' }\n  properties: {\n    template: {\n      containers: [\n        {\n          env: [\n            { name: 'NEON_POSTGRESQL_CONNECTIONSTRING', secretRef: 'db' }\n            { name: 'PORT', value: '80' }\n          ]\n        }\n      ]\n    }\n  }\n}\n";
        let declarations = read_files(&[("infra/app.bicep", text)]);
        assert_eq!(declarations.len(), 1);
        let Kind::AppSettings(settings) = &declarations[0].kind else {
            panic!("{declarations:?}")
        };
        assert_eq!(settings[0].name, "NEON_POSTGRESQL_CONNECTIONSTRING");
        assert_eq!(settings[0].value, SettingValue::Protected);
        assert_eq!(declarations[0].app.as_deref(), Some("api"));
    }

    #[test]
    fn linkers_scoped_to_existing_sites_take_the_tag_of_the_module_that_creates_them() {
        let text = "param resourceToken string\n\nmodule web './core/host/appservice.bicep' = {\n  name: 'web'\n  params: {\n    name: 'app-web-${resourceToken}'\n    tags: union(tags, { 'azd-service-name': 'web' })\n  }\n}\n\nmodule api './core/host/container-app.bicep' = {\n  name: 'api'\n  params: {\n    name: 'ca-api-${resourceToken}'\n    tags: union(tags, { 'azd-service-name': 'api' })\n  }\n}\n\nresource webSite 'Microsoft.Web/sites@2022-09-01' existing = {\n  name: 'app-web-${resourceToken}'\n}\n\nresource apiApp 'Microsoft.App/containerApps@2023-05-01' existing = {\n  name: 'ca-api-${resourceToken}'\n}\n\nresource webDb 'Microsoft.ServiceLinker/linkers@2024-04-01' = {\n  name: 'webdb'\n  scope: webSite\n  properties: { clientType: 'django' }\n}\n\nresource apiDb 'Microsoft.ServiceLinker/linkers@2024-04-01' = {\n  name: 'apidb'\n  scope: apiApp\n  properties: { clientType: 'nodejs' }\n}\n";
        let declarations = read_files(&[("infra/main.bicep", text)]);
        let apps: Vec<(&str, Option<&str>)> = declarations
            .iter()
            .map(|d| (d.name.as_ref().unwrap().value.as_str(), d.app.as_deref()))
            .collect();
        assert_eq!(apps, [("webdb", Some("web")), ("apidb", Some("api"))]);
    }
    #[test]
    fn site_config_app_settings_config_resources_and_a_neon_linker() {
        let text = "resource web 'Microsoft.Web/sites@2022-09-01' = {\n  name: 'shop-web'\n  tags: { 'azd-service-name': 'web' }\n  properties: {\n    siteConfig: {\n      appSettings: [\n        { name: 'AZURE_POSTGRESQL_HOST', value: 'db.postgres.database.azure.com' }\n        { name: 'WEBSITES_PORT', value: '8000' }\n      ]\n    }\n  }\n  resource settings 'config' = {\n    name: 'appsettings'\n    properties: {\n      AZURE_POSTGRESQL_USER: 'app'\n    }\n  }\n  resource nested 'Microsoft.ServiceLinker/linkers@2024-04-01' = {\n    name: 'nested'\n    properties: { clientType: 'python', configurationInfo: { customizedKeys: { AZURE_POSTGRESQL_NAME: 'DB_NAME' } } }\n  }\n}\n\nresource apiSettings 'Microsoft.Web/sites/config@2022-09-01' = {\n  name: 'shop-api/appsettings'\n  properties: {\n    NEON_POSTGRESQL_HOST: 'ep-x.neon.tech'\n  }\n}\n\nresource neon 'Microsoft.ServiceLinker/linkers@2024-04-01' = {\n  name: 'neondb'\n  scope: web\n  properties: {\n    clientType: 'nodejs'\n    authInfo: { authType: 'secret' }\n    targetService: { type: 'AzureResource', id: '/subscriptions/s/resourceGroups/g/providers/Neon.Postgres/organizations/o/projects/p/branches/b/databases/app' }\n  }\n}\n";
        let found = read_files(&[("infra/main.bicep", text)]);
        let settings: Vec<(Vec<&str>, Option<&str>, Option<Target>)> = found
            .iter()
            .filter_map(|d| match &d.kind {
                Kind::AppSettings(s) => Some((
                    s.iter().map(|s| s.name.as_str()).collect(),
                    d.app.as_deref(),
                    d.target.as_ref().map(|t| t.value),
                )),
                Kind::Linker => None,
            })
            .collect();
        // The site's own settings and its nested `config` resource's are one declaration; the
        // nested linker's customizedKeys are renames, not settings.
        assert_eq!(
            settings,
            [
                (
                    vec!["AZURE_POSTGRESQL_HOST", "AZURE_POSTGRESQL_USER"],
                    Some("web"),
                    Some(Target::AzurePostgresql)
                ),
                (
                    vec!["NEON_POSTGRESQL_HOST"],
                    Some("shop-api"),
                    Some(Target::Neon)
                ),
            ],
            "{found:?}"
        );
        let nested = found
            .iter()
            .find(|d| d.name.as_ref().is_some_and(|n| n.value == "nested"))
            .unwrap();
        assert_eq!(nested.app.as_deref(), Some("web"));
        assert_eq!(
            nested.customized_keys,
            [("AZURE_POSTGRESQL_NAME".to_string(), "DB_NAME".to_string())]
        );
        let linker = found
            .iter()
            .find(|d| d.name.as_ref().is_some_and(|n| n.value == "neondb"))
            .unwrap();
        assert_eq!(linker.target.as_ref().unwrap().value, Target::Neon);
        assert_eq!(linker.auth.as_ref().unwrap().value, AuthType::Secret);
        assert_eq!(linker.app.as_deref(), Some("web"));
    }
}
