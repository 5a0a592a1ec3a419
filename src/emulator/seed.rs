//! Certificates as the control API and the command line describe them: JSON with the listing's
//! fields (all optional) and the domains bound to them.

use super::state::{Binding, CertMeta, DEFAULT_GATEWAY};
use serde_json::Value;

/// The metadata and bindings of certificate `id` from `value`:
/// `{"name", "common_name", "san": [..], "not_after", "instance_id", "signature_algorithm",
/// "algorithm_type", "bound_to": [domain, ..], "bindings": [{"domain", "instance_id",
/// "group_id", "group_name", "domain_id"}, ..]}` — whatever is absent takes the default
/// ([`CertMeta::default_for`]; bound domains are on [`DEFAULT_GATEWAY`], or on the certificate's
/// own gateway for an `instance` one).
pub fn certificate(id: &str, value: &Value) -> Result<(CertMeta, Vec<Binding>), String> {
    let mut meta = CertMeta::default_for(id);
    let text = |name: &str| -> Result<Option<String>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{name} must be a string")),
        }
    };
    let texts = |name: &str| -> Result<Option<Vec<String>>, String> {
        match value.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| format!("{name} must be a list of strings")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(format!("{name} must be a list of strings")),
        }
    };
    if let Some(v) = text("name")? {
        meta.name = v;
    }
    if let Some(v) = text("common_name")? {
        meta.common_name = v;
    }
    if let Some(v) = texts("san")? {
        meta.san = v;
    }
    if let Some(v) = text("not_after")? {
        meta.not_after = v;
    }
    meta.instance_id = text("instance_id")?.filter(|g| g != "common");
    if let Some(v) = text("signature_algorithm")? {
        meta.signature_algorithm = v;
    }
    if value.get("algorithm_type").is_some() {
        meta.algorithm_type = text("algorithm_type")?;
    }
    let gateway = meta.instance_id.clone().unwrap_or_else(|| DEFAULT_GATEWAY.to_string());
    let mut bindings: Vec<Binding> =
        texts("bound_to")?.unwrap_or_default().iter().map(|d| Binding::new(d, &gateway)).collect();
    match value.get("bindings") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let field = |name: &str| item.get(name).and_then(Value::as_str);
                let domain = field("domain").ok_or("each of bindings needs a domain")?;
                let mut binding = Binding::new(domain, field("instance_id").unwrap_or(&gateway));
                if let Some(v) = field("group_id") {
                    binding.group_id = v.to_string();
                }
                if let Some(v) = field("group_name") {
                    binding.group_name = v.to_string();
                }
                if let Some(v) = field("domain_id") {
                    binding.domain_id = v.to_string();
                }
                bindings.push(binding);
            }
        }
        Some(_) => return Err("bindings must be a list of objects".into()),
    }
    Ok((meta, bindings))
}
