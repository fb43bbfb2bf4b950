//! `import "name"` for performance scripts: modules come from `.rhai` files
//! in the script's own folder (or below it), never from anywhere else.

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position};

type SharedModule = std::sync::Arc<Module>;

/// Resolves imports inside one folder; refuses absolute paths and `..`.
pub struct FolderImports {
    inner: FileModuleResolver,
}

impl FolderImports {
    pub fn new(dir: Option<&std::path::Path>) -> FolderImports {
        let mut inner = FileModuleResolver::new();
        if let Some(d) = dir {
            inner.set_base_path(d);
        }
        FolderImports { inner }
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
        let p = std::path::Path::new(path);
        if p.is_absolute()
            || p.components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Box::new(EvalAltResult::ErrorRuntime(
                format!("import \"{path}\": scripts may only import files from their own folder")
                    .into(),
                pos,
            )));
        }
        self.inner.resolve(engine, source, path, pos)
    }
}
