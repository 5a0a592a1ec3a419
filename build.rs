//! Gives the C shared library a versioned SONAME (ABI policy in the README): while the
//! version is 0.x every minor release may break the ABI, so the SONAME is libapig.so.0.<minor>;
//! from 1.0 on it is libapig.so.<major>. The Python extension module keeps no SONAME.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let is_linux = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux");
    let python = std::env::var_os("CARGO_FEATURE_PYTHON").is_some();
    if is_linux && !python {
        let major = env!("CARGO_PKG_VERSION_MAJOR");
        let minor = env!("CARGO_PKG_VERSION_MINOR");
        let soname = if major == "0" { format!("libapig.so.0.{minor}") } else { format!("libapig.so.{major}") };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
}
