//! include/apig.h must be exactly what the pinned cbindgen generates from src/ffi.
//! `APIG_BLESS=1 cargo test --test header` rewrites it.

use std::path::Path;

fn generate() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let version = env!("CARGO_PKG_VERSION");
    let parts: Vec<&str> = version.split(['.', '-', '+']).collect();
    config.after_includes = Some(format!(
        "\n#define APIG_VERSION_STRING \"{version}\"\n#define APIG_VERSION_MAJOR {}\n#define APIG_VERSION_MINOR {}\n#define APIG_VERSION_PATCH {}\n",
        parts[0], parts[1], parts[2]
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(root.join("src/ffi/mod.rs"))
        .generate()
        .expect("cbindgen could not generate the header")
        .write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/apig.h");
    let generated = generate();
    if std::env::var_os("APIG_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/apig.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/apig.h is stale: regenerate it with `APIG_BLESS=1 cargo test --test header` and commit it"
    );
}

#[test]
fn header_declares_the_contract() {
    let header = generate();
    for name in [
        "apig_status apig_delete_certificate(const char *endpoint",
        "apig_status apig_error_status(const apig_error *error)",
        "int apig_error_http_status(const apig_error *error)",
        "const char *apig_error_code(const apig_error *error)",
        "const char *apig_error_message(const apig_error *error)",
        "const char *apig_error_request_id(const apig_error *error)",
        "void apig_error_free(apig_error *error)",
        "const char *apig_status_str(int status)",
        "const char *apig_version(void)",
        "APIG_OK = 0",
        "APIG_E_HTTP_STATUS = 14",
        "#ifdef __cplusplus",
        "typedef struct apig_error apig_error;",
        "apig_status apig_client_delete_certificate(const apig_client *client",
        "APIG_E_IN_USE = 17",
        "size_t apig_error_domain_count(const apig_error *error)",
        "const char *apig_error_domain(const apig_error *error, size_t index)",
        "apig_status apig_client_delete_certificate_with(const apig_client *client",
        "#define APIG_DELETE_MISSING_OK 1",
        "#define APIG_DELETE_DETACH_DOMAINS 2",
        "apig_status apig_client_list_certificates(const apig_client *client",
        "const apig_certificate *apig_certificate_list_get(const apig_certificate_list *list, size_t index)",
        "int64_t apig_certificate_not_after(const apig_certificate *cert)",
        "apig_status apig_client_certificate_domains(const apig_client *client",
        "const apig_bound_domain *apig_domain_list_get(const apig_domain_list *list, size_t index)",
        "void apig_domain_list_free(apig_domain_list *list)",
    ] {
        assert!(header.contains(name), "header lacks {name:?}");
    }
    assert!(header.contains(&format!("#define APIG_VERSION_STRING \"{}\"", env!("CARGO_PKG_VERSION"))));
}

/// The status list in the header's opening comment (written by hand in cbindgen.toml) names
/// every status of the generated enum with its number.
#[test]
fn the_header_comment_lists_every_status() {
    let header = generate();
    let (comment, body) = header.split_once("*/").expect("an opening comment");
    let mut seen = 0;
    for line in body.lines() {
        let line = line.trim().trim_end_matches(',');
        if let Some((name, number)) = line.split_once(" = ") {
            if name.starts_with("APIG_E_") {
                seen += 1;
                assert!(comment.contains(&format!("{number} {name}")), "the header's comment lacks {number} {name}");
            }
        }
    }
    assert_eq!(seen, apig::ErrorKind::ALL.len());
}
