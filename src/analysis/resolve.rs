//! Which connection a read belongs to: neon-lsp.toml tables, deployed and declared linkers,
//! app settings, else the nearest manifest or the language; and the connection built for it.

use super::{Connection, Context, DEFAULT_ENV_FILES, is_within};
use crate::catalogue::{self, AuthType, ClientType, Target, Variable};
use crate::declared::{self, Kind as DeclaredKind};
use crate::infer::{self, Reason, Resolved};
use crate::scan::Language;

/// Where a connection of an inferred kind lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ConnectionKey {
    pub(super) target: Target,
    pub(super) name: Option<String>,
    pub(super) config_index: Option<usize>,
    /// For inferred connections: the folder of the manifest that gave the client type.
    pub(super) scope: String,
    pub(super) client: Option<ClientType>,
    /// The declared linker (index into `Context::declarations`) that applies.
    pub(super) declared: Option<usize>,
    /// The deployed linker (app, linker in `Options::deployed`) that applies.
    pub(super) deployed: Option<(usize, usize)>,
    /// App settings that set the variables with no linker behind them.
    pub(super) app_settings: Option<usize>,
}

impl<'a> Context<'a> {
    /// Which connection a variable of `target`/`name` read from folder `dir` belongs to.
    pub(crate) fn connection_key(
        &self,
        target: Target,
        name: Option<String>,
        dir: &str,
        language: Option<Language>,
        manifests: &[(&str, ClientType, String)],
    ) -> (ConnectionKey, Option<Resolved<ClientType>>) {
        let configured = self
            .config
            .connections
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.target.or(self.options.target).is_none_or(|t| t == target) && c.name == name
            })
            .filter_map(|(i, c)| {
                let depth = if c.paths.is_empty() {
                    Some(0)
                } else {
                    c.paths
                        .iter()
                        .filter(|p| is_within(dir, p) || is_within(p, dir))
                        .map(|p| p.len() + 1)
                        .max()
                };
                depth.map(|d| (i, d))
            })
            .max_by_key(|(_, depth)| *depth)
            .map(|(i, _)| i);
        let inferred = infer_client(dir, language, manifests);
        let scope = match (&configured, &inferred) {
            (Some(_), _) => String::new(),
            (None, Some((_, manifest_dir))) => manifest_dir.clone(),
            (None, None) => String::new(),
        };
        let declared = self.declared_linker(target, name.as_deref(), dir);
        let app_settings = match declared {
            Some(_) => None,
            None => self.declared_app_settings(target, dir),
        };
        let declared_client = declared
            .and_then(|d| self.declarations[d].client_type.as_ref())
            .map(|client| Resolved {
                value: client.value,
                reason: Reason::Declared(client.at.clone()),
            });
        let deployed = self.deployed_linker(target, name.as_deref(), dir);
        let deployed_client = deployed.and_then(|(a, l)| {
            let app = &self.options.deployed[a];
            let linker = &app.linkers[l];
            linker.client_type.map(|value| Resolved {
                value,
                reason: Reason::Deployed {
                    connection: linker.name.clone(),
                    app: app.resource.name.clone(),
                },
            })
        });
        let client = if let Some(client) = self.options.client_type {
            Some(Resolved {
                value: client,
                reason: self.options.source.reason(),
            })
        } else if let Some(client) = configured.and_then(|i| self.config.connections[i].client_type)
        {
            Some(Resolved {
                value: client,
                reason: Reason::Config,
            })
        } else if deployed_client.is_some() {
            deployed_client
        } else if declared_client.is_some() {
            declared_client
        } else if app_settings.is_some() {
            None
        } else {
            inferred.map(|(resolved, _)| resolved)
        };
        let key = ConnectionKey {
            target,
            name,
            config_index: configured,
            scope,
            client: client.as_ref().map(|c| c.value),
            declared,
            deployed,
            app_settings,
        };
        (key, client)
    }

    pub(crate) fn make_connection(
        &self,
        key: &ConnectionKey,
        client: Option<Resolved<ClientType>>,
    ) -> Connection {
        let table = key.config_index.map(|i| &self.config.connections[i]);
        let auth = if key.target == Target::Neon {
            Resolved {
                value: AuthType::Secret,
                reason: Reason::Default,
            }
        } else if let Some(auth) = self.options.auth {
            Resolved {
                value: auth,
                reason: self.options.source.reason(),
            }
        } else if let Some(auth) = table.and_then(|t| t.auth) {
            Resolved {
                value: auth,
                reason: Reason::Config,
            }
        } else if let Some((auth, reason)) = key.deployed.and_then(|(a, l)| {
            let app = &self.options.deployed[a];
            let linker = &app.linkers[l];
            linker
                .auth
                .filter(|auth| key.target.auth_types().contains(auth))
                .map(|auth| {
                    (
                        auth,
                        Reason::Deployed {
                            connection: linker.name.clone(),
                            app: app.resource.name.clone(),
                        },
                    )
                })
        }) {
            Resolved {
                value: auth,
                reason,
            }
        } else if let Some(auth) = key
            .declared
            .and_then(|d| self.declarations[d].auth.as_ref())
            .filter(|auth| key.target.auth_types().contains(&auth.value))
        {
            Resolved {
                value: auth.value,
                reason: Reason::Declared(auth.at.clone()),
            }
        } else {
            Resolved {
                value: AuthType::Secret,
                reason: Reason::Default,
            }
        };
        let scopes = match table {
            Some(table) if !table.paths.is_empty() => table.paths.clone(),
            Some(_) => vec![String::new()],
            None => vec![key.scope.clone()],
        };
        let env_file_patterns = self
            .options
            .env_files
            .clone()
            .or_else(|| table.and_then(|t| t.env_files.clone()))
            .unwrap_or_else(|| DEFAULT_ENV_FILES.iter().map(|s| s.to_string()).collect());
        let mut connection = Connection {
            target: key.target,
            name: key.name.clone(),
            client_type: client,
            auth,
            scopes,
            env_file_patterns,
            env_files: Vec::new(),
            variables: Vec::new(),
            config_index: key.config_index,
            declaration: key.declared.map(|d| self.declarations[d].clone()),
            code_client: None,
            app_settings: key.app_settings.map(|d| self.declarations[d].clone()),
            deployed: key.deployed.map(|(a, l)| {
                let app = &self.options.deployed[a];
                (app.linkers[l].clone(), app.resource.name.clone())
            }),
        };
        connection.variables = expected_variables(&connection);
        connection
    }

    /// The deployed linker for a connection of `target`/`name` read in `dir`: among the apps
    /// whose folder holds `dir` (the most specific first), the one linker of that target (or
    /// of an unknown target) and, for a named connection, of that name. `None` when none or
    /// several apply.
    pub(super) fn deployed_linker(
        &self,
        target: Target,
        name: Option<&str>,
        dir: &str,
    ) -> Option<(usize, usize)> {
        let apps = &self.options.deployed;
        let deepest = apps
            .iter()
            .filter(|app| is_within(dir, &app.scope))
            .map(|app| app.scope.len())
            .max()?;
        let candidates: Vec<(usize, usize)> = apps
            .iter()
            .enumerate()
            .filter(|(_, app)| is_within(dir, &app.scope) && app.scope.len() == deepest)
            .flat_map(|(a, app)| {
                app.linkers
                    .iter()
                    .enumerate()
                    .filter(|(_, linker)| linker.target.is_none_or(|t| t == target))
                    .filter(|(_, linker)| {
                        name.is_none_or(|name| {
                            catalogue::normalise_connection_name(&linker.name) == name
                        })
                    })
                    .map(move |(l, _)| (a, l))
            })
            .collect();
        (candidates.len() == 1).then(|| candidates[0])
    }

    /// The declared linker for a connection of `target`/`name` read in `dir`: among the linkers
    /// whose app folder holds `dir` (the most specific folder first), the one of that target
    /// (or of an unknown target) and, for a named connection, of that name. `None` when none
    /// or several apply: ambiguity is not guessed away.
    pub(super) fn declared_linker(
        &self,
        target: Target,
        name: Option<&str>,
        dir: &str,
    ) -> Option<usize> {
        let candidates: Vec<usize> = self
            .declarations_over(dir)
            .iter()
            .copied()
            .filter(|i| {
                let d = &self.declarations[*i];
                d.kind == DeclaredKind::Linker
                    && d.target.as_ref().is_none_or(|t| t.value == target)
            })
            .collect();
        let depth = |i: &usize| match &self.declarations[*i].scope {
            declared::AppScope::Folder(folder) => folder.len(),
            declared::AppScope::Unknown => 0,
        };
        let deepest = candidates.iter().map(depth).max()?;
        let mut candidates: Vec<usize> = candidates
            .into_iter()
            .filter(|i| depth(i) == deepest)
            .collect();
        if candidates.len() > 1 {
            // Prefer those that name the target over those that leave it unknown.
            let known: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|i| self.declarations[*i].target.is_some())
                .collect();
            if !known.is_empty() {
                candidates = known;
            }
        }
        if let Some(name) = name {
            let named: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|i| {
                    self.declarations[*i]
                        .name
                        .as_ref()
                        .is_some_and(|n| catalogue::normalise_connection_name(&n.value) == name)
                })
                .collect();
            return self.one_connection(&named);
        }
        self.one_connection(&candidates)
    }

    /// The one linker among `candidates`: the only one, or the first of several that declare
    /// the same connection alike (Bicep and a deploy script both creating it: same client
    /// type, auth, target and renames). `None` when they differ.
    pub(super) fn one_connection(&self, candidates: &[usize]) -> Option<usize> {
        let (first, rest) = candidates.split_first()?;
        let key = |i: &usize| {
            let d = &self.declarations[*i];
            (
                d.client_type.as_ref().map(|c| c.value),
                d.auth.as_ref().map(|a| a.value),
                d.target.as_ref().map(|t| t.value),
                &d.customized_keys,
            )
        };
        rest.iter().all(|i| key(i) == key(first)).then_some(*first)
    }

    /// App settings in infrastructure code that set variables of `target` for the app in `dir`.
    pub(super) fn declared_app_settings(&self, target: Target, dir: &str) -> Option<usize> {
        self.declarations_over(dir).iter().copied().find(|i| {
            let d = &self.declarations[*i];
            matches!(d.kind, DeclaredKind::AppSettings(_))
                && d.target.as_ref().is_some_and(|t| t.value == target)
        })
    }

    /// Indices of the declarations whose app folder holds `dir`.
    pub(super) fn covering(&self, dir: &str) -> Vec<usize> {
        self.declarations
            .iter()
            .enumerate()
            .filter(|(_, d)| d.covers_dir(dir))
            .map(|(i, _)| i)
            .collect()
    }

    /// [`Self::covering`], borrowed from the per-folder index the context built when `dir` is
    /// in it (every folder with source files is), computed otherwise.
    pub(super) fn declarations_over(&self, dir: &str) -> std::borrow::Cow<'_, [usize]> {
        if self.declarations.is_empty() {
            return std::borrow::Cow::Borrowed(&[]);
        }
        match self.declarations_by_dir.get(dir) {
            Some(found) => std::borrow::Cow::Borrowed(found),
            None => std::borrow::Cow::Owned(self.covering(dir)),
        }
    }

    /// Service Connector's name for a variable that a `customizedKeys` entry renamed for the
    /// app in `dir`; the name itself otherwise.
    pub(super) fn original_name<'n>(&'n self, name: &'n str, dir: &str) -> &'n str {
        let deployed = self
            .options
            .deployed
            .iter()
            .filter(|app| is_within(dir, &app.scope))
            .flat_map(|app| &app.linkers)
            .find_map(|linker| {
                linker
                    .customized_keys
                    .iter()
                    .find(|(_, to)| to == name)
                    .map(|(from, _)| from.as_str())
            });
        if let Some(original) = deployed {
            return original;
        }
        self.declarations_over(dir)
            .iter()
            .map(|&i| &self.declarations[i])
            .find_map(|d| {
                d.customized_keys
                    .iter()
                    .find(|(_, to)| to == name)
                    .map(|(from, _)| from.as_str())
            })
            .unwrap_or(name)
    }

    /// Whether infrastructure code sets `name` as an app setting of the app in `dir`, with no
    /// linker of its target applying there.
    pub(super) fn set_by_app_settings(&self, name: &str, dir: &str) -> bool {
        self.declarations_over(dir)
            .iter()
            .any(|&i| match &self.declarations[i].kind {
                DeclaredKind::AppSettings(settings) => {
                    let d = &self.declarations[i];
                    settings.iter().any(|s| s.name == name)
                        && d.target
                            .as_ref()
                            .is_none_or(|t| self.declared_linker(t.value, None, dir).is_none())
                }
                DeclaredKind::Linker => false,
            })
    }
}

