//! `import "name"` for performance scripts: modules come from `.rhai` files
//! found by loam's one path rule ([`crate::data::paths`]): relative to the
//! script's folder, and really inside it or a `--library` folder.
//!
//! Importing runs the imported file, which may import others: a chain of
//! files. rhai follows that chain by recursion, so a file importing itself,
//! or `a.rhai` importing `b.rhai` importing `a.rhai`, would recurse until the
//! stack ends and abort the process. The resolver keeps the chain it is in
//! and refuses a file already on it ("import cycle: a.rhai → b.rhai →
//! a.rhai"), and a chain deeper than [`MAX_IMPORT_DEPTH`], as script errors.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position};

use crate::data::credit::PlayedScripts;

type SharedModule = std::sync::Arc<Module>;

/// The most files one chain of imports may hold below the script (a
/// module importing a module importing a module…). Each level runs a file
/// inside the one that imports it, on the same stack.
pub const MAX_IMPORT_DEPTH: usize = 8;

/// One file on the chain of imports being resolved.
struct Link {
    file: PathBuf,
    /// The script that started the chain (not an import level itself).
    script: bool,
}

thread_local! {
    /// The files being imported on this thread, outermost first. Resolving
    /// is recursive and stays on one thread, so the chain is this stack.
    static CHAIN: RefCell<Vec<Link>> = const { RefCell::new(Vec::new()) };
}

/// Resolves imports inside one folder; refuses absolute paths, `..`,
/// cycles and chains deeper than [`MAX_IMPORT_DEPTH`].
pub struct FolderImports {
    inner: FileModuleResolver,
    /// Where each imported version that plays is noted for credits.
    played: Option<Arc<PlayedScripts>>,
}

impl FolderImports {
    /// Imports found from `dir`, the script's folder (`None` for code with no file).
    pub fn new(dir: Option<&std::path::Path>) -> FolderImports {
        let mut inner = FileModuleResolver::new();
        if let Some(d) = dir {
            inner.set_base_path(d);
        }
        FolderImports {
            inner,
            played: None,
        }
    }

    /// The same, noting each imported file that plays in `played` (the
    /// credits of a render or recording).
    pub fn noting(mut self, played: Arc<PlayedScripts>) -> FolderImports {
        self.played = Some(played);
        self
    }
}

/// Takes a file off the chain when its import ends, however it ends.
struct OnChain {
    pushed: usize,
}

impl Drop for OnChain {
    fn drop(&mut self) {
        CHAIN.with(|c| {
            let mut chain = c.borrow_mut();
            let keep = chain.len().saturating_sub(self.pushed);
            chain.truncate(keep);
        });
    }
}

/// `a.rhai → b.rhai → a.rhai`, by file name.
fn describe<'a>(files: impl Iterator<Item = &'a PathBuf>) -> String {
    files
        .map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Why a file may not go on the import chain; each shows the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ChainRefusal {
    /// The file is already on the chain: the chain from it back to itself.
    Cycle(String),
    /// More than [`MAX_IMPORT_DEPTH`] imports deep: the whole chain.
    TooDeep(String),
}

impl std::fmt::Display for ChainRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainRefusal::Cycle(chain) => write!(f, "import cycle: {chain}"),
            ChainRefusal::TooDeep(chain) => {
                write!(
                    f,
                    "imports nested more than {MAX_IMPORT_DEPTH} deep: {chain}"
                )
            }
        }
    }
}

impl FolderImports {
    /// Puts `file` on the chain (and, on the first import, the importing
    /// script when rhai names it), or says why it may not go there.
    fn enter(&self, source: Option<&str>, file: PathBuf) -> Result<OnChain, ChainRefusal> {
        CHAIN.with(|c| {
            let mut chain = c.borrow_mut();
            let mut pushed = 0;
            if chain.is_empty() {
                if let Some(script) = source.filter(|s| !s.is_empty()) {
                    chain.push(Link {
                        file: self.inner.get_file_path(script, None),
                        script: true,
                    });
                    pushed = 1;
                }
            }
            let refuse = |chain: &mut Vec<Link>, why: ChainRefusal| {
                let keep = chain.len() - pushed;
                chain.truncate(keep);
                Err(why)
            };
            if let Some(start) = chain.iter().position(|l| l.file == file) {
                let cycle = describe(
                    chain[start..]
                        .iter()
                        .map(|l| &l.file)
                        .chain(std::iter::once(&file)),
                );
                return refuse(&mut chain, ChainRefusal::Cycle(cycle));
            }
            let levels = chain.iter().filter(|l| !l.script).count();
            if levels >= MAX_IMPORT_DEPTH {
                let shown = describe(chain.iter().map(|l| &l.file).chain(std::iter::once(&file)));
                return refuse(&mut chain, ChainRefusal::TooDeep(shown));
            }
            chain.push(Link {
                file,
                script: false,
            });
            Ok(OnChain { pushed: pushed + 1 })
        })
    }
}

