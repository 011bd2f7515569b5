//! The committed CRD is exactly what the Rust types generate.

#[test]
fn committed_crd_matches_the_types() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../charts/hush-controller/crds/encryptedsecrets.hush.dev.yaml"
    );
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = hush_controller::resource::crd_yaml();
    if committed != generated {
        if std::env::var_os("HUSH_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
            return;
        }
        panic!("{path} is stale: run `cargo run -p hush-controller -- crd > {path}` (or HUSH_BLESS=1 cargo test -p hush-controller --test crd)");
    }
}

#[test]
fn crd_keeps_sops_fields_and_requires_ciphertext() {
    let crd = serde_json::to_value(
        <hush_controller::resource::EncryptedSecret as kube::CustomResourceExt>::crd(),
    )
    .unwrap();
    let v = &crd["spec"]["versions"][0];
    let root = &v["schema"]["openAPIV3Schema"];
    assert_eq!(
        root["properties"]["sops"]["x-kubernetes-preserve-unknown-fields"],
        true
    );
    assert!(root["required"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "sops"));
    assert_eq!(
        root["properties"]["spec"]["properties"]["data"]["additionalProperties"]["pattern"],
        "^ENC\\["
    );
    assert_eq!(v["subresources"]["status"], serde_json::json!({}));
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert_eq!(crd["spec"]["group"], "hush.dev");
}
