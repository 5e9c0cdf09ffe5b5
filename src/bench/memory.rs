//! Resident memory of a process from `/proc/<pid>/status` (Linux): `VmRSS` (now) and `VmHWM`
//! (the peak since the process started), both in KiB there.

use anyhow::Context as _;

/// A process's resident memory, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_kib: u64,
}

impl Memory {
    pub fn rss_mib(&self) -> f64 {
        kib_to_mib(self.rss_kib)
    }

    pub fn peak_mib(&self) -> f64 {
        kib_to_mib(self.peak_kib)
    }
}

#[allow(clippy::cast_precision_loss)]
fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reads `VmRSS` and `VmHWM` out of the text of `/proc/<pid>/status`.
pub fn parse_status(text: &str) -> Option<Memory> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let mut parts = rest.split_whitespace();
            let value: u64 = parts.next()?.parse().ok()?;
            match parts.next() {
                Some("kB") | None => Some(value),
                Some(_) => None,
            }
        })
    };
    Some(Memory { rss_kib: field("VmRSS")?, peak_kib: field("VmHWM")? })
}

/// The memory of process `pid` now.
pub fn read(pid: u32) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status(&text).with_context(|| format!("no VmRSS/VmHWM in {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\ttongdai\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  912340 kB\n\
        VmSize:\t  850000 kB\nVmHWM:\t   48216 kB\nVmRSS:\t   31744 kB\nRssAnon:\t   20000 kB\nThreads:\t5\n";

    #[test]
    fn reads_rss_and_peak_in_kib() {
        let memory = parse_status(STATUS).expect("both fields");
        assert_eq!(memory, Memory { rss_kib: 31_744, peak_kib: 48_216 });
        assert!((memory.rss_mib() - 31.0).abs() < 1e-9);
        assert!((memory.peak_mib() - 47.085_937_5).abs() < 1e-9);
    }

    #[test]
    fn missing_or_odd_fields_are_refused() {
        assert_eq!(parse_status("Name:\tx\nVmRSS:\t100 kB\n"), None, "no VmHWM (a kernel thread has neither)");
        assert_eq!(parse_status("VmRSS:\tlots kB\nVmHWM:\t1 kB\n"), None);
        assert_eq!(parse_status("VmRSS:\t1 MB\nVmHWM:\t1 kB\n"), None, "only kB is known");
        assert_eq!(parse_status("VmRSSX:\t5 kB\nVmRSS:\t7 kB\nVmHWM:\t9 kB\n").map(|m| m.rss_kib), Some(7));
    }
}
