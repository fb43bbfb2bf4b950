//! A dataset pattern (or one a model generated) as loam mini-notation, so it
//! can play as a loop: one stacked layer per instrument, one `|` part per
//! metre group, six steps per pulse (binary and ternary subdivisions both
//! land on the grid). A hit's velocity and micro-timing ride on its step as
//! `kick^0.73'-0.042` (velocity 0.73, 0.042 of a pulse early), written only
//! where they differ from 1 and 0.

use super::{DrumBar, CELLS_PER_PULSE};

impl DrumBar {
    /// `"kick ~ ~ … | … , hat … | …"`; `"~"` for an empty bar.
    pub fn to_mini_notation(&self) -> String {
        let groups = self.metre.groups().to_vec();
        let cells_per_pulse = CELLS_PER_PULSE;
        let total: u32 = groups.iter().sum::<u32>() * cells_per_pulse;
        let mut instruments: Vec<&str> = Vec::new();
        for h in &self.hits {
            if !instruments.contains(&h.instrument.as_str()) {
                instruments.push(&h.instrument);
            }
        }
        let layers: Vec<String> = instruments
            .iter()
            .map(|inst| {
                let mut steps = vec!["~".to_string(); total as usize];
                for h in self.hits.iter().filter(|h| h.instrument == *inst) {
                    if h.cell < total {
                        steps[h.cell as usize] = step(h);
                    }
                }
                let mut parts = Vec::new();
                let mut at = 0usize;
                for g in &groups {
                    let n = (*g * cells_per_pulse) as usize;
                    parts.push(steps[at..at + n].join(" "));
                    at += n;
                }
                parts.join(" | ")
            })
            .collect();
        if layers.is_empty() {
            "~".to_string()
        } else {
            layers.join(", ")
        }
    }
}

/// One hit as a step: its name, then `^velocity` and `'nudge` where they
/// are not 1 and 0.
fn step(h: &super::Hit) -> String {
    let mut s = h.instrument.clone();
    let v = h.velocity.clamp(0.0, 2.0);
    if (v - 1.0).abs() >= 0.005 {
        s.push_str(&format!("^{v:.2}"));
    }
    let n = h.shift.clamp(-1.0, 1.0);
    if n.abs() >= 0.0005 {
        s.push_str(&format!("'{n:.3}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Hit;
    use crate::pattern::{Pattern as Mini, QueryContext};
    use crate::time::{q, Metre};

    #[test]
    fn hits_land_where_they_were() {
        let metre = Metre::parse("2+2+3/8").unwrap();
        let mut p = DrumBar::new("t", metre.clone());
        for (inst, cell) in [("kick", 0), ("hat", 3), ("snare", 12), ("kick", 24)] {
            p.hits.push(Hit {
                instrument: inst.into(),
                cell,
                velocity: 1.0,
                shift: 0.0,
            });
        }
        let text = p.to_mini_notation();
        let mini = Mini::parse(&text).unwrap();
        let ctx = QueryContext {
            groups: metre.groups(),
            seed: 0,
        };
        let got: Vec<(crate::time::Rational, String)> = mini
            .query(q(0, 1), q(1, 1), &ctx)
            .into_iter()
            .map(|e| (e.onset, e.sound))
            .collect();
        // 7 pulses × 6 cells = 42 cells a bar.
        assert_eq!(
            got,
            vec![
                (q(0, 1), "kick".to_string()),
                (q(3, 42), "hat".to_string()),
                (q(12, 42), "snare".to_string()),
                (q(24, 42), "kick".to_string()),
            ]
        );
        assert_eq!(DrumBar::new("e", metre).to_mini_notation(), "~");
    }

    #[test]
    fn velocity_and_micro_timing_ride_on_the_steps() {
        let metre = Metre::parse("3/4").unwrap();
        let mut p = DrumBar::new("t", metre.clone());
        for (inst, cell, velocity, shift) in [
            ("kick", 0, 1.0, 0.0),
            ("hat", 6, 0.4, 0.1),
            ("snare", 12, 0.8, -0.05),
        ] {
            p.hits.push(Hit {
                instrument: inst.into(),
                cell,
                velocity,
                shift,
            });
        }
        let text = p.to_mini_notation();
        assert!(
            text.contains("hat^0.40'0.100") && text.contains("snare^0.80'-0.050"),
            "{text}"
        );
        assert!(!text.contains("kick^"), "{text}");
        let mini = Mini::parse(&text).unwrap();
        let ctx = QueryContext {
            groups: metre.groups(),
            seed: 0,
        };
        let notes = crate::pattern::query_transformed(&mini, &[], q(0, 1), q(1, 1), &ctx);
        let got: Vec<(crate::time::Rational, String, f64)> = notes
            .into_iter()
            .map(|n| (n.onset, n.sound, n.velocity))
            .collect();
        // Three pulses a bar: a pulse is 1/3 of the cycle.
        assert_eq!(
            got,
            vec![
                (q(0, 1), "kick".to_string(), 1.0),
                (q(1, 3) + q(1, 10) * q(1, 3), "hat".to_string(), 0.4),
                (q(2, 3) - q(1, 20) * q(1, 3), "snare".to_string(), 0.8),
            ]
        );
    }
}
