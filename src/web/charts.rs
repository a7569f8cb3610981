//! Charts drawn on the server as SVG, put inline into the pages: they need no script, print,
//! and show the same figures as the table beside them.
//!
//! Drawn narrow ([`WIDTH`] user units) and scaled to the width they are shown at (`viewBox`,
//! `width:100%` in the stylesheet, at most [`MAX_SHOWN`] px): on a 390 px phone the text is
//! still at least 12 px. The legend stands below the plot, never over it; a count axis has
//! whole-number ticks only; a series' colour says what it means (late, overdue, declined,
//! rejected in red; on time, accepted in green; the rest neutral).

use std::fmt::Write;

/// What a series shows, which gives its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Plain figures: blue, then greys.
    Neutral,
    /// What should be high: on time, accepted, delivered.
    Good,
    /// What should be low: late, overdue, declined, rejected.
    Bad,
}

/// One series of a chart: its name (the legend), one value per category or point, its tone.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    pub tone: Tone,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Series {
            name: name.into(),
            values,
            tone: Tone::Neutral,
        }
    }
    /// Drawn in green: what should be high (on time, accepted).
    pub fn good(mut self) -> Self {
        self.tone = Tone::Good;
        self
    }
    /// Drawn in red: what should be low (late, overdue, declined, rejected).
    pub fn bad(mut self) -> Self {
        self.tone = Tone::Bad;
        self
    }
}

/// The width the charts are drawn at, in SVG user units.
pub const WIDTH: u32 = 380;
/// The widest they are shown (the stylesheet's `max-width` of `figure.chart svg`), in px.
pub const MAX_SHOWN: u32 = 480;
/// Every text of a chart, in user units: at the narrowest width a chart is shown (a 390 px
/// phone: 366 px of content) this is 12.5 px.
pub const FONT_SIZE: u32 = 13;
const FONT: &str = "system-ui, sans-serif";
const RED: &str = "#c62828";
const GREEN: &str = "#2e7d32";
const NEUTRAL: [&str; 3] = ["#1f5f9e", "#6b7785", "#9c6b12"];
const INK: &str = "#1d2a36";
const GRID: &str = "#d7dee5";

fn colour(series: &[Series], j: usize) -> &'static str {
    match series[j].tone {
        Tone::Good => GREEN,
        Tone::Bad => RED,
        Tone::Neutral => {
            let n = series[..j]
                .iter()
                .filter(|s| s.tone == Tone::Neutral)
                .count();
            NEUTRAL[n % NEUTRAL.len()]
        }
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The width a text takes at [`FONT_SIZE`], roughly: a Chinese character is square, others
/// about 0.6 of it.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if (c as u32) >= 0x2E80 { 1.0 } else { 0.6 })
        .sum::<f64>()
        * FONT_SIZE as f64
}

/// Shortens a label to what fits in `room` units.
fn fit(label: &str, room: f64) -> String {
    if text_width(label) <= room {
        return label.to_string();
    }
    let mut s = String::new();
    for c in label.chars() {
        s.push(c);
        if text_width(&s) + FONT_SIZE as f64 > room {
            s.pop();
            break;
        }
    }
    s.push('…');
    s
}

/// The ticks of a count axis from 0: whole numbers, a step of 1, 2 or 5 times a power of ten,
/// at most 5 steps, the last at or above `max`.
pub fn count_ticks(max: f64) -> Vec<i64> {
    let max = if max.is_finite() { max.max(0.0) } else { 0.0 };
    let m = (max.ceil() as i64).max(1);
    let mut step = 1i64;
    'search: loop {
        for f in [1, 2, 5] {
            let s = step * f;
            if (m + s - 1) / s <= 5 {
                step = s;
                break 'search;
            }
        }
        step *= 10;
    }
    let n = (m + step - 1) / step;
    (0..=n).map(|i| i * step).collect()
}

/// A whole number with thousands separators (the same in both languages).
fn int(n: i64) -> String {
    crate::i18n::Tr::new("en").int(n)
}

struct Svg {
    out: String,
}

