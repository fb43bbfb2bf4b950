//! libtorch builds, links and loads: the test binary finds it at run time
//! without LD_LIBRARY_PATH (rpath from build.rs).

#[test]
fn libtorch_loads_and_computes_on_the_cpu() {
    let a = tch::Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
    let b = a.matmul(&a);
    let v: Vec<f32> = Vec::try_from(b.flatten(0, -1)).unwrap();
    assert_eq!(v, vec![7.0, 10.0, 15.0, 22.0]);
    assert!(std::env::var("LD_LIBRARY_PATH")
        .map(|p| !p.contains("torch"))
        .unwrap_or(true));
}
