//! `hush krm`, and hush run as `ksops`: a KRM exec function that decrypts
//! at render time (kustomize, kpt, Argo CD), reading KSOPS's generator
//! manifests unchanged.
//!
//! It reads a `ResourceList` on stdin (the generator is its
//! `functionConfig`) and writes one on stdout: every input item, then the
//! generated ones. With a file argument it is a legacy kustomize exec
//! plugin and prints only the generated resources. Any failure fails the
//! whole run with one line naming the file; nothing is written to stdout
//! until every file has decrypted.

use crate::args::{KrmArgs, Ksops, Restrictor};
use crate::failure::{fail, read_code, Failure, Result};
use crate::io::write_stdout;
use crate::runtime::runtime;
use clap::Parser;
use hush_core::error::exit;
use hush_core::keys::ring::KeyRing;
use hush_core::{Ciphertext, DecryptOptions, Format, Plaintext};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The generator kinds: KSOPS's (any apiVersion is taken for it, as KSOPS
/// does), and hush's own name for it.
const KINDS: [(&str, &str); 2] = [
    ("viaduct.ai/v1", "ksops"),
    ("hush.dev/v1", "SecretGenerator"),
];

/// Entry point when argv[0] is `ksops`.
pub fn ksops() -> Result<()> {
    let args = Ksops::try_parse().unwrap_or_else(|e| e.exit()).args;
    run(args, &KeyRing::default())
}

/// A KSOPS generator manifest.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Generator {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    secret_from: Vec<SecretFrom>,
}

/// One Secret built from files.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretFrom {
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    binary_files: Vec<String>,
    #[serde(default)]
    envs: Vec<String>,
}

/// What a decrypted file becomes.
#[derive(Clone, Copy)]
enum Use {
    /// Its documents are resources.
    Manifest,
    /// One `stringData` key of Secret `n`.
    Text(usize),
    /// One `data` key (base64) of Secret `n`.
    Binary(usize),
    /// Its top-level values are `stringData` keys of Secret `n`.
    Env(usize),
}

/// One file to decrypt.
struct Job {
    entry: String,
    key: String,
    path: PathBuf,
    uses: Use,
}

pub(crate) fn run(a: KrmArgs, ring: &KeyRing) -> Result<()> {
    let started = std::time::Instant::now();
    let (list, config) = match &a.manifest {
        Some(p) => (None, read_manifest(p)?),
        None => read_resource_list()?,
    };
    let generator = generator(config)?;
    let root = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| fail(exit::ERROR_GENERIC, format!("the working directory: {e}")))?;
    let jobs = jobs(&generator, &root, a.load_restrictor)?;
    let order = a.order.decryption_order.clone();
    let (plains, unwraps) = decrypt_all(ring, &jobs, &order)?;
    let generated = build(&generator, &jobs, &plains)?;
    drop(plains);
    let out = match list {
        Some(list) => resource_list(list, &generated)?,
        None => stream(&generated),
    };
    write_stdout(out.as_bytes())
        .map_err(|e| fail(exit::COULD_NOT_WRITE_OUTPUT_FILE, format!("stdout: {e}")))?;
    if a.stats {
        eprintln!(
            "hush: krm: {} files, {} data-key unwraps, {} ms",
            jobs.len(),
            unwraps,
            started.elapsed().as_millis()
        );
    }
    Ok(())
}

fn bad_input(what: &str, e: impl std::fmt::Display) -> Failure {
    let e = e.to_string();
    fail(
        exit::ERROR_GENERIC,
        format!("{what}: {}", e.lines().next().unwrap_or("")),
    )
}

/// A YAML (or JSON) document read as yaml.v3 reads it (`0644` is 420,
/// `on` a string), as a JSON object.
fn read_object(text: String, what: &str) -> Result<Json> {
    let lines = hush_core::stores::documents::json_lines(&Plaintext::new(text, Format::Yaml))
        .map_err(|e| bad_input(what, e))?;
    match lines.as_slice() {
        [one] => serde_json::from_str(one).map_err(|_| bad_input(what, "not a map")),
        _ => Err(bad_input(what, "expected one YAML document")),
    }
}

type Json = serde_json::Map<String, serde_json::Value>;

fn read_manifest(p: &Path) -> Result<serde_json::Value> {
    let name = p.display().to_string();
    let text = std::fs::read_to_string(p)
        .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("{name}: {e}")))?;
    read_object(text, &name).map(serde_json::Value::Object)
}