impl Svg {
    fn new() -> Svg {
        Svg { out: String::new() }
    }
    fn text(&mut self, x: f64, y: f64, anchor: &str, fill: &str, s: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{FONT_SIZE}" fill="{fill}">{}</text>"#,
            esc(s)
        );
    }
    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{fill}"/>"#,
            w.max(0.0)
        );
    }
    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}"/>"#
        );
    }
    /// The legend below the plot, from `y`, wrapping; returns the height it took.
    fn legend(&mut self, series: &[Series], y: f64, swatch_line: bool) -> f64 {
        let (mut x, mut row) = (8.0, 0.0);
        let line_h = FONT_SIZE as f64 + 8.0;
        for (j, s) in series.iter().enumerate() {
            let name = fit(&s.name, WIDTH as f64 - 40.0);
            let w = 18.0 + text_width(&name) + 14.0;
            if x > 8.0 && x + w > WIDTH as f64 - 8.0 {
                x = 8.0;
                row += line_h;
            }
            let cy = y + row + line_h / 2.0;
            if swatch_line {
                let _ = write!(
                    self.out,
                    r#"<line x1="{x:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="{}" stroke-width="3"/>"#,
                    x + 14.0,
                    colour(series, j)
                );
            } else {
                self.rect(x, cy - 6.0, 12.0, 12.0, colour(series, j));
            }
            self.text(x + 18.0, cy + 4.5, "start", INK, &name);
            x += w;
        }
        row + line_h
    }
    fn finish(self, height: f64, title: &str) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{h}" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{t}" font-family="{FONT}"><title>{t}</title><rect width="{WIDTH}" height="{h}" fill="#fff"/>{body}</svg>"##,
            h = height.ceil() as i64,
            t = esc(title),
            body = self.out
        )
    }
}

