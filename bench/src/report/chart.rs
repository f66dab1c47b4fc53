//! The ramp chart, `<stamp>-ramp.svg` beside the report: delivery latency
//! p50 (dashed) and p95 (solid) of every ramp step against its number of
//! meetings M, one colour per target, both axes logarithmic, with the p95
//! objective as a line. Filled markers are passing steps, hollow ones
//! failing steps.
//!
//! Plain SVG written as a string: no plotting dependency in the build, the
//! same report always gives the same bytes, and GitHub and any browser show
//! it. Latencies are those of the step's slowest stream, as in the ramp
//! tables.

use std::fmt::Write;

use crate::ramp::RampResult;
use crate::stats::Summary;

const WIDTH: f64 = 780.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 230.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 52.0;
const OBJECTIVE_COLOUR: &str = "#7f7f7f";

/// One step as plotted.
struct Point {
    meetings: u32,
    p50_ms: f64,
    p95_ms: f64,
    pass: bool,
}

fn points(ramp: &RampResult) -> Vec<Point> {
    let mut points: Vec<Point> = ramp
        .steps
        .iter()
        .filter_map(|step| {
            let p = step.result.as_ref()?;
            // The slowest stream, which is what the objective judges.
            let worst: &Summary = match &p.transcript {
                Some(t) if t.delivery.p95_ms > p.notes.delivery.p95_ms => &t.delivery,
                _ => &p.notes.delivery,
            };
            (worst.count > 0).then_some(Point {
                meetings: step.meetings,
                p50_ms: worst.p50_ms,
                p95_ms: worst.p95_ms,
                pass: step.pass,
            })
        })
        .collect();
    points.sort_by_key(|p| p.meetings);
    points
}

/// A logarithmic axis from `lo` to `hi` (both powers of `base`) onto the
/// pixels `from..to`.
struct LogAxis {
    lo: f64,
    hi: f64,
    from: f64,
    to: f64,
}

