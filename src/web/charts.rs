//! Charts drawn on the server as SVG (plotters' SVG backend), put inline into the pages: they
//! need no script, print, and show the same figures as the table beside them.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One series of a chart: its name (the legend) and one value per category or point.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Series {
            name: name.into(),
            values,
        }
    }
}

const PALETTE: [RGBColor; 4] = [
    RGBColor(0x2b, 0x6c, 0xb0),
    RGBColor(0x38, 0xa1, 0x69),
    RGBColor(0xdd, 0x6b, 0x20),
    RGBColor(0x80, 0x5a, 0xd5),
];
const WIDTH: u32 = 820;
const LABEL_WIDTH: u32 = 230;
const FONT: &str = "sans-serif";

fn failed<E: std::fmt::Debug>(e: E) -> super::Error {
    tracing::error!("chart: {e:?}");
    super::Error::Internal(format!("chart: {e:?}"))
}

/// Shortens a category label to what fits beside the bars.
fn fit(label: &str) -> String {
    const MAX: usize = 18;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

fn percent(v: &f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Horizontal grouped bars: one group per label (top to bottom), one bar per series. Rates
/// (`percent`) run from 0 to 100 %; other values from 0 to the largest.
pub fn bars(
    labels: &[String],
    series: &[Series],
    percent_axis: bool,
) -> Result<String, super::Error> {
    let n = labels.len().max(1);
    let k = series.len().max(1);
    let bar = 9u32;
    let group = bar * k as u32 + 8;
    let height = 70 + group * n as u32;
    let top = if percent_axis {
        1.0
    } else {
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0f64, f64::max)
            .max(1.0)
            * 1.05
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .margin_right(24)
            .x_label_area_size(28)
            .y_label_area_size(LABEL_WIDTH)
            .build_cartesian_2d(0f64..top, 0f64..n as f64)
            .map_err(failed)?;
        let fmt_pct = percent;
        let fmt_num = |v: &f64| format!("{v:.0}");
        let mut mesh = chart.configure_mesh();
        mesh.disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .label_style((FONT, 12));
        if percent_axis {
            mesh.x_label_formatter(&fmt_pct);
        } else {
            mesh.x_label_formatter(&fmt_num);
        }
        mesh.draw().map_err(failed)?;
        let slot = 1.0 / (k as f64 + 1.0);
        for (j, s) in series.iter().enumerate() {
            let color = PALETTE[j % PALETTE.len()];
            chart
                .draw_series(s.values.iter().enumerate().map(|(i, v)| {
                    let base = (n - 1 - i) as f64 + slot / 2.0 + j as f64 * slot;
                    Rectangle::new(
                        [(0.0, base), (v.min(top), base + slot * 0.9)],
                        color.filled(),
                    )
                }))
                .map_err(failed)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 12))
            .draw()
            .map_err(failed)?;
        let style =
            TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, l) in labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0.0, (n - 1 - i) as f64 + 0.5));
            root.draw(&Text::new(fit(l), (x - 6, y), style.clone()))
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Lines over points in order (months, say), labelled below the axis.
pub fn lines(points: &[String], series: &[Series]) -> Result<String, super::Error> {
    let m = points.len().max(2) as i32;
    let top = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.05;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0i32..(m - 1), 0f64..top)
            .map_err(failed)?;
        let label_of = |i: &i32| points.get(*i as usize).cloned().unwrap_or_default();
        let fmt_num = |v: &f64| format!("{v:.0}");
        chart
            .configure_mesh()
            .x_labels(points.len().min(13))
            .x_label_formatter(&label_of)
            .y_label_formatter(&fmt_num)
            .label_style((FONT, 12))
            .draw()
            .map_err(failed)?;
        for (j, s) in series.iter().enumerate() {
            let color = PALETTE[j % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    s.values.iter().enumerate().map(|(i, v)| (i as i32, *v)),
                    color.stroke_width(2),
                ))
                .map_err(failed)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 12))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_draw_one_rectangle_per_value_and_every_label() {
        let svg = bars(
            &["Supplier A & Co".into(), "供应商乙".into()],
            &[
                Series::new("delivery", vec![0.9, 0.5]),
                Series::new("timely", vec![0.8, 0.25]),
            ],
            true,
        )
        .unwrap();
        // plotters puts each text on a line of its own
        let svg = svg.replace('\n', "");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Supplier A &amp; Co"));
        assert!(svg.contains("供应商乙"));
        assert!(
            svg.contains(">delivery<") && svg.contains(">timely<"),
            "{svg}"
        );
        assert!(svg.contains(">100%<"), "a percent axis: {svg}");
        // background + 4 bars + 2 legend swatches + legend box, at least
        assert!(svg.matches("<rect").count() >= 7, "{svg}");
    }

    #[test]
    fn lines_label_their_points() {
        let svg = lines(
            &["2026-01".into(), "2026-02".into(), "2026-03".into()],
            &[Series::new("purchased", vec![10.0, 30.0, 45.0])],
        )
        .unwrap();
        assert!(svg.contains("2026-02"));
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{svg}");
    }
}
