//! Charts as inline SVG, written by hand: no JavaScript, no fonts, no
//! external references. The HTML report and the live dashboard share it.
//!
//! Output is deterministic (the same chart renders to the same bytes), and
//! coordinates keep one decimal to keep the file small.

use std::fmt::Write;

use crate::xml::escape;

/// Colours that stay apart on screen and in print.
pub(crate) const BLUE: &str = "#1f77b4";
pub(crate) const ORANGE: &str = "#ff7f0e";
pub(crate) const RED: &str = "#d62728";
pub(crate) const PURPLE: &str = "#9467bd";

/// The only URL in the output: the SVG namespace, which names and fetches nothing.
pub(crate) const XMLNS: &str = "http://www.w3.org/2000/svg";

/// One named set of (x, y) points.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub color: &'static str,
}

impl Series {
    pub(crate) fn new(
        name: impl Into<String>,
        color: &'static str,
        points: Vec<(f64, f64)>,
    ) -> Series {
        Series {
            name: name.into(),
            points,
            color,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scale {
    Linear,
    /// Ticks at powers of ten; points with x <= 0 are left out.
    Log10,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Line,
    Scatter,
}

/// A chart: x and y axes (y linear, from 0 unless the data goes below),
/// one or more series, a legend when there is more than one.
#[derive(Clone, Debug)]
pub(crate) struct Chart {
    pub title: String,
    /// With the unit, e.g. "time (s)".
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    pub kind: Kind,
    pub x_scale: Scale,
    pub y_scale: Scale,
    /// The y values are counts: ticks at whole numbers only.
    pub y_counts: bool,
    /// Labels the x ticks instead of their numbers (e.g. percentiles).
    pub x_tick_label: Option<fn(f64) -> String>,
    /// A line of small print under the chart.
    pub note: Option<String>,
}

impl Chart {
    pub(crate) fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Chart {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: Vec::new(),
            kind: Kind::Line,
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            y_counts: false,
            x_tick_label: None,
            note: None,
        }
    }

    pub(crate) fn kind(mut self, kind: Kind) -> Chart {
        self.kind = kind;
        self
    }

    pub(crate) fn series(mut self, s: Series) -> Chart {
        self.series.push(s);
        self
    }

    pub(crate) fn log_x(mut self, tick_label: Option<fn(f64) -> String>) -> Chart {
        self.x_scale = Scale::Log10;
        self.x_tick_label = tick_label;
        self
    }

    /// A log y axis, for values spanning decades (a latency tail).
    pub(crate) fn log_y(mut self) -> Chart {
        self.y_scale = Scale::Log10;
        self
    }

    /// Whole-number y ticks, for counts.
    pub(crate) fn counts_y(mut self) -> Chart {
        self.y_counts = true;
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Chart {
        self.note = Some(note.into());
        self
    }

    /// A complete `<svg>` element of `width` x `height` (it scales: it has a viewBox).
    pub(crate) fn render(&self, width: u32, height: u32) -> String {
        let (w, h) = (f64::from(width.max(200)), f64::from(height.max(120)));
        let legend = self.series.len() > 1;
        let top = TITLE_H + if legend { LEGEND_H } else { 0.0 };
        let bottom = BOTTOM_H + if self.note.is_some() { NOTE_H } else { 0.0 };
        let plot = Rect {
            x: LEFT_W,
            y: top,
            w: w - LEFT_W - RIGHT_W,
            h: (h - top - bottom).max(20.0),
        };
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            r##"<svg xmlns="{XMLNS}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{t}"><title>{t}</title><g font-family="sans-serif" font-size="11" fill="#333"><text x="{cx}" y="17" font-size="14" font-weight="bold" text-anchor="middle">{t}</text>"##,
            t = escape(&self.title),
            cx = n(w / 2.0),
        );
        if legend {
            self.legend(&mut out, w);
        }
        let axes = self.axes();
        match &axes {
            None => {
                let _ = write!(
                    out,
                    r##"<text x="{}" y="{}" font-size="14" fill="#888" text-anchor="middle">no data</text>"##,
                    n(plot.x + plot.w / 2.0),
                    n(plot.y + plot.h / 2.0)
                );
            }
            Some((x, y)) => {
                self.grid(&mut out, &plot, x, y);
                for s in &self.series {
                    self.plot_series(&mut out, &plot, x, y, s);
                }
            }
        }
        let _ = write!(
            out,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>"##,
            n(plot.x),
            n(plot.y),
            n(plot.w),
            n(plot.h)
        );
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" text-anchor="middle">{}</text><text transform="translate(13 {}) rotate(-90)" text-anchor="middle">{}</text>"##,
            n(plot.x + plot.w / 2.0),
            n(plot.y + plot.h + 32.0),
            escape(&self.x_label),
            n(plot.y + plot.h / 2.0),
            escape(&self.y_label)
        );
        if let Some(note) = &self.note {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" fill="#666">{}</text>"##,
                n(LEFT_W),
                n(h - 6.0),
                escape(note)
            );
        }
        out.push_str("</g></svg>");
        out
    }