pub(super) fn expected_variables(connection: &Connection) -> Vec<Variable> {
    let mut variables = match &connection.client_type {
        Some(client) => catalogue::variables(
            connection.target,
            client.value,
            connection.auth.value,
            connection.name.as_deref(),
        )
        .unwrap_or_default(),
        None => Vec::new(),
    };
    // `customizedKeys`: the app gets the renamed variable instead; what is deployed wins.
    if let Some((linker, _)) = &connection.deployed {
        for variable in &mut variables {
            variable.name = linker.renamed(&variable.name).to_string();
        }
    } else if let Some(declaration) = &connection.declaration {
        for variable in &mut variables {
            if let Some(renamed) = declaration.renamed(&variable.name) {
                variable.name = renamed.to_string();
            }
        }
    }
    variables
}

/// The nearest manifest at or above `dir` that fits the file's language, else the language.
pub(super) fn infer_client(
    dir: &str,
    language: Option<Language>,
    manifests: &[(&str, ClientType, String)],
) -> Option<(Resolved<ClientType>, String)> {
    let family = language.and_then(infer::language_family);
    let mut best: Option<&(&str, ClientType, String)> = None;
    for manifest in manifests {
        let (manifest_dir, client, _) = manifest;
        if !is_within(dir, manifest_dir) {
            continue;
        }
        if family.is_some_and(|family| !family.contains(client)) {
            continue;
        }
        let better = match best {
            None => true,
            Some((best_dir, best_client, _)) => {
                manifest_dir.len() > best_dir.len()
                    // Django beats plain Python among manifests of one folder.
                    || (manifest_dir.len() == best_dir.len() && *client == ClientType::Django && *best_client == ClientType::Python)
            }
        };
        if better {
            best = Some(manifest);
        }
    }
    if let Some((manifest_dir, client, path)) = best {
        return Some((
            Resolved {
                value: *client,
                reason: Reason::Manifest(path.clone()),
            },
            manifest_dir.to_string(),
        ));
    }
    let language = language?;
    let client = infer::client_type_from_language(language)?;
    Some((
        Resolved {
            value: client,
            reason: Reason::Language(language),
        },
        // Without a manifest, the reading file's own folder is the connection's scope: .env
        // files in sibling folders of a manifest-less tree are not this code's.
        dir.to_string(),
    ))
}
