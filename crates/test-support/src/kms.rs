//! A real KMS API: moto, started by ./scripts/test (`HUSH_TEST_MOTO`), and
//! a relay in front of it that records what clients send.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// moto's URL. Never skips: panics with a hint to use ./scripts/test.
pub fn moto() -> String {
    std::env::var("HUSH_TEST_MOTO")
        .expect("HUSH_TEST_MOTO is not set: run ./scripts/test, which starts moto")
}

/// A new KMS key in moto; returns its ARN.
pub fn create_key() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import boto3,sys; c=boto3.client('kms', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test'); print(c.create_key()['KeyMetadata']['Arn'])", &moto()])
        .output()
        .expect("python3 with boto3 (installed with moto)");
    assert!(
        out.status.success(),
        "create_key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The environment that points an AWS SDK (Go or Rust) at `endpoint` with
/// dummy credentials and no instance metadata.
pub fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// Relays TCP to moto and records every byte clients send.
pub struct Relay {
    /// The relay's URL, for `AWS_ENDPOINT_URL`.
    pub url: String,
    /// Everything clients sent, in order.
    pub sent: Arc<Mutex<Vec<u8>>>,
}

impl Relay {
    /// A relay to moto on a free loopback port, serving until the process ends.
    pub fn start() -> Relay {
        let upstream = moto().trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = Arc::new(Mutex::new(Vec::new()));
        let log = sent.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, log) = (upstream.clone(), log.clone());
                std::thread::spawn(move || pipe(client, &upstream, &log));
            }
        });
        Relay { url, sent }
    }

    /// How often `needle` (case-insensitive) appeared in what clients sent.
    pub fn count(&self, needle: &str) -> usize {
        let hay = String::from_utf8_lossy(&self.sent.lock().unwrap()).to_lowercase();
        hay.matches(&needle.to_lowercase()).count()
    }
}

fn pipe(mut client: TcpStream, upstream: &str, log: &Mutex<Vec<u8>>) {
    let Ok(mut server) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut s2, &mut c2);
        let _ = c2.shutdown(std::net::Shutdown::Both);
    });
    let mut buf = [0u8; 16384];
    while let Ok(n) = client.read(&mut buf) {
        if n == 0 || server.write_all(&buf[..n]).is_err() {
            break;
        }
        log.lock().unwrap().extend_from_slice(&buf[..n]);
    }
    let _ = server.shutdown(std::net::Shutdown::Write);
}
