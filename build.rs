//! Lets every binary of the crate (the `loam` binary, tests, benches) find
//! libtorch at run time without the user exporting anything: the folder that
//! torch-sys linked against is baked in as an rpath.

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(libtorch) = std::env::var("LIBTORCH") {
        let lib = std::path::Path::new(&libtorch).join("lib");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
