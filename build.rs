//! Gives the C shared library a versioned SONAME (ABI policy in docs/c.md): while the
//! version is 0.x every minor release may break the ABI, so the SONAME is libapig.so.0.<minor>;
//! from 1.0 on it is libapig.so.<major>. The Python extension module keeps no SONAME.
//!
//! A program linked against the build tree (`-Ltarget/release -lapig`) records that SONAME
//! and looks for a file of that name at start: so the build tree gets the link
//! `libapig.so.0.<minor> -> libapig.so` next to the library, as an install has.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let is_linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let python = std::env::var_os("CARGO_FEATURE_PYTHON").is_some();
    if is_linux && !python {
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        let minor = env!("CARGO_PKG_VERSION_MINOR");
        let soname = if major == "0" { format!("libapig.so.0.{minor}") } else { format!("libapig.so.{major}") };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        if let Some(dir) = profile_dir() {
            link_soname(&dir, &soname);
        }
    }
}

/// `target/<profile>` (or `target/<triple>/<profile>`): OUT_DIR is `<that>/build/<pkg>-<hash>/out`.
fn profile_dir() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    let dir = out.ancestors().nth(3)?.to_path_buf();
    dir.join("build").is_dir().then_some(dir)
}

/// The link is relative and may dangle until the library is linked; it is made once.
fn link_soname(dir: &Path, soname: &str) {
    let link = dir.join(soname);
    if std::fs::symlink_metadata(&link).is_err() {
        #[cfg(unix)]
        if let Err(e) = std::os::unix::fs::symlink("libapig.so", &link) {
            println!("cargo:warning=could not create {}: {e}", link.display());
        }
    }
}