    /// Swatches and names in a row under the title; names are cut to keep it on the chart.
    fn legend(&self, out: &mut String, w: f64) {
        let mut x = LEFT_W;
        let y = TITLE_H + LEGEND_H / 2.0;
        for s in &self.series {
            let name: String = s.name.chars().take(40).collect();
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{}</text>"##,
                n(x),
                n(y - 6.0),
                escape(s.color),
                n(x + 14.0),
                n(y + 3.0),
                escape(&name)
            );
            x += 14.0 + 6.5 * name.chars().count() as f64 + 16.0;
            if x > w - RIGHT_W {
                break;
            }
        }
    }

    /// The axes for the data, or None when there is nothing to draw.
    fn axes(&self) -> Option<(Axis, Axis)> {
        let mut pts = self
            .series
            .iter()
            .flat_map(|s| &s.points)
            .filter(|p| self.usable(p))
            .peekable();
        pts.peek()?;
        let log_y = self.y_scale == Scale::Log10;
        let y_floor = if log_y { f64::MAX } else { 0.0 };
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, y_floor, f64::MIN);
        for &(x, y) in pts {
            (x0, x1) = (x0.min(x), x1.max(x));
            (y0, y1) = (y0.min(y), y1.max(y));
        }
        let x = match self.x_scale {
            Scale::Linear => Axis::linear(x0, x1, 6),
            Scale::Log10 => Axis::log10(x0, x1),
        };
        let x = match self.x_tick_label {
            Some(label) => x.relabel(label),
            None => x,
        };
        if log_y {
            return Some((x, Axis::log10(y0, y1)));
        }
        // A little headroom, so that a line at the maximum (all users
        // running, say) is not drawn on top of the frame.
        let headroom = (y1 - y0).max(0.0) * 0.05;
        let min_step = if self.y_counts { 1.0 } else { 0.0 };
        Some((x, Axis::linear_stepped(y0, y1 + headroom, 5, min_step)))
    }

    /// A point this chart can place: finite, and above 0 on a log axis.
    fn usable(&self, &(x, y): &(f64, f64)) -> bool {
        x.is_finite()
            && y.is_finite()
            && (self.x_scale != Scale::Log10 || x > 0.0)
            && (self.y_scale != Scale::Log10 || y > 0.0)
    }

    fn grid(&self, out: &mut String, plot: &Rect, x: &Axis, y: &Axis) {
        out.push_str(r##"<g stroke="#e3e3e3">"##);
        for (v, _) in &x.ticks {
            let px = plot.x + x.frac(*v) * plot.w;
            let _ = write!(
                out,
                r#"<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/>"#,
                n(px),
                n(plot.y),
                n(plot.y + plot.h)
            );
        }
        for (v, _) in &y.ticks {
            let py = plot.y + plot.h - y.frac(*v) * plot.h;
            let _ = write!(
                out,
                r#"<line x1="{1}" y1="{0}" x2="{2}" y2="{0}"/>"#,
                n(py),
                n(plot.x),
                n(plot.x + plot.w)
            );
        }
        out.push_str("</g>");
        for (v, label) in &x.ticks {
            // The label at the right edge ends there, or the margin cuts it.
            let anchor = if x.frac(*v) > 0.999 { "end" } else { "middle" };
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
                n(plot.x + x.frac(*v) * plot.w),
                n(plot.y + plot.h + 15.0),
                escape(label)
            );
        }
        for (v, label) in &y.ticks {
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                n(plot.x - 5.0),
                n(plot.y + plot.h - y.frac(*v) * plot.h + 4.0),
                escape(label)
            );
        }
    }

    fn plot_series(&self, out: &mut String, plot: &Rect, x: &Axis, y: &Axis, s: &Series) {
        let mut coords = s.points.iter().filter(|p| self.usable(p)).map(|&(vx, vy)| {
            (
                n(plot.x + x.frac(vx) * plot.w),
                n(plot.y + plot.h - y.frac(vy) * plot.h),
            )
        });
        let color = escape(s.color);
        match self.kind {
            Kind::Line => {
                let _ = write!(
                    out,
                    r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" stroke-linejoin="round" points=""#
                );
                let mut first = true;
                for (px, py) in coords {
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    let _ = write!(out, "{px},{py}");
                }
                out.push_str(r#""/>"#);
            }
            Kind::Scatter => {
                // A dot is a zero-length segment with a round cap: about
                // 12 bytes a point, against 40 for a <circle>.
                let _ = write!(
                    out,
                    r#"<path fill="none" stroke="{color}" stroke-width="3" stroke-linecap="round" stroke-opacity="0.6" d=""#
                );
                for (px, py) in coords.by_ref() {
                    let _ = write!(out, "M{px} {py}h0");
                }
                out.push_str(r#""/>"#);
            }
        }
    }
}

const LEFT_W: f64 = 62.0;
const RIGHT_W: f64 = 18.0;
const TITLE_H: f64 = 28.0;
const LEGEND_H: f64 = 18.0;
const BOTTOM_H: f64 = 40.0;
const NOTE_H: f64 = 16.0;

struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// An axis: its range, its scale and its labelled ticks.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub ticks: Vec<(f64, String)>,
}

