//! The service as a child process (`tongdai serve`) for benchmarks that look at it from outside:
//! its configuration is written to a file in the run's folder (no `TONGDAI_*` variable of this
//! process reaches it), its output goes to a log file there, start-up is timed up to the first
//! `GET /readyz` answered 200, and its memory is read from `/proc`. Killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use super::memory::{self, Memory};
use crate::config::Config;

/// A running `tongdai serve`.
pub struct ServiceChild {
    child: Child,
    /// `host:port` it listens on.
    pub address: String,
    log: PathBuf,
    spawned: Instant,
}

/// A free loopback port (there is a small window in which another process could take it).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr().context("reading the free port")?.port())
}

impl ServiceChild {
    /// Writes `config` to `folder/tongdai.toml` and starts `binary --config … serve`.
    pub fn spawn(binary: &Path, config: &Config, folder: &Path) -> anyhow::Result<Self> {
        let file = folder.join("tongdai.toml");
        let text = toml::to_string(config).context("writing the service's configuration as TOML")?;
        std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
        let log = folder.join("service.log");
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(&file)
            .arg("serve")
            .current_dir(folder)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().context("sharing the log file")?))
            .stderr(Stdio::from(out));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with(crate::config::ENV_PREFIX) {
                command.env_remove(name);
            }
        }
        let spawned = Instant::now();
        let child = command.spawn().with_context(|| format!("starting {} serve", binary.display()))?;
        Ok(Self { child, address: config.server.listen.clone(), log, spawned })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `GET /readyz` answers 200; returns the time since the process was started.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<Duration> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .context("building the readiness client")?;
        let url = format!("http://{}/readyz", self.address);
        loop {
            if let Ok(response) = http.get(&url).send().await {
                if response.status().is_success() {
                    return Ok(self.spawned.elapsed());
                }
            }
            if let Some(status) = self.child.try_wait().context("checking the service process")? {
                bail!("the service exited ({status}) before it was ready:\n{}", self.log_tail(20));
            }
            if self.spawned.elapsed() > timeout {
                bail!("the service was not ready within {timeout:?}:\n{}", self.log_tail(20));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Its resident memory now and its peak so far.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory::read(self.pid())
    }

    /// Fails with the end of the log when the process has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait().context("checking the service process")? {
            Some(status) => bail!("the service exited ({status}):\n{}", self.log_tail(20)),
            None => Ok(()),
        }
    }

    /// Waits until `count()` reaches `target`, or has not moved for `settle`; fails if the
    /// service exits meanwhile.
    pub async fn wait_for(&mut self, target: usize, settle: Duration, count: impl Fn() -> usize) -> anyhow::Result<()> {
        let mut last = (count(), Instant::now());
        while last.0 < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
            self.check_alive()?;
            let now = count();
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > settle {
                break;
            }
        }
        Ok(())
    }

    /// The last `lines` lines of its output.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for ServiceChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