/// The title a chart is read by (screen readers): its series' names.
fn title_of(series: &[Series]) -> String {
    series
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Horizontal grouped bars: one group per label (top to bottom; the label above its bars),
/// one bar per series, each with its value at its end. Rates (`percent_axis`) run from 0 to
/// 100 %; other values from 0 on a whole-number axis.
pub fn bars(
    labels: &[String],
    series: &[Series],
    percent_axis: bool,
) -> Result<String, super::Error> {
    let fs = FONT_SIZE as f64;
    let (left, right) = (8.0, WIDTH as f64 - 44.0);
    let plot_w = right - left;
    let ticks: Vec<(f64, String)> = if percent_axis {
        (0..=4)
            .map(|i| (i as f64 * 0.25, format!("{}%", i * 25)))
            .collect()
    } else {
        let max = series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0f64, f64::max);
        count_ticks(max)
            .into_iter()
            .map(|v| (v as f64, int(v)))
            .collect()
    };
    let top = ticks
        .last()
        .map(|t| t.0)
        .unwrap_or(1.0)
        .max(f64::MIN_POSITIVE);
    let x_of = |v: f64| left + plot_w * (v.clamp(0.0, top) / top);
    let value_text = |v: f64| {
        if percent_axis {
            format!("{:.0}%", v * 100.0)
        } else if v.fract() == 0.0 {
            int(v as i64)
        } else {
            format!("{v:.1}")
        }
    };
    let bar_h = 13.0;
    let label_h = fs + 6.0;
    let group_h = label_h + bar_h * series.len() as f64 + 10.0;
    let plot_top = 6.0;
    let plot_bottom = plot_top + group_h * labels.len().max(1) as f64;
    let mut svg = Svg::new();
    // The grid first, under the bars.
    for (v, _) in &ticks {
        svg.line(x_of(*v), plot_top, x_of(*v), plot_bottom, GRID);
    }
    for (i, label) in labels.iter().enumerate() {
        let y0 = plot_top + group_h * i as f64;
        svg.text(
            left,
            y0 + fs,
            "start",
            INK,
            &fit(label, WIDTH as f64 - 16.0),
        );
        for (j, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            let y = y0 + label_h + bar_h * j as f64;
            let end = x_of(v);
            svg.rect(left, y, end - left, bar_h - 2.0, colour(series, j));
            svg.text(end + 3.0, y + bar_h - 3.0, "start", INK, &value_text(v));
        }
    }
    svg.line(left, plot_bottom, right, plot_bottom, INK);
    svg.out.push_str(r#"<g class="ticks">"#);
    for (k, (v, text)) in ticks.iter().enumerate() {
        let anchor = if k == 0 { "start" } else { "middle" };
        svg.text(x_of(*v), plot_bottom + fs + 4.0, anchor, INK, text);
    }
    svg.out.push_str("</g>");
    let legend_top = plot_bottom + fs + 12.0;
    let legend_h = svg.legend(series, legend_top, false);
    Ok(svg.finish(legend_top + legend_h + 4.0, &title_of(series)))
}

/// Lines over points in order (months, say), labelled below the axis (as many as fit).
pub fn lines(points: &[String], series: &[Series]) -> Result<String, super::Error> {
    let fs = FONT_SIZE as f64;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max);
    let ticks = count_ticks(max);
    let tick_w = ticks
        .iter()
        .map(|v| text_width(&int(*v)))
        .fold(0.0f64, f64::max);
    let (left, right) = (8.0 + tick_w + 6.0, WIDTH as f64 - 16.0);
    let (plot_top, plot_bottom) = (fs, 200.0);
    let top = *ticks.last().unwrap_or(&1) as f64;
    let m = points.len().max(2);
    let x_of = |i: usize| left + (right - left) * i as f64 / (m - 1) as f64;
    let y_of = |v: f64| plot_bottom - (plot_bottom - plot_top) * (v.clamp(0.0, top) / top);
    let mut svg = Svg::new();
    svg.out.push_str(r#"<g class="ticks">"#);
    for v in &ticks {
        let y = y_of(*v as f64);
        svg.line(left, y, right, y, GRID);
        svg.text(left - 6.0, y + fs * 0.35, "end", INK, &int(*v));
    }
    svg.out.push_str("</g>");
    svg.line(left, plot_bottom, right, plot_bottom, INK);
    // Point labels, every `every`-th so that they do not run into each other.
    let widest = points.iter().map(|p| text_width(p)).fold(0.0f64, f64::max) + 8.0;
    let room = (right - left) / (m - 1) as f64;
    let every = ((widest / room).ceil() as usize).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 {
            let anchor = match i {
                0 => "start",
                i if i + 1 == points.len() => "end",
                _ => "middle",
            };
            svg.text(x_of(i), plot_bottom + fs + 4.0, anchor, INK, p);
        }
    }
    for (j, s) in series.iter().enumerate() {
        let pts: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v)))
            .collect();
        let _ = write!(
            svg.out,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>"#,
            pts.join(" "),
            colour(series, j)
        );
    }
    let legend_top = plot_bottom + fs + 12.0;
    let legend_h = svg.legend(series, legend_top, true);
    Ok(svg.finish(legend_top + legend_h + 4.0, &title_of(series)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts of an SVG, in order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|t| {
                let t = &t[t.find('>').unwrap() + 1..];
                t[..t.find("</text>").unwrap()].to_string()
            })
            .collect()
    }

    /// Every font size an SVG sets.
    fn font_sizes(svg: &str) -> Vec<f64> {
        svg.split("font-size=\"")
            .skip(1)
            .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
            .collect()
    }

    /// The text of the smallest font as seen at `shown` px wide.
    fn smallest_seen(svg: &str, shown: f64) -> f64 {
        let vb = svg.split("viewBox=\"0 0 ").nth(1).unwrap();
        let w: f64 = vb.split(' ').next().unwrap().parse().unwrap();
        font_sizes(svg).into_iter().fold(f64::MAX, f64::min) * shown / w
    }

    #[test]
    fn bars_draw_one_rectangle_per_value_and_every_label() {
        let svg = bars(
            &["Supplier A & Co".into(), "供应商乙".into()],
            &[
                Series::new("delivery", vec![0.9, 0.5]),
                Series::new("timely", vec![0.8, 0.25]).good(),
            ],
            true,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        let t = texts(&svg);
        assert!(t.contains(&"Supplier A &amp; Co".to_string()), "{t:?}");
        assert!(t.contains(&"供应商乙".to_string()));
        assert!(t.contains(&"delivery".into()) && t.contains(&"timely".into()));
        assert!(t.contains(&"100%".into()), "a percent axis: {t:?}");
        // background + 4 bars + 2 legend swatches
        assert_eq!(svg.matches("<rect").count(), 7, "{svg}");
        assert!(svg.contains(GREEN), "the good series is green");
    }

    #[test]
    fn the_legend_stands_below_the_plot() {
        let svg = bars(
            &["甲".into(), "乙".into(), "丙".into()],
            &[
                Series::new("open", vec![3.0, 1.0, 2.0]),
                Series::new("overdue", vec![1.0, 0.0, 2.0]).bad(),
            ],
            false,
        )
        .unwrap();
        let y_of = |needle: &str| -> f64 {
            let i = svg.find(&format!(">{needle}</text>")).unwrap();
            let tag = &svg[svg[..i].rfind("<text").unwrap()..i];
            let y = tag.split("y=\"").nth(1).unwrap();
            y[..y.find('"').unwrap()].parse().unwrap()
        };
        // Below every bar and below the axis labels.
        let lowest_bar = svg
            .split("<rect")
            .skip(2)
            .map(|r| {
                let y: f64 = r
                    .split("y=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let h: f64 = r
                    .split("height=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                (y, h)
            })
            // The bars (11 high), not the legend's swatches (12).
            .filter(|(_, h)| (*h - 11.0).abs() < 0.01)
            .map(|(y, h)| y + h)
            .fold(0.0f64, f64::max);
        assert!(
            y_of("open") > lowest_bar && y_of("overdue") > lowest_bar,
            "{svg}"
        );
        assert!(y_of("open") > y_of("3"), "legend below the ticks: {svg}");
        // Overdue is red, the plain count is not.
        assert!(svg.contains(RED));
        assert!(!svg.contains(&format!("fill=\"{GREEN}\"")));
    }

    #[test]
    fn count_axes_have_whole_distinct_ticks() {
        for max in [
            0.0, 0.4, 1.0, 2.0, 2.5, 3.0, 4.0, 7.0, 9.0, 13.0, 99.0, 101.0, 12_345.0,
        ] {
            let ticks = count_ticks(max);
            assert_eq!(ticks[0], 0);
            assert!(*ticks.last().unwrap() as f64 >= max, "{max}: {ticks:?}");
            assert!(ticks.len() <= 6 && ticks.len() >= 2, "{max}: {ticks:?}");
            assert!(ticks.windows(2).all(|w| w[1] > w[0]), "{max}: {ticks:?}");
        }
        assert_eq!(count_ticks(2.0), vec![0, 1, 2]);
        assert_eq!(count_ticks(7.0), vec![0, 2, 4, 6, 8]);
        for values in [
            vec![0.0, 1.0, 2.0],
            vec![1.0, 1.0, 0.0],
            vec![250.0, 3.0, 0.0],
        ] {
            let svg = bars(
                &["a".into(), "b".into(), "c".into()],
                &[Series::new("n", values.clone())],
                false,
            )
            .unwrap();
            let axis = tick_labels(&svg);
            assert!(axis.len() >= 2, "{svg}");
            let mut seen = std::collections::HashSet::new();
            assert!(
                axis.iter().all(|a| seen.insert(a.clone())),
                "repeated ticks: {axis:?}"
            );
            assert!(
                axis.iter()
                    .all(|a| a.replace(',', "").parse::<i64>().is_ok()),
                "{axis:?}"
            );
        }
        let svg = lines(
            &["1".into(), "2".into()],
            &[Series::new("n", vec![0.0, 2.0])],
        )
        .unwrap();
        assert_eq!(tick_labels(&svg), ["0", "1", "2"]);
    }

    /// The labels of the value axis.
    fn tick_labels(svg: &str) -> Vec<String> {
        let g = svg.split("<g class=\"ticks\">").nth(1).unwrap();
        texts(&g[..g.find("</g>").unwrap()])
    }

    #[test]
    fn text_is_at_least_12px_on_a_phone() {
        let bars_svg = bars(
            &["阿莫西林胶囊 0.25g · 金寨县".into()],
            &[Series::new("满足率", vec![0.5])],
            true,
        )
        .unwrap();
        let lines_svg = lines(
            &(1..=12).map(|m| format!("2026-{m:02}")).collect::<Vec<_>>(),
            &[Series::new(
                "累计采购",
                (1..=12).map(|m| m as f64 * 10.0).collect(),
            )],
        )
        .unwrap();
        for svg in [bars_svg, lines_svg] {
            assert!(font_sizes(&svg).iter().all(|s| *s >= 12.0), "{svg}");
            // A 390 px phone shows 366 px of content.
            assert!(smallest_seen(&svg, 366.0) >= 12.0, "{svg}");
            assert!(svg.contains("viewBox=\"0 0 380 "), "{svg}");
            assert!(svg.contains("role=\"img\"") && svg.contains("<title>"));
        }
        // At most MAX_SHOWN wide, the text does not grow past 16.5 px.
        assert!(FONT_SIZE as f64 * MAX_SHOWN as f64 / WIDTH as f64 <= 16.5);
    }

    #[test]
    fn lines_label_their_points_without_overlap() {
        let points: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
        let svg = lines(&points, &[Series::new("purchased", vec![10.0; 12])]).unwrap();
        assert!(svg.contains("2026-01"));
        assert!(svg.contains("<polyline"), "{svg}");
        let shown = points
            .iter()
            .filter(|p| svg.contains(&format!(">{p}<")))
            .count();
        // 12 labels of 7 characters do not fit 380 units: some are left out.
        assert!((3..12).contains(&shown), "{shown}");
    }
}