impl ModuleResolver for FolderImports {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        let file = self.inner.get_file_path(path, None);
        let base = self.inner.base_path().unwrap_or(Path::new(""));
        crate::data::paths::ReadRoots::for_script(base)
            .resolve(&format!("import \"{path}\""), &file.to_string_lossy())
            .map_err(|refused| {
                Box::new(EvalAltResult::ErrorRuntime(refused.to_string().into(), pos))
            })?;
        if file.exists() {
            let checked = super::host::check_script_file(&file).and_then(|()| {
                // Read once more here (at most MAX_SCRIPT_BYTES) so a file
                // whose errors could not say their line is refused by name.
                let text = std::fs::read_to_string(&file)
                    .map_err(super::error::ScriptFileError::Unreadable)?;
                super::host::check_script_size(&text)
            });
            if let Err(why) = checked {
                return Err(Box::new(EvalAltResult::ErrorRuntime(
                    format!("import \"{path}\": {}: {why}", file.display()).into(),
                    pos,
                )));
            }
        }
        let _on_chain = self
            .enter(source, file.clone())
            .map_err(|why| Box::new(EvalAltResult::ErrorRuntime(why.to_string().into(), pos)))?;
        // NOTE: read here rather than by rhai's resolver, so a file saved
        // with a byte-order mark (Windows Notepad) imports like any other.
        let text = std::fs::read_to_string(&file).map_err(|e| {
            Box::new(if e.kind() == std::io::ErrorKind::NotFound {
                EvalAltResult::ErrorModuleNotFound(path.to_string(), pos)
            } else {
                EvalAltResult::ErrorRuntime(
                    format!("import \"{path}\": {}: cannot read ({e})", file.display()).into(),
                    pos,
                )
            })
        })?;
        let mut ast = engine
            .compile(crate::data::text::without_bom(&text))
            .map_err(|e| {
                Box::new(EvalAltResult::ErrorInModule(
                    path.to_string(),
                    e.into(),
                    pos,
                ))
            })?;
        ast.set_source(path);
        let module = Module::eval_ast_as_new(rhai::Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(path.to_string(), e, pos)))?;
        // Credited as a script that played (with the version that plays).
        if let Some(played) = &self.played {
            played.note(&file, &text);
        }
        Ok(module.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(tag: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("loam-imports-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    fn run(dir: &Path, code: &str) -> Result<(), String> {
        let mut engine = Engine::new();
        engine.set_module_resolver(FolderImports::new(Some(dir)));
        engine.run(code).map_err(|e| e.to_string())
    }

    #[test]
    fn two_files_importing_each_other_are_a_cycle_with_its_chain() {
        let dir = folder(
            "pair",
            &[
                ("a.rhai", "import \"b\" as b;\nfn x() { 1 }"),
                ("b.rhai", "import \"a\" as a;\nfn y() { 2 }"),
            ],
        );
        let e = run(&dir, "import \"a\" as a;").unwrap_err();
        assert!(e.contains("import cycle: a.rhai → b.rhai → a.rhai"), "{e}");
        // The chain is empty again afterwards: an honest import still works.
        let dir2 = folder(
            "pair-fixed",
            &[("a.rhai", "import \"b\" as b;"), ("b.rhai", "fn y() { 2 }")],
        );
        run(&dir2, "import \"a\" as a;").unwrap();
        CHAIN.with(|c| assert!(c.borrow().is_empty()));
    }

    #[test]
    fn a_file_importing_itself_is_a_cycle() {
        let dir = folder("self", &[("me.rhai", "import \"me\" as me;")]);
        let e = run(&dir, "import \"me\" as m;").unwrap_err();
        assert!(e.contains("import cycle: me.rhai → me.rhai"), "{e}");
    }

    #[test]
    fn the_script_itself_counts_in_a_cycle_when_rhai_names_it() {
        let dir = folder(
            "named",
            &[
                ("main.rhai", "import \"b\" as b;"),
                ("b.rhai", "import \"main\" as m;"),
            ],
        );
        let mut engine = Engine::new();
        engine.set_module_resolver(FolderImports::new(Some(&dir)));
        let mut ast = engine.compile("import \"b\" as b;").unwrap();
        ast.set_source("main");
        let e = engine.run_ast(&ast).unwrap_err().to_string();
        assert!(
            e.contains("import cycle: main.rhai → b.rhai → main.rhai"),
            "{e}"
        );
    }

    #[test]
    fn chains_deeper_than_the_limit_are_refused() {
        let files: Vec<(String, String)> = (0..=MAX_IMPORT_DEPTH)
            .map(|i| {
                let text = if i < MAX_IMPORT_DEPTH {
                    format!("import \"m{}\" as next;", i + 1)
                } else {
                    "fn last() { 1 }".to_owned()
                };
                (format!("m{i}.rhai"), text)
            })
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let dir = folder("deep", &refs);
        // m0 … m8 is nine files: one more than the limit.
        let e = run(&dir, "import \"m0\" as m;").unwrap_err();
        assert!(
            e.contains(&format!(
                "imports nested more than {MAX_IMPORT_DEPTH} deep: m0.rhai → m1.rhai"
            )),
            "{e}"
        );
        // Starting one lower, the chain fits.
        run(&dir, "import \"m1\" as m;").unwrap();
    }

    #[test]
    fn a_file_imported_twice_along_two_paths_is_not_a_cycle() {
        let dir = folder(
            "diamond",
            &[
                ("a.rhai", "import \"b\" as b; import \"c\" as c;"),
                ("b.rhai", "import \"d\" as d;"),
                ("c.rhai", "import \"d\" as d;"),
                ("d.rhai", "fn z() { 4 }"),
            ],
        );
        run(&dir, "import \"a\" as a;").unwrap();
    }

    #[test]
    fn a_file_saved_with_a_byte_order_mark_and_crlf_imports() {
        let dir = folder(
            "bom",
            &[(
                "grooves.rhai",
                "\u{feff}fn groove() {\r\n  \"a*8\"\r\n}\r\n",
            )],
        );
        run(
            &dir,
            "import \"grooves\" as g;\nif g::groove() != \"a*8\" { throw \"wrong\"; }",
        )
        .unwrap();
    }
}