impl Axis {
    /// A range widened to whole "nice" steps (1, 2 or 5 times a power of
    /// ten), about `target` ticks, all within the range.
    pub(crate) fn linear(lo: f64, hi: f64, target: u32) -> Axis {
        Axis::linear_stepped(lo, hi, target, 0.0)
    }

    /// As `linear`, with steps of at least `min_step` (1 for counts).
    pub(crate) fn linear_stepped(lo: f64, hi: f64, target: u32, min_step: f64) -> Axis {
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else if lo > 0.0 {
            (0.0, lo)
        } else {
            (lo, lo + 1.0)
        };
        let step = nice_step((hi - lo) / f64::from(target.max(1))).max(min_step);
        let (first, last) = ((lo / step).floor(), (hi / step - 1e-9).ceil());
        let ticks = (first as i64..=last as i64)
            .map(|i| {
                let v = i as f64 * step;
                (v, number(v, step))
            })
            .collect();
        Axis {
            lo: first * step,
            hi: last * step,
            log: false,
            ticks,
        }
    }

    /// Whole decades around [lo, hi] (lo > 0), a tick at each power of ten.
    pub(crate) fn log10(lo: f64, hi: f64) -> Axis {
        let first = lo.log10().floor() as i32;
        let last = (hi.log10().ceil() as i32).max(first + 1);
        let ticks = (first..=last)
            .map(|k| {
                let v = 10f64.powi(k);
                (v, number(v, v))
            })
            .collect();
        Axis {
            lo: 10f64.powi(first),
            hi: 10f64.powi(last),
            log: true,
            ticks,
        }
    }

    fn relabel(mut self, label: fn(f64) -> String) -> Axis {
        for (v, text) in &mut self.ticks {
            *text = label(*v);
        }
        self
    }

    /// Where `v` falls, from 0 (lo) to 1 (hi).
    pub(crate) fn frac(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }
}

/// The nearest 1, 2 or 5 times a power of ten to `raw` (> 0).
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let m = raw / mag;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.0 {
        2.0
    } else if m < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// A tick label with as many decimals as `step` needs; k and M for thousands and millions.
fn number(v: f64, step: f64) -> String {
    let (v, step, suffix) = if step >= 1e6 {
        (v / 1e6, step / 1e6, "M")
    } else if step >= 1e3 {
        (v / 1e3, step / 1e3, "k")
    } else {
        (v, step, "")
    };
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    if v == 0.0 {
        return "0".into();
    }
    format!("{v:.decimals$}{suffix}")
}

/// A coordinate, one decimal at most.
fn n(v: f64) -> String {
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    if s == "-0" { "0".into() } else { s.into() }
}

/// A percentile tick on a 1/(1-q) log axis: 1 -> "0%", 10 -> "90%",
/// 1000 -> "99.9%".
pub(crate) fn percentile_tick(x: f64) -> String {
    if x <= 1.0 {
        return "0%".into();
    }
    let decimals = (x.log10().round() as i32 - 2).max(0) as usize;
    format!("{:.decimals$}%", 100.0 * (1.0 - 1.0 / x))
}

#[cfg(test)]
mod tests;