/// The `ResourceList` on stdin and its `functionConfig`; or a generator
/// manifest alone (no list: the generated resources are printed as a
/// YAML stream, as in the legacy mode).
fn read_resource_list() -> Result<(Option<Json>, serde_json::Value)> {
    let bytes = crate::io::read_input(None)
        .map_err(|e| fail(exit::COULD_NOT_READ_INPUT_FILE, format!("stdin: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| bad_input("the ResourceList on stdin", "not UTF-8"))?;
    let list = read_object(text, "the ResourceList on stdin")?;
    let kind = list.get("kind").and_then(|k| k.as_str());
    // `cat generator.yaml | ksops`: the generator alone, as KSOPS takes it.
    if kind.is_some_and(|k| KINDS.iter().any(|(_, g)| *g == k)) {
        return Ok((None, serde_json::Value::Object(list)));
    }
    if kind != Some("ResourceList") {
        return Err(fail(
            exit::ERROR_GENERIC,
            "stdin is neither a ResourceList nor a generator manifest (kind: ksops)",
        ));
    }
    let config = list
        .get("functionConfig")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    Ok((Some(list), config))
}

fn generator(config: serde_json::Value) -> Result<Generator> {
    if config.is_null() {
        return Err(fail(
            exit::ERROR_GENERIC,
            "no functionConfig: pass the generator manifest (--fn-config, or the kustomize generators: entry)",
        ));
    }
    let g: Generator =
        serde_json::from_value(config).map_err(|e| bad_input("functionConfig", e))?;
    // KSOPS checks only the kind of its own (its fixtures use viaduct.ai/v2).
    let known = g.kind == KINDS[0].1 || KINDS.contains(&(g.api_version.as_str(), g.kind.as_str()));
    if !known {
        return Err(fail(
            exit::ERROR_GENERIC,
            format!(
                "functionConfig: expected kind: ksops (or apiVersion: hush.dev/v1, kind: SecretGenerator), not {}/{}",
                g.api_version, g.kind
            ),
        ));
    }
    if g.files.is_empty() && g.secret_from.is_empty() {
        return Err(fail(
            exit::ERROR_GENERIC,
            "functionConfig: neither files nor secretFrom lists a file",
        ));
    }
    Ok(g)
}

/// Every file of the generator, in order, with its resolved path.
fn jobs(g: &Generator, root: &Path, r: Restrictor) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    let mut add = |entry: &str, uses: Use| -> Result<()> {
        let (key, file) = match (uses, entry.split_once('=')) {
            (Use::Text(_) | Use::Binary(_), Some((k, f))) => (k.to_string(), f),
            _ => (base_name(entry), entry),
        };
        let path = restrict(root, file, r)?;
        jobs.push(Job {
            entry: file.to_string(),
            key,
            path,
            uses,
        });
        Ok(())
    };
    for f in &g.files {
        add(f, Use::Manifest)?;
    }
    for (n, s) in g.secret_from.iter().enumerate() {
        for f in &s.files {
            add(f, Use::Text(n))?;
        }
        for f in &s.binary_files {
            add(f, Use::Binary(n))?;
        }
        for f in &s.envs {
            add(f, Use::Env(n))?;
        }
    }
    Ok(jobs)
}

fn base_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The path of a file entry; with the root-only restrictor, refuses
/// absolute paths and paths that leave the root, by `..` or by a symlink.
fn restrict(root: &Path, file: &str, r: Restrictor) -> Result<PathBuf> {
    let path = Path::new(file);
    if r == Restrictor::None {
        return Ok(path.to_path_buf());
    }
    let refuse = |why: &str| {
        fail(
            exit::ERROR_GENERIC,
            format!("{file}: {why}; kustomize's load restrictor refuses it (allow it with --load-restrictor LoadRestrictionsNone or HUSH_LOAD_RESTRICTOR=LoadRestrictionsNone)"),
        )
    };
    if path.is_absolute() {
        return Err(refuse("an absolute path"));
    }
    let mut depth = 0usize;
    for c in path.components() {
        match c {
            Component::ParentDir if depth == 0 => {
                return Err(refuse("the path leaves the kustomization root"))
            }
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
    }
    match root.join(path).canonicalize() {
        Ok(real) if !real.starts_with(root) => Err(refuse(
            "the path leads outside the kustomization root through a symlink",
        )),
        // A missing file is reported when it is read.
        _ => Ok(path.to_path_buf()),
    }
}

/// Decrypts every file on a few threads, sharing one data-key cache. The
/// first failure (in file order) fails the run.
fn decrypt_all(ring: &KeyRing, jobs: &[Job], order: &[String]) -> Result<(Vec<Plaintext>, usize)> {
    let rt = runtime()?;
    let opts = DecryptOptions {
        ignore_mac: false,
        decryption_order: order.to_vec(),
    };
    let slots: Vec<Mutex<Option<Result<Plaintext>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(jobs.len())
        .max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    let r = rt.block_on(decrypt_one(job, ring, &opts));
                    if r.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    *slots[i].lock().unwrap() = Some(r);
                }
            });
        }
    });
    let mut plains = Vec::with_capacity(jobs.len());
    for slot in slots {
        match slot.into_inner().unwrap() {
            Some(r) => plains.push(r?),
            None => break,
        }
    }
    if plains.len() != jobs.len() {
        return Err(fail(
            exit::ERROR_GENERIC,
            "stopped before every file was decrypted",
        ));
    }
    Ok((plains, ring.cache().unwraps()))
}