impl LogAxis {
    fn at(&self, v: f64) -> f64 {
        let v = v.clamp(self.lo, self.hi);
        let t = (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln());
        self.from + t * (self.to - self.from)
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A latency for a label: no trailing zeros, no exponent.
fn ms_label(v: f64) -> String {
    if v >= 1.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').to_owned()
    }
}

/// The chart of every ramp in `ramps` (targets in their order) with the
/// objective `slo_ms`.
pub fn ramp_svg(ramps: &[RampResult], slo_ms: f64) -> String {
    let series: Vec<(&RampResult, Vec<Point>)> = ramps.iter().map(|r| (r, points(r))).collect();
    let all = || series.iter().flat_map(|(_, ps)| ps.iter());

    // x: powers of two around the steps' M.
    let m_lo = all().map(|p| p.meetings.max(1)).min().unwrap_or(1);
    let m_hi = all().map(|p| p.meetings.max(1)).max().unwrap_or(2);
    let x_lo = f64::from(m_lo).log2().floor().exp2();
    let x_hi = f64::from(m_hi).log2().ceil().exp2().max(x_lo * 2.0);
    let x = LogAxis {
        lo: x_lo,
        hi: x_hi,
        from: LEFT,
        to: WIDTH - RIGHT,
    };
    // y: decades around the latencies and the objective.
    let positive = || {
        all()
            .flat_map(|p| [p.p50_ms, p.p95_ms])
            .filter(|&v| v > 0.0)
    };
    let v_lo = positive().fold(slo_ms, f64::min).max(0.01);
    let v_hi = positive().fold(slo_ms, f64::max);
    let y_lo = 10f64.powf(v_lo.log10().floor());
    let y_hi = 10f64.powf(v_hi.log10().ceil()).max(y_lo * 10.0);
    let y = LogAxis {
        lo: y_lo,
        hi: y_hi,
        from: HEIGHT - BOTTOM,
        to: TOP,
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>
<text x="{LEFT}" y="22" font-size="14" font-weight="bold">Delivery latency against concurrent meetings (ramp steps)</text>"#
    );

    // Grid and tick labels.
    out.push_str("<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n");
    let x_ticks: Vec<f64> = {
        let n = (x_hi.log2() - x_lo.log2()).round() as i32;
        let every = if n > 12 { 2 } else { 1 };
        (0..=n)
            .step_by(every as usize)
            .map(|i| x_lo * 2f64.powi(i))
            .collect()
    };
    for &t in &x_ticks {
        let px = x.at(t);
        let _ = writeln!(
            out,
            r#"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}"/>"#,
            HEIGHT - BOTTOM
        );
    }
    let decades = (y_hi.log10() - y_lo.log10()).round() as i32;
    let y_ticks: Vec<f64> = (0..=decades).map(|i| y_lo * 10f64.powi(i)).collect();
    for &t in &y_ticks {
        let py = y.at(t);
        let _ = writeln!(
            out,
            r#"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}"/>"#,
            WIDTH - RIGHT
        );
    }
    out.push_str("</g>\n<g fill=\"#333\">\n");
    for &t in &x_ticks {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{t:.0}</text>"#,
            x.at(t),
            HEIGHT - BOTTOM + 16.0
        );
    }
    for &t in &y_ticks {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y.at(t) + 4.0,
            ms_label(t)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">concurrent meetings M (log scale)</text>
<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">delivery latency, ms (log scale)</text>
</g>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 12.0,
        (TOP + HEIGHT - BOTTOM) / 2.0
    );
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="#999"/>"##,
        WIDTH - RIGHT - LEFT,
        HEIGHT - BOTTOM - TOP
    );

    // The objective.
    let py = y.at(slo_ms);
    let _ = writeln!(
        out,
        r#"<line class="objective" x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="{OBJECTIVE_COLOUR}" stroke-width="1.5" stroke-dasharray="2 3"/>"#,
        WIDTH - RIGHT
    );

    // One group per target: p95 solid, p50 dashed, a marker per step.
    for (ramp, points) in &series {
        let info = ramp.target.info();
        let _ = writeln!(
            out,
            r#"<g class="series" data-target="{}" stroke="{}" fill="{}">"#,
            info.slug, info.colour, info.colour
        );
        for (dash, get) in [
            ("", (|p: &Point| p.p95_ms) as fn(&Point) -> f64),
            (r#" stroke-dasharray="6 4""#, |p: &Point| p.p50_ms),
        ] {
            let path: Vec<String> = points
                .iter()
                .map(|p| format!("{:.1},{:.1}", x.at(f64::from(p.meetings)), y.at(get(p))))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline fill="none" stroke-width="2"{dash} points="{}"/>"#,
                path.join(" ")
            );
        }
        for p in points {
            let fill = if p.pass { info.colour } else { "white" };
            let title = format!(
                "{} M={}: p50 {} ms, p95 {} ms, {}",
                info.name,
                p.meetings,
                ms_label(p.p50_ms),
                ms_label(p.p95_ms),
                if p.pass { "pass" } else { "fail" }
            );
            for v in [p.p95_ms, p.p50_ms] {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{fill}" stroke-width="1.5"><title>{}</title></circle>"#,
                    x.at(f64::from(p.meetings)),
                    y.at(v),
                    esc(&title)
                );
            }
        }
        out.push_str("</g>\n");
    }

    // The legend, right of the plot.
    let lx = WIDTH - RIGHT + 16.0;
    let mut ly = TOP + 8.0;
    out.push_str("<g class=\"legend\">\n");
    for (ramp, _) in &series {
        let info = ramp.target.info();
        let _ = writeln!(
            out,
            r#"<text x="{lx:.1}" y="{ly:.1}" font-weight="bold">{}</text>"#,
            esc(info.name)
        );
        ly += 16.0;
        for (dash, label) in [("", "p95"), (r#" stroke-dasharray="6 4""#, "p50")] {
            let _ = writeln!(
                out,
                r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="2"{dash}/><text x="{:.1}" y="{ly:.1}">{label}</text>"#,
                ly - 4.0,
                lx + 28.0,
                ly - 4.0,
                info.colour,
                lx + 34.0
            );
            ly += 16.0;
        }
        ly += 6.0;
    }
    let _ = writeln!(
        out,
        r##"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{OBJECTIVE_COLOUR}" stroke-width="1.5" stroke-dasharray="2 3"/><text x="{:.1}" y="{ly:.1}">objective: p95 &lt; {} ms</text>
<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#333" stroke="#333"/><text x="{:.1}" y="{:.1}">step passed</text>
<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="white" stroke="#333" stroke-width="1.5"/><text x="{:.1}" y="{:.1}">step failed</text>
</g>
</svg>"##,
        ly - 4.0,
        lx + 28.0,
        ly - 4.0,
        lx + 34.0,
        ms_label(slo_ms),
        lx + 14.0,
        ly + 12.0,
        lx + 34.0,
        ly + 16.0,
        lx + 14.0,
        ly + 28.0,
        lx + 34.0,
        ly + 32.0,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::{PhaseResult, StreamResult};
    use crate::ramp::RampStep;
    use crate::target::TargetKind;

    /// A ramp step of `kind` at M with these delivery percentiles.
    fn step(kind: TargetKind, meetings: u32, p50: f64, p95: f64, pass: bool) -> RampStep {
        let mut result = PhaseResult::empty(kind);
        result.notes = StreamResult {
            delivery: Summary {
                count: 100,
                p50_ms: p50,
                p95_ms: p95,
                ..Summary::default()
            },
            ..StreamResult::default()
        };
        RampStep {
            meetings,
            pass,
            failure: (!pass).then(|| "p95".into()),
            from_comparison: false,
            result: Some(result),
        }
    }

    fn ramp(kind: TargetKind, steps: Vec<RampStep>) -> RampResult {
        RampResult {
            target: kind,
            workload: "notes",
            best_meetings: 0,
            first_failure: None,
            stopped_by: "converged".into(),
            steps,
            elapsed_s: 1.0,
        }
    }

    fn ramps() -> Vec<RampResult> {
        vec![
            ramp(
                TargetKind::Connvo,
                vec![
                    step(TargetKind::Connvo, 40, 546.0, 941.0, false),
                    step(TargetKind::Connvo, 20, 4.7, 52.7, true),
                    step(TargetKind::Connvo, 30, 11.9, 301.0, false),
                ],
            ),
            ramp(
                TargetKind::ShareDb,
                vec![
                    step(TargetKind::ShareDb, 20, 0.94, 1.53, true),
                    step(TargetKind::ShareDb, 2048, 1.4, 34.1, true),
                ],
            ),
        ]
    }

    /// Checks that `xml` is well-formed as far as this chart goes: one root,
    /// every element closed in order, attributes quoted, no bare `<` or `&`
    /// in text. Returns the element names in document order.
    fn well_formed(xml: &str) -> Result<Vec<String>, String> {
        let mut rest = xml.trim_start();
        if let Some(after) = rest.strip_prefix("<?xml") {
            rest = &after[after.find("?>").ok_or("unclosed declaration")? + 2..];
        }
        let mut open: Vec<String> = Vec::new();
        let mut names = Vec::new();
        let mut roots = 0;
        while let Some(lt) = rest.find('<') {
            check_text(&rest[..lt])?;
            if open.is_empty() && !rest[..lt].trim().is_empty() {
                return Err("text outside the root".into());
            }
            let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
            let tag = &rest[lt + 1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                match open.pop() {
                    Some(o) if o == name.trim() => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                continue;
            }
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body
                .split_whitespace()
                .next()
                .ok_or("empty tag")?
                .to_owned();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(format!("bad element name {name:?}"));
            }
            check_attributes(&body[name.len()..])?;
            if open.is_empty() {
                roots += 1;
            }
            names.push(name.clone());
            if !self_closing {
                open.push(name);
            }
        }
        check_text(rest)?;
        if !rest.trim().is_empty() {
            return Err("text after the root".into());
        }
        match (roots, open.is_empty()) {
            (1, true) => Ok(names),
            _ => Err(format!("{roots} roots, unclosed {open:?}")),
        }
    }

    fn check_text(text: &str) -> Result<(), String> {
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map_or(text.len(), |e| i + e + 1)];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity) {
                return Err(format!("bare & in {text:?}"));
            }
        }
        Ok(())
    }

    /// `name="value"` pairs, each value quoted and free of `<`.
    fn check_attributes(mut attrs: &str) -> Result<(), String> {
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                return Ok(());
            }
            let eq = attrs
                .find('=')
                .ok_or(format!("attribute without value: {attrs}"))?;
            let after = &attrs[eq + 1..];
            let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
            let quote = quote.ok_or(format!("unquoted attribute: {attrs}"))?;
            let end = after[1..].find(quote).ok_or("unclosed attribute")? + 1;
            let value = &after[1..end];
            if value.contains('<') {
                return Err(format!("< in attribute {value:?}"));
            }
            check_text(value)?;
            attrs = &after[end + 1..];
        }
    }

    #[test]
    fn the_checker_rejects_broken_xml() {
        assert!(well_formed("<a><b/></a>").is_ok());
        assert!(well_formed("<a><b></a>").is_err());
        assert!(well_formed("<a x=1/>").is_err());
        assert!(well_formed("<a>1 < 2</a>").is_err());
        assert!(well_formed("<a>R&D</a>").is_err());
        assert!(well_formed("<a/><b/>").is_err());
    }

    #[test]
    fn the_ramp_chart_is_well_formed_svg_with_a_series_per_target() {
        let svg = ramp_svg(&ramps(), 150.0);
        let names = well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert_eq!(names[0], "svg");
        for kind in [TargetKind::Connvo, TargetKind::ShareDb] {
            let info = kind.info();
            let group = format!(r#"data-target="{}""#, info.slug);
            assert_eq!(svg.matches(&group).count(), 1, "{group}");
            assert!(svg.contains(&esc(info.name)), "legend names {}", info.name);
        }
        assert!(
            !svg.contains("sharedb-postgres"),
            "no series without a ramp"
        );
        // Two lines (p50, p95) per target, two markers per step.
        assert_eq!(names.iter().filter(|n| *n == "polyline").count(), 4);
        assert_eq!(svg.matches("<title>").count(), 2 * 5);
        assert_eq!(svg.matches(r#"class="objective""#).count(), 1);
        assert!(svg.contains("objective: p95 &lt; 150 ms"));
        // Failing steps are hollow; Connvo has two of them.
        assert_eq!(svg.matches("p95 301 ms, fail").count(), 2);
        assert_eq!(
            svg.matches(r#"fill="white" stroke-width="1.5"><title>"#)
                .count(),
            4
        );
        // Deterministic: the same report draws the same bytes.
        assert_eq!(svg, ramp_svg(&ramps(), 150.0));
    }

    #[test]
    fn the_axes_span_the_steps_and_the_objective() {
        let svg = ramp_svg(&ramps(), 150.0);
        // M from 16 to 2048 in powers of two; latency decades 0.1 to 1000 ms.
        for tick in [">16<", ">32<", ">2048<", ">0.1<", ">1<", ">1000<"] {
            assert!(svg.contains(tick), "tick {tick}");
        }
        assert!(!svg.contains(">8<") && !svg.contains(">4096<") && !svg.contains(">10000<"));
        // Points are sorted by M, so each line runs left to right.
        let line = svg.split("<polyline").nth(1).unwrap();
        let xs: Vec<f64> = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split(' ')
            .map(|p| p.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        // An empty run still draws axes around the objective alone.
        well_formed(&ramp_svg(&[], 150.0)).unwrap();
    }
}
