//! Crash safety: `hush encrypt -i`, `rotate -i` and `edit` are killed with
//! SIGKILL at random points, 200 times in all. The target must always be
//! the old file or a complete new one that decrypts, never torn, truncated
//! or empty; `edit` must leave no plaintext in TMPDIR once its watchdog ran.
//! The delays are drawn from a fixed seed (`HUSH_CRASH_SEED` to change it),
//! up to 1.5 times each command's measured run time.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PLAIN: &str =
    "stringData:\n  password: crash-old-value\n  token: abc\nlist:\n  - one\n  - two\n";
const EDITED: &str =
    "stringData:\n  password: crash-new-value\n  token: abc\nlist:\n  - one\n  - two\n";
const KILLS: usize = 200;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Encrypt,
    Rotate,
    Edit,
}

struct Bench<'a> {
    ctx: &'a Ctx,
    editor: String,
    tmp: std::path::PathBuf,
    encrypted: String,
}

impl Bench<'_> {
    /// Puts the old file in place and returns the command to run on it.
    fn prepare(&self, op: Op) -> (Command, String) {
        let (old, args): (&str, Vec<&str>) = match op {
            Op::Encrypt => (
                PLAIN,
                vec!["encrypt", "--age", &self.ctx.recipient, "-i", "t.yaml"],
            ),
            Op::Rotate => (&self.encrypted, vec!["rotate", "-i", "t.yaml"]),
            Op::Edit => (&self.encrypted, vec!["edit", "t.yaml"]),
        };
        self.ctx.write("t.yaml", old);
        let mut c = Command::new(hush_bin());
        c.args(args)
            .current_dir(self.ctx.dir.path())
            .env("SOPS_AGE_KEY_FILE", &self.ctx.key_file)
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_RECIPIENTS")
            .env_remove("SOPS_CONFIG")
            .env("HOME", self.ctx.dir.path())
            .env("EDITOR", &self.editor)
            .env_remove("SOPS_EDITOR")
            .env_remove("VISUAL")
            .env("TMPDIR", &self.tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        (c, old.to_string())
    }

    /// Checks the target after a run; true if it is the new file.
    fn check(&self, op: Op, old: &str) -> bool {
        let now = self.ctx.read("t.yaml");
        if now == old {
            return false;
        }
        let want = match op {
            Op::Encrypt | Op::Rotate => PLAIN,
            Op::Edit => EDITED,
        };
        let o = self.ctx.hush(&["decrypt", "t.yaml"]);
        assert!(
            o.ok() && o.stdout == want,
            "{op:?}: the target is neither the old file nor a complete new one (exit {}: {})\n{now}",
            o.code,
            o.stderr
        );
        true
    }
}

fn time_one(b: &Bench, op: Op) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let (mut c, old) = b.prepare(op);
        let t = Instant::now();
        let status = c.status().unwrap();
        best = best.min(t.elapsed());
        assert!(status.success(), "{op:?} failed");
        assert!(b.check(op, &old), "{op:?} did not change the file");
    }
    best
}

/// Files other than the fixtures, left in the context dir.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hush-"))
        .collect()
}

#[test]
fn killing_hush_at_random_points_never_tears_the_target() {
    let ctx = Ctx::new();
    let tmp = ctx.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let ed = ctx.write(
        "ed.sh",
        "#!/bin/sh\nsed -i 's/crash-old-value/crash-new-value/' \"$1\"\n",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ed, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    ctx.write("t.yaml", PLAIN);
    let encrypted = expect_ok(
        "encrypt",
        &ctx.hush(&["encrypt", "--age", &ctx.recipient, "t.yaml"]),
    );
    let b = Bench {
        ctx: &ctx,
        editor: ed.display().to_string(),
        tmp: tmp.clone(),
        encrypted,
    };
    let ops = [Op::Encrypt, Op::Rotate, Op::Edit];
    let times: Vec<Duration> = ops.iter().map(|&op| time_one(&b, op)).collect();
    let seed = std::env::var("HUSH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0005_eed8_u64);
    let mut rng = Rng(seed | 1);
    let mut tally = [[0usize; 2]; 3];
    let mut stray = Vec::new();
    for i in 0..KILLS {
        let k = i % ops.len();
        let (op, limit) = (ops[k], times[k].as_micros() as u64 * 3 / 2);
        let (mut c, old) = b.prepare(op);
        let delay = Duration::from_micros(rng.below(limit));
        let mut child = c.spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let new = b.check(op, &old);
        tally[k][usize::from(new)] += 1;
        // An atomic write killed before its rename leaves its temp file
        // (ciphertext) beside the target; the target itself is intact.
        for f in leftovers(ctx.dir.path()) {
            stray.push(format!("{op:?}: {f}"));
            let _ = std::fs::remove_file(ctx.path(&f));
        }
    }
    eprintln!(
        "crash safety (seed {seed:#x}): {KILLS} kills; run times {times:?}; (old, new) per command: encrypt -i {:?}, rotate -i {:?}, edit {:?}; {} temp files left beside the target",
        tally[0], tally[1], tally[2], stray.len()
    );
    // The edit watchdog removes the plaintext dirs of killed edits.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut left = std::fs::read_dir(&tmp).unwrap().count();
    while left > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = std::fs::read_dir(&tmp).unwrap().count();
    }
    let what: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| {
            let inner: Vec<_> = std::fs::read_dir(e.path())
                .map(|d| d.flatten().map(|f| f.file_name()).collect())
                .unwrap_or_default();
            format!("{:?} holding {inner:?}", e.file_name())
        })
        .collect();
    assert_eq!(left, 0, "temp dirs left in TMPDIR after kill -9: {what:?}");
    for (k, t) in tally.iter().enumerate() {
        assert!(t[0] + t[1] > 0, "{:?} never ran", ops[k]);
    }
}
