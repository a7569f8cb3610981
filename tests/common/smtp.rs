//! A real SMTP server for the tests (Python's aiosmtpd, started by the test; installed with pip
//! if it is missing) that keeps what it receives in a Maildir, and the messages read back with
//! Python's e-mail parser (headers decoded, each part in its own text).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// An SMTP server on 127.0.0.1 that keeps what it receives in a Maildir.
pub struct Smtp {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn aiosmtpd_available() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

impl Smtp {
    pub fn new(dir: &Path) -> Smtp {
        if !aiosmtpd_available() {
            let ok = Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "aiosmtpd"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(
                ok && aiosmtpd_available(),
                "this test needs python3 with aiosmtpd (python3 -m pip install aiosmtpd)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Smtp {
            port,
            dir: dir.to_path_buf(),
            child: None,
        }
    }

    pub fn start(&mut self) {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the SMTP server did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Every message received so far, as text.
    pub fn received(&self) -> Vec<String> {
        let mut out = vec![];
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap());
                }
            }
        }
        out
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A message as its reader sees it: the headers decoded, the text and HTML parts as text.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

const DECODE: &str = r#"
import email, email.policy, json, os, sys
out = []
for sub in ("new", "cur"):
    d = os.path.join(sys.argv[1], sub)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        with open(os.path.join(d, f), "rb") as fh:
            m = email.message_from_binary_file(fh, policy=email.policy.default)
        t = m.get_body(preferencelist=("plain",))
        h = m.get_body(preferencelist=("html",))
        out.append({"to": str(m["To"]), "subject": str(m["Subject"]),
                    "text": t.get_content() if t else "", "html": h.get_content() if h else ""})
print(json.dumps(out))
"#;

impl Smtp {
    /// Every message received so far, decoded.
    pub fn decoded(&self) -> Vec<Received> {
        let out = Command::new("python3")
            .args(["-c", DECODE])
            .arg(&self.dir)
            .output()
            .expect("python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
