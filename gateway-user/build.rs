//! Builds the XDP program (gateway-ebpf) with the nightly toolchain and places
//! the object in OUT_DIR, where `edge::loader` embeds it.
//!
//! `AYA_BUILD_SKIP=1` skips the eBPF build (for quick user-space iterations);
//! the binary then embeds an empty object and `gateway edge attach` says so.
use std::{env, fs, path::PathBuf};

fn main() -> anyhow::Result<()> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?)
        .parent()
        .ok_or_else(|| anyhow::anyhow!("gateway-user has no parent directory"))?
        .join("gateway-ebpf");
    let root = root
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("non UTF-8 path"))?;
    let package = aya_build::Package {
        name: "gateway-ebpf",
        root_dir: root,
        ..Default::default()
    };
    // aya-build watches gateway-ebpf only; the map layout lives in gateway-common,
    // and a stale object with an old layout fails silently at run time.
    println!("cargo:rerun-if-changed={root}/../gateway-common/src");
    aya_build::build_ebpf([package], aya_build::Toolchain::Nightly)?;
    // gateway-xdp is the filter; gateway-xdp-floor holds bench-only programs (bench_edge floor).
    for name in ["gateway-xdp", "gateway-xdp-floor"] {
        let object = PathBuf::from(env::var("OUT_DIR")?).join(name);
        if !object.exists() {
            fs::write(&object, [])?;
        }
    }
    Ok(())
}
