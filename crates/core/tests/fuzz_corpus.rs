//! Replays every seed and regression input of the fuzz targets
//! (`fuzz/corpus/<target>/`) through the same functions the `cargo fuzz`
//! binaries call, so the normal test suite covers them without nightly.

use std::path::Path;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let r = std::panic::catch_unwind(|| f(&data));
        assert!(r.is_ok(), "{target}: {} fails", path.display());
        n += 1;
    }
    assert!(n > 0, "{target}: empty corpus");
}

#[test]
fn enc_value_corpus() {
    replay("enc_value", hush_core::fuzzing::enc_value);
}

#[test]
fn metadata_corpus() {
    replay("metadata", hush_core::fuzzing::metadata);
}

#[test]
fn yaml_splice_corpus() {
    replay("yaml_splice", hush_core::fuzzing::yaml_splice);
}

#[test]
fn json_splice_corpus() {
    replay("json_splice", hush_core::fuzzing::json_splice);
}

#[test]
fn sops_config_corpus() {
    replay("sops_config", hush_core::fuzzing::sops_config);
}
