//! ANSI styling for the text report, the one place that decides what an escape looks like,
//! and whether `--color auto` colors at all ([`auto_enabled`]).
//!
//! Invariant: every function here returns its input unchanged when color is off, so a report
//! rendered with `color: false` cannot contain a single escape byte, whatever the data.

use std::ffi::OsStr;

use super::insight::Health;
use super::model::MAX_LEVEL;

/// The 11-level gradient, dark green through yellow to dark red, as ANSI-256 indexes.
///
/// Points of the 6x6x6 color cube (index = 16 + 36r + 6g + b) picked along the path
/// (0,1,0)→(0,4,0)→(1,5,0)→(5,5,0)→(5,1,0)→(4,0,0)→(2,0,0): every corner of the path is kept
/// so the hue turns where the original tool's did, and the long straight runs are sampled
/// every other step so neighbouring levels stay distinguishable.
pub(crate) const GRADIENT: [u8; MAX_LEVEL as usize + 1] = [
    22,  // (0,1,0) dark green
    34,  // (0,3,0)
    40,  // (0,4,0)
    82,  // (1,5,0) bright green
    154, // (3,5,0) yellow-green
    226, // (5,5,0) yellow
    214, // (5,3,0) orange
    202, // (5,1,0) red-orange
    160, // (4,0,0) red
    124, // (3,0,0)
    88,  // (2,0,0) dark red
];

/// Whether `--color auto` colors the report: only on a terminal, and neither `NO_COLOR` set
/// to anything non-empty (no-color.org) nor `TERM=dumb` (a terminal that cannot show escapes,
/// such as Emacs' shell buffer or a serial console). Pure, so the environment is read by the
/// caller and the policy is tested here.
pub fn auto_enabled(is_tty: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
    is_tty && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
}

/// Whether to style, copied from `TextStyle` so helpers need not know about the public type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Painter {
    pub(crate) color: bool,
}

impl Painter {
    /// `text` in the gradient color of `level` (clamped to the darkest red).
    pub(crate) fn level(self, level: u8, text: &str) -> String {
        let index = GRADIENT[usize::from(level.min(MAX_LEVEL))];
        self.fg(index, text)
    }

    /// `text` in the color of a health verdict: green, yellow or red from the same gradient,
    /// so insight lines and histogram bars speak one visual language.
    pub(crate) fn health(self, health: Health, text: &str) -> String {
        let level = match health {
            Health::Good => 2,
            Health::Warn => 5,
            Health::Bad => 8,
        };
        self.level(level, text)
    }

    /// `text` in bold, for section headers.
    pub(crate) fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn fg(self, index: u8, text: &str) -> String {
        self.wrap(&format!("38;5;{index}"), text)
    }

    fn wrap(self, sgr: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: [(u8, u8, u8); 7] = [
        (0, 1, 0),
        (0, 4, 0),
        (1, 5, 0),
        (5, 5, 0),
        (5, 1, 0),
        (4, 0, 0),
        (2, 0, 0),
    ];

    fn cube(index: u8) -> (u8, u8, u8) {
        let i = index - 16;
        (i / 36, (i / 6) % 6, i % 6)
    }

    /// Position along the path (segment, fraction) of a cube point, or None when off the path.
    fn position(p: (u8, u8, u8)) -> Option<f64> {
        let f = |v: u8| f64::from(v);
        for (seg, pair) in PATH.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let (da, db, dc) = (f(b.0) - f(a.0), f(b.1) - f(a.1), f(b.2) - f(a.2));
            let len = da.abs().max(db.abs()).max(dc.abs());
            for step in 0..=(len as u32) {
                let t = f64::from(step) / len;
                let q = (f(a.0) + da * t, f(a.1) + db * t, f(a.2) + dc * t);
                if (q.0 - f(p.0)).abs() < 1e-9
                    && (q.1 - f(p.1)).abs() < 1e-9
                    && (q.2 - f(p.2)).abs() < 1e-9
                {
                    return Some(seg as f64 + t);
                }
            }
        }
        None
    }

    #[test]
    fn gradient_walks_the_path_from_dark_green_to_dark_red() {
        let positions: Vec<f64> = GRADIENT
            .iter()
            .map(|&i| position(cube(i)).unwrap_or_else(|| panic!("{i} is off the path")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert_eq!(cube(GRADIENT[0]), PATH[0]);
        assert_eq!(cube(GRADIENT[10]), PATH[6]);
        for corner in PATH {
            assert!(GRADIENT.iter().any(|&i| cube(i) == corner), "{corner:?}");
        }
    }

    #[test]
    fn auto_colors_only_a_capable_terminal_without_no_color() {
        let os = |s: &'static str| Some(OsStr::new(s));
        assert!(auto_enabled(true, None, None));
        assert!(auto_enabled(true, None, os("xterm-256color")));
        assert!(auto_enabled(true, os(""), os("screen")));
        assert!(!auto_enabled(false, None, os("xterm-256color")));
        assert!(!auto_enabled(true, os("1"), os("xterm")));
        assert!(!auto_enabled(true, None, os("dumb")));
        assert!(!auto_enabled(true, os("1"), os("dumb")));
    }

    #[test]
    fn no_escape_without_color() {
        let p = Painter { color: false };
        assert_eq!(p.level(10, "x"), "x");
        assert_eq!(p.health(Health::Bad, "y"), "y");
        assert_eq!(p.bold("z"), "z");
        let c = Painter { color: true };
        assert_eq!(c.level(0, "x"), "\x1b[38;5;22mx\x1b[0m");
        assert_eq!(c.level(200, "x"), "\x1b[38;5;88mx\x1b[0m");
    }
}
