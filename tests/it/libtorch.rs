//! libtorch builds, links and loads, and the `loam` binary finds it at run
//! time without LD_LIBRARY_PATH (rpath from build.rs).

#[test]
fn libtorch_loads_and_computes_on_the_cpu() {
    let a = tch::Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
    let b = a.matmul(&a);
    let v: Vec<f32> = Vec::try_from(b.flatten(0, -1)).unwrap();
    assert_eq!(v, vec![7.0, 10.0, 15.0, 22.0]);
}

#[test]
fn the_binary_runs_without_library_paths() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_loam"))
        .arg("--version")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("loam "));
}
