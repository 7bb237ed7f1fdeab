//! `cargo xtask setup`: installs what a fresh machine lacks, and nothing more.
//!
//! Every step first checks whether its work is already done, so a second run
//! takes seconds. Steps: Debian packages, `rust-src` for nightly, bpf-linker
//! built against the nightly's own LLVM, and a bpffs mount.
use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

use crate::{cmd_output, run};

/// Debian packages used by the tests, the benchmarks and the demo.
pub const PACKAGES: &[&str] = &[
    "iproute2",
    "iputils-ping",
    "redis-server",
    "nginx",
    "libnginx-mod-http-modsecurity",
    "modsecurity-crs",
    "wrk",
    "xdp-tools",
    "bpftool",
    "nftables",
    "prometheus",
    "curl",
    "openssl",
];

/// The bpf-linker release that matches the nightly's LLVM 22.
const BPF_LINKER_VERSION: &str = "0.13.0";

/// Runs every set-up step.
pub fn setup() -> Result<()> {
    install_packages()?;
    install_rust_src()?;
    install_bpf_linker()?;
    mount_bpffs()?;
    Ok(())
}

fn install_packages() -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .copied()
        .filter(|p| !package_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("setup: installing Debian packages: {}", missing.join(" "));
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn package_installed(name: &str) -> bool {
    cmd_output(Command::new("dpkg-query").args(["-W", "-f=${Status}", name]))
        .map(|s| s.contains("install ok installed"))
        .unwrap_or(false)
}

fn nightly_sysroot() -> Result<PathBuf> {
    let out = cmd_output(Command::new("rustc").args(["+nightly", "--print", "sysroot"])).context(
        "the nightly toolchain is needed to build the XDP program (rustup toolchain list)",
    )?;
    Ok(PathBuf::from(out.trim()))
}

fn install_rust_src() -> Result<()> {
    let sysroot = nightly_sysroot()?;
    if sysroot.join("lib/rustlib/src/rust/library/core").exists() {
        return Ok(());
    }
    eprintln!("setup: adding rust-src to the nightly toolchain");
    run(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", "nightly"]))
}

fn install_bpf_linker() -> Result<()> {
    let installed = cmd_output(Command::new("bpf-linker").arg("--version")).unwrap_or_default();
    if installed.contains(BPF_LINKER_VERSION) {
        return Ok(());
    }
    let sysroot = nightly_sysroot()?;
    let lib = sysroot.join("lib");
    let versioned = fs::read_dir(&lib)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("libLLVM.so."))
        .with_context(|| format!("no libLLVM.so.* in {}", lib.display()))?;
    let major = versioned
        .trim_start_matches("libLLVM.so.")
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    eprintln!(
        "setup: building bpf-linker {BPF_LINKER_VERSION} against {versioned} (about a minute)"
    );
    // bpf-linker's build looks for an unversioned libLLVM.so in LLVM_PREFIX/lib.
    let link = lib.join("libLLVM.so");
    let made_link = !link.exists();
    if made_link {
        std::os::unix::fs::symlink(lib.join(&versioned), &link)?;
    }
    let result = run(Command::new("cargo")
        .args(["+nightly", "install", "--locked"])
        .arg(format!("bpf-linker@{BPF_LINKER_VERSION}"))
        .args(["--no-default-features", "--features"])
        .arg(format!("llvm-{major}"))
        .env("LLVM_PREFIX", &sysroot));
    if made_link {
        fs::remove_file(&link)?;
    }
    result
}

/// Mounts bpffs on /sys/fs/bpf when it is not a bpf mount already.
pub fn mount_bpffs() -> Result<()> {
    if is_bpffs(Path::new("/sys/fs/bpf"))? {
        return Ok(());
    }
    fs::create_dir_all("/sys/fs/bpf")?;
    let status = Command::new("mount")
        .args(["-t", "bpf", "bpf", "/sys/fs/bpf"])
        .status()?;
    if !status.success() {
        bail!("could not mount bpffs on /sys/fs/bpf (are you root?)");
    }
    Ok(())
}

fn is_bpffs(path: &Path) -> Result<bool> {
    let mounts = fs::read_to_string("/proc/mounts")?;
    Ok(mounts.lines().any(|l| {
        let mut f = l.split_whitespace();
        let _dev = f.next();
        f.next() == path.to_str() && f.next() == Some("bpf")
    }))
}
