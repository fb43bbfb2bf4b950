//! A dataset pattern (or one a model generated) as loam mini-notation, so it
//! can play as a loop: one stacked layer per instrument, one `|` part per
//! metre group, six steps per pulse (binary and ternary subdivisions both
//! land on the grid). Velocity and micro-timing are not carried over.

use super::{Pattern, CELLS_PER_PULSE};

impl Pattern {
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
                let mut steps = vec!["~"; total as usize];
                for h in self.hits.iter().filter(|h| h.instrument == *inst) {
                    if h.cell < total {
                        steps[h.cell as usize] = inst;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Hit;
    use crate::pattern::{Pattern as Mini, QueryContext};
    use crate::time::{q, Metre};

    #[test]
    fn hits_land_where_they_were() {
        let metre = Metre::parse("2+2+3/8").unwrap();
        let mut p = Pattern::new("t", metre.clone());
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
        assert_eq!(Pattern::new("e", metre).to_mini_notation(), "~");
    }
}
