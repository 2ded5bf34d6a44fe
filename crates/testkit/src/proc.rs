//! Processes of black-box tests: start the real binary, read the address it announces, kill it
//! with SIGKILL; free ports; headless Chromium; waiting for an event.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago (for a server that must be told its port
/// before it starts; prefer `--listen 127.0.0.1:0` and [`spawn_listening`] where possible).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// Spawns `cmd` with stdout piped, reads its output until a line announces an `http://` or
/// `https://` address (e.g. `listening on http://127.0.0.1:40123/`) and returns the child and
/// that address. The rest of stdout keeps being drained, so the child never blocks on a full
/// pipe. Panics with what the child printed when it exits before announcing an address.
pub fn spawn_listening(cmd: &mut Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn the program under test");
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .expect("read the program's output");
        if n == 0 {
            let status = child.wait().ok();
            panic!(
                "the program ended ({status:?}) without announcing an address; it printed:\n{seen}"
            );
        }
        if let Some(u) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        {
            break u.to_string();
        }
        seen.push_str(&line);
    };
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    (child, url)
}

/// SIGKILL (no chance to clean up), then reaps the child.
pub fn kill9(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// The headless Chromium of this machine (`chromium`, `chromium-browser` or `google-chrome` on
/// `PATH`). Panics when there is none: the tests that need it never skip.
pub fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("headless Chromium is required for this test (apt-get install -y chromium)");
}

/// Polls `check` every 50 ms until it answers true. Panics after `limit` (an upper bound for a
/// busy machine, not a delay the test relies on), naming `what`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_announced_address_after_other_lines() {
        let (mut child, url) = spawn_listening(Command::new("sh").args([
            "-c",
            "echo starting; echo 'listening on http://127.0.0.1:9/ now'; sleep 30",
        ]));
        assert_eq!(url, "http://127.0.0.1:9/");
        kill9(&mut child);
    }

    #[test]
    #[should_panic(expected = "without announcing an address")]
    fn a_program_that_ends_early_fails_the_test() {
        spawn_listening(Command::new("sh").args(["-c", "echo oops"]));
    }

    #[test]
    fn free_ports_are_bindable() {
        let p = free_port();
        std::net::TcpListener::bind(("127.0.0.1", p)).unwrap();
    }

    #[tokio::test]
    async fn waits_for_the_event() {
        let start = Instant::now();
        wait_until("a moment", Duration::from_secs(10), || async {
            start.elapsed() > Duration::from_millis(120)
        })
        .await;
    }
}
