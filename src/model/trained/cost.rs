//! What training cost: wall-clock time, CPU time, and energy.
//!
//! Energy is measured from the CPU's package energy counters (Linux
//! powercap/RAPL: `/sys/class/powercap/intel-rapl:N/energy_uj`, one per
//! package, summed, with the counter's wrap-around handled) when they are
//! readable, which often needs root. They count the whole package — every
//! process on it, not loam alone — and leave out memory on most machines,
//! the screen, the disk and the power supply's losses: on a busy machine
//! they over-state loam's share, on an idle one they are close (within about
//! 10 % of a wall meter's reading for the package itself).
//!
//! Otherwise energy is estimated as CPU seconds × [`WATTS_PER_BUSY_CORE`]:
//! the power one busy core of a laptop or desktop CPU adds, roughly. Real
//! figures run from about 3 W (efficient laptop cores) to 20 W and more
//! (desktop cores at high clocks), so the estimate is good to a factor of
//! about two either way. Both methods say which they are, in the report and
//! in the model card.
//!
//! Grams of CO2e are shown only when the musician gives the grid's
//! intensity (`--grid-gco2-per-kwh`): joules / 3.6 MJ per kWh × g per kWh.
//!
//! `LOAM_POWERCAP_DIR` names another folder to read the counters from (tests
//! point it at a folder of their own; an empty or missing one forces the
//! estimate).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Watts one busy CPU core draws, for the estimate when no energy counter
/// is readable: a middle figure for laptop and desktop cores (3–20 W).
pub const WATTS_PER_BUSY_CORE: f64 = 10.0;

/// Where Linux exposes the CPU's energy counters.
pub const POWERCAP_DIR: &str = "/sys/class/powercap";

/// How the energy was found.
#[derive(Debug, Clone, PartialEq)]
pub enum EnergyMethod {
    /// Measured by the CPU's package energy counters.
    Rapl {
        /// How many package counters were summed.
        packages: usize,
    },
    /// Estimated from CPU time.
    Estimate {
        /// The figure used, in watts per busy core.
        watts_per_core: f64,
        /// Why the counters were not used.
        why: String,
    },
}

impl EnergyMethod {
    /// `rapl` or `estimate`.
    pub fn name(&self) -> &'static str {
        match self {
            EnergyMethod::Rapl { .. } => "rapl",
            EnergyMethod::Estimate { .. } => "estimate",
        }
    }
}

impl fmt::Display for EnergyMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnergyMethod::Rapl { packages } => write!(
                f,
                "measured by the CPU's energy counters (RAPL, {packages} package(s); the whole package, other processes included)"
            ),
            EnergyMethod::Estimate { watts_per_core, why } => write!(
                f,
                "estimated as CPU time x {watts_per_core} W per busy core (good to a factor of about two; {why})"
            ),
        }
    }
}

/// What one training cost.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingCost {
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// CPU seconds (user and system, every thread of the process).
    pub cpu_seconds: f64,
    /// Joules.
    pub energy_joules: f64,
    /// How the joules were found.
    pub method: EnergyMethod,
    /// The grid's intensity, when given.
    pub grid_gco2_per_kwh: Option<f64>,
}

impl TrainingCost {
    /// Grams of CO2e, when a grid intensity was given.
    pub fn co2e_grams(&self) -> Option<f64> {
        self.grid_gco2_per_kwh
            .map(|g| self.energy_joules / 3.6e6 * g)
    }
}

impl fmt::Display for TrainingCost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "training took {:.2} s wall clock, {:.2} s CPU, {:.1} J ({:.4} Wh) {}",
            self.wall_seconds,
            self.cpu_seconds,
            self.energy_joules,
            self.energy_joules / 3600.0,
            self.method
        )?;
        if let (Some(g), Some(grams)) = (self.grid_gco2_per_kwh, self.co2e_grams()) {
            if grams >= 0.1 {
                write!(f, "; {grams:.1} g CO2e at {g} g/kWh")?;
            } else {
                write!(f, "; {grams:.2e} g CO2e at {g} g/kWh")?;
            }
        }
        Ok(())
    }
}

/// One package counter: its file, its reading at the start, and where it wraps.
struct Counter {
    file: PathBuf,
    start: u64,
    range: u64,
}

/// Started before training, finished after it.
pub struct CostMeter {
    started: Instant,
    cpu_start: Option<Duration>,
    counters: Result<Vec<Counter>, String>,
    grid_gco2_per_kwh: Option<f64>,
}