async fn decrypt_one(job: &Job, ring: &KeyRing, opts: &DecryptOptions) -> Result<Plaintext> {
    let name = &job.entry;
    let text = std::fs::read_to_string(&job.path).map_err(|e| {
        let code = match e.kind() {
            std::io::ErrorKind::InvalidData => exit::ERROR_GENERIC,
            _ => exit::COULD_NOT_READ_INPUT_FILE,
        };
        fail(code, format!("{name}: {e}"))
    })?;
    let enc = Ciphertext::new(text, Format::from_path(name));
    ring.decrypt_cached(&enc, opts).await.map_err(|e| {
        fail(
            read_code(&e),
            format!("{name}: {}", one_line(&e.to_string())),
        )
    })
}

/// A multi-line error (the keys tried, one per line) on one line.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A JSON string, zeroed on drop.
fn json_str(s: &str) -> Zeroizing<String> {
    Zeroizing::new(serde_json::to_string(s).expect("a string serializes"))
}

/// The generated resources, each as one line of JSON.
fn build(g: &Generator, jobs: &[Job], plains: &[Plaintext]) -> Result<Vec<Zeroizing<String>>> {
    let mut items = Vec::new();
    let mut text: Vec<Vec<(String, Zeroizing<String>)>> = vec![Vec::new(); g.secret_from.len()];
    let mut data: Vec<Vec<(String, Zeroizing<String>)>> = vec![Vec::new(); g.secret_from.len()];
    for (job, plain) in jobs.iter().zip(plains) {
        let name = &job.entry;
        match job.uses {
            Use::Manifest => items.extend(
                hush_core::stores::documents::json_lines(plain)
                    .map_err(|e| fail(exit::ERROR_GENERIC, format!("{name}: {e}")))?,
            ),
            Use::Text(n) => {
                let s = std::str::from_utf8(plain.expose_bytes()).map_err(|_| {
                    fail(
                        exit::ERROR_GENERIC,
                        format!("{name}: the decrypted file is not UTF-8 text; list it under binaryFiles"),
                    )
                })?;
                text[n].push((job.key.clone(), json_str(s)));
            }
            Use::Binary(n) => {
                use base64::Engine as _;
                let b64 = Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(plain.expose_bytes()),
                );
                data[n].push((
                    job.key.clone(),
                    Zeroizing::new(format!("\"{}\"", b64.as_str())),
                ));
            }
            Use::Env(n) => {
                // KSOPS reads envs with godotenv, not as sops's dotenv.
                let vars = std::str::from_utf8(plain.expose_bytes())
                    .map_err(|_| "not UTF-8 text".to_string())
                    .and_then(crate::godotenv::parse)
                    .map_err(|e| {
                        fail(
                            exit::ERROR_GENERIC,
                            format!("{name}: not a dotenv file: {e}"),
                        )
                    })?;
                text[n].extend(vars.into_iter().map(|(k, v)| (k, json_str(&v))));
            }
        }
    }
    for (n, s) in g.secret_from.iter().enumerate() {
        items.push(secret(s, &text[n], &data[n]));
    }
    Ok(items)
}

/// One generated Secret as a line of JSON; later keys win, as in KSOPS.
fn secret(
    s: &SecretFrom,
    text: &[(String, Zeroizing<String>)],
    data: &[(String, Zeroizing<String>)],
) -> Zeroizing<String> {
    let meta = serde_json::Value::Object(s.metadata.clone());
    let mut out = Zeroizing::new(format!(
        "{{\"apiVersion\": \"v1\",\"kind\": \"Secret\",\"metadata\": {meta}"
    ));
    if let Some(t) = &s.kind {
        out.push_str(&format!(",\"type\": {}", json_str(t).as_str()));
    }
    for (field, pairs) in [("stringData", text), ("data", data)] {
        if pairs.is_empty() && !(field == "stringData" && data.is_empty()) {
            continue;
        }
        out.push_str(&format!(",\"{field}\": {{"));
        let mut seen = std::collections::BTreeMap::new();
        for (k, v) in pairs {
            seen.insert(k.as_str(), v);
        }
        for (i, (k, v)) in seen.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(json_str(k).as_str());
            out.push_str(": ");
            out.push_str(v.as_str());
        }
        out.push('}');
    }
    out.push('}');
    out
}

/// The output `ResourceList`, as one line of JSON: the input's fields and
/// items, then the generated resources.
fn resource_list(mut list: Json, generated: &[Zeroizing<String>]) -> Result<Zeroizing<String>> {
    let items = match list.remove("items") {
        Some(serde_json::Value::Array(items)) => items,
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(_) => {
            return Err(fail(
                exit::ERROR_GENERIC,
                "the ResourceList's items is not a list",
            ))
        }
    };
    let mut out = Zeroizing::new(String::from("{"));
    for (k, v) in &list {
        out.push_str(&format!("{}: {v},", json_str(k).as_str()));
    }
    out.push_str("\"items\": [");
    let input: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    let all = input.iter().map(String::as_str);
    for (n, item) in all.chain(generated.iter().map(|g| g.as_str())).enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push_str("]}\n");
    Ok(out)
}

/// The legacy exec plugin's output: a YAML stream of the generated resources.
fn stream(generated: &[Zeroizing<String>]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for (i, g) in generated.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(g);
        out.push('\n');
    }
    out
}