impl CostMeter {
    /// Starts measuring, reading the counters under `LOAM_POWERCAP_DIR` or [`POWERCAP_DIR`].
    pub fn start(grid_gco2_per_kwh: Option<f64>) -> CostMeter {
        let dir = std::env::var_os("LOAM_POWERCAP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(POWERCAP_DIR));
        CostMeter::start_with(&dir, grid_gco2_per_kwh)
    }

    /// Starts measuring with the counters under `powercap`.
    pub fn start_with(powercap: &Path, grid_gco2_per_kwh: Option<f64>) -> CostMeter {
        CostMeter {
            started: Instant::now(),
            cpu_start: cpu_time(),
            counters: counters(powercap),
            grid_gco2_per_kwh,
        }
    }

    /// What it cost since [`CostMeter::start`].
    pub fn finish(self) -> TrainingCost {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = match (self.cpu_start, cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
            // No CPU clock on this system: count one busy core.
            _ => wall,
        };
        let measured = self.counters.and_then(|cs| {
            let mut uj = 0u64;
            for c in &cs {
                let now = read_u64(&c.file)
                    .ok_or_else(|| format!("{} became unreadable", c.file.display()))?;
                uj += if now >= c.start {
                    now - c.start
                } else {
                    c.range.saturating_sub(c.start) + now
                };
            }
            Ok((uj as f64 / 1e6, cs.len()))
        });
        let (energy_joules, method) = match measured {
            Ok((j, packages)) => (j, EnergyMethod::Rapl { packages }),
            Err(why) => (
                cpu * WATTS_PER_BUSY_CORE,
                EnergyMethod::Estimate {
                    watts_per_core: WATTS_PER_BUSY_CORE,
                    why,
                },
            ),
        };
        TrainingCost {
            wall_seconds: wall,
            cpu_seconds: cpu,
            energy_joules,
            method,
            grid_gco2_per_kwh: self.grid_gco2_per_kwh,
        }
    }
}

/// The package counters (`intel-rapl:N`, not their sub-zones `intel-rapl:N:M`).
fn counters(dir: &Path) -> Result<Vec<Counter>, String> {
    let unreadable = || format!("no readable energy counters under {}", dir.display());
    let mut zones: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|_| unreadable())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("intel-rapl:"))
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(':'))
        })
        .collect();
    zones.sort();
    let mut out = Vec::new();
    for z in zones {
        let file = z.join("energy_uj");
        let start = read_u64(&file).ok_or_else(unreadable)?;
        let range = read_u64(&z.join("max_energy_range_uj")).unwrap_or(u64::MAX);
        out.push(Counter { file, start, range });
    }
    if out.is_empty() {
        return Err(unreadable());
    }
    Ok(out)
}

fn read_u64(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// CPU time of the whole process so far (user + system, all threads).
#[cfg(target_os = "linux")]
fn cpu_time() -> Option<Duration> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let d = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Some(d(usage.ru_utime) + d(usage.ru_stime))
}

/// CPU time is not read on this system: the caller counts one busy core.
#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("loam-cost-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn busy() {
        let mut x = 0u64;
        for i in 0..3_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        std::hint::black_box(x);
    }

    #[test]
    fn counters_are_read_summed_and_wrapped_and_named() {
        let dir = temp("rapl");
        for (zone, start) in [
            ("intel-rapl:0", 1_000_000u64),
            ("intel-rapl:1", 999_000_000),
        ] {
            std::fs::create_dir_all(dir.join(zone)).unwrap();
            std::fs::write(dir.join(zone).join("energy_uj"), format!("{start}\n")).unwrap();
            std::fs::write(dir.join(zone).join("max_energy_range_uj"), "1000000000\n").unwrap();
        }
        // A sub-zone (a core or DRAM) is inside its package's count: not summed again.
        std::fs::create_dir_all(dir.join("intel-rapl:0:0")).unwrap();
        std::fs::write(dir.join("intel-rapl:0:0/energy_uj"), "5").unwrap();
        let meter = CostMeter::start_with(&dir, Some(400.0));
        std::fs::write(dir.join("intel-rapl:0/energy_uj"), "3000000").unwrap(); // +2 J
        std::fs::write(dir.join("intel-rapl:1/energy_uj"), "500000").unwrap(); // wrapped: +1.5 J
        std::fs::write(dir.join("intel-rapl:0:0/energy_uj"), "900000000").unwrap();
        let cost = meter.finish();
        assert_eq!(cost.method, EnergyMethod::Rapl { packages: 2 });
        assert!(
            (cost.energy_joules - 3.5).abs() < 1e-9,
            "{}",
            cost.energy_joules
        );
        assert!((cost.co2e_grams().unwrap() - 3.5 / 3.6e6 * 400.0).abs() < 1e-12);
        let text = cost.to_string();
        assert!(
            text.contains("measured by the CPU's energy counters (RAPL, 2 package(s)"),
            "{text}"
        );
        assert!(text.contains("g CO2e at 400 g/kWh"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_counters_the_estimate_is_used_and_says_so() {
        let dir = temp("none");
        let meter = CostMeter::start_with(&dir, None);
        busy();
        let cost = meter.finish();
        assert_eq!(cost.method.name(), "estimate");
        assert!(cost.cpu_seconds > 0.0);
        assert!((cost.energy_joules - cost.cpu_seconds * WATTS_PER_BUSY_CORE).abs() < 1e-9);
        assert_eq!(cost.co2e_grams(), None);
        let text = cost.to_string();
        assert!(
            text.contains("estimated as CPU time x 10 W per busy core"),
            "{text}"
        );
        assert!(text.contains("no readable energy counters under"), "{text}");
        assert!(!text.contains("CO2e"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
