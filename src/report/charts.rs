//! Charts for the reports, drawn as PNG so every mail client shows them inline: the window
//! ranking of a hall, waiting time by hour of day, and the 12-month trend of 按时办结率.
//!
//! Chinese labels need a CJK font: a complete one from the machine when there is one
//! (`WINDOWWATCH_FONT`, WenQuanYi, Noto Sans CJK), else the GB2312 subset shipped in
//! `report-templates/fonts/`. A character the font lacks is drawn as `?`, never as an empty box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};
use plotters::prelude::*;
use plotters::style::FontStyle;

const FAMILY: &str = "windowwatch-cjk";
static SHIPPED: &[u8] = include_bytes!("../../report-templates/fonts/wqy-microhei-gb2312.ttf");

const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
];

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("chart: {0}")]
    Draw(String),
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

struct ChosenFont {
    bytes: &'static [u8],
    source: String,
}

fn chosen() -> &'static ChosenFont {
    static FONT: OnceLock<ChosenFont> = OnceLock::new();
    FONT.get_or_init(|| {
        let mut candidates: Vec<String> = Vec::new();
        if let Ok(p) = std::env::var("WINDOWWATCH_FONT") {
            candidates.push(p);
        }
        if std::env::var("WINDOWWATCH_FONT").as_deref() != Ok("shipped") {
            candidates.extend(SYSTEM_FONTS.iter().map(|s| s.to_string()));
        }
        for c in candidates {
            if let Ok(bytes) = std::fs::read(&c) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if FontRef::try_from_slice(bytes).is_ok() {
                    return ChosenFont { bytes, source: c };
                }
            }
        }
        ChosenFont { bytes: SHIPPED, source: "shipped WenQuanYi Micro Hei GB2312 subset".into() }
    })
}

fn ensure_registered() -> Result<(), ChartError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, chosen().bytes).map_err(|_| "the chart font cannot be read".to_string())?;
        plotters::style::register_font(FAMILY, FontStyle::Bold, chosen().bytes).map_err(|_| "the chart font cannot be read".to_string())
    })
    .clone()
    .map_err(ChartError::Draw)
}

/// Which font the charts use (for the report's footnote and the logs).
pub fn font_source() -> String {
    chosen().source.clone()
}

/// Replaces characters the chart font cannot draw with `?`.
pub fn drawable(text: &str) -> String {
    let font = FontRef::try_from_slice(chosen().bytes).expect("checked when chosen");
    text.chars().map(|c| if c.is_whitespace() || font.glyph_id(c).0 != 0 { c } else { '?' }).collect()
}

/// Whether every character of `text` has a glyph.
pub fn covers(text: &str) -> bool {
    let font = FontRef::try_from_slice(chosen().bytes).expect("checked when chosen");
    text.chars().all(|c| c.is_whitespace() || font.glyph_id(c).0 != 0)
}

fn png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(rgb, w, h, image::ColorType::Rgb8)
        .map_err(draw_err)?;
    Ok(out)
}

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&BLACK)
}

const GREEN: RGBColor = RGBColor(0x2e, 0x8b, 0x57);
const RED_: RGBColor = RGBColor(0xc0, 0x39, 0x2b);
const BLUE_: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);

/// One window's votes in a hall's ranking.
pub struct RankBar {
    pub label: String,
    pub satisfied: i64,
    pub unsatisfied: i64,
}

/// A white canvas of `w`×`h` pixels that `draw` draws on, as PNG.
fn canvas(size: (u32, u32), draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError>) -> Result<Vec<u8>, ChartError> {
    ensure_registered()?;
    let (w, h) = size;
    let mut buf = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        draw(&root)?;
        root.present().map_err(draw_err)?;
    }
    png(&buf, w, h)
}

/// A chart titled `title` on `root`, with `x_area` and `y_area` pixels for the axes' labels.
fn titled<'a, 'b, DB: DrawingBackend>(root: &'a DrawingArea<DB, plotters::coord::Shift>, title: &str, x_area: u32, y_area: u32) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder.caption(drawable(title), font(20.0)).margin(12).x_label_area_size(x_area).y_label_area_size(y_area);
    builder
}

/// The series' legend, upper right.
fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(chart: &mut ChartContext<'a, DB, CT>) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .label_font(font(13.0))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(draw_err)
}

/// Horizontal bars: satisfied (green) and unsatisfied (red) votes per window, best first.
pub fn ranking(title: &str, bars: &[RankBar], satisfied_label: &str, unsatisfied_label: &str) -> Result<Vec<u8>, ChartError> {
    canvas((720u32, (90 + 34 * bars.len().max(1)) as u32), |root| {
        let max = bars.iter().map(|b| b.satisfied.max(b.unsatisfied)).max().unwrap_or(1).max(1);
        let labels: Vec<String> = bars.iter().map(|b| drawable(&b.label)).collect();
        let n = bars.len().max(1);
        // Window names (`5号窗口（异地就医备案）`) need more room than ids; 7.5 px per half-width.
        let widest = labels.iter().map(|l| crate::output::text_width(l)).max().unwrap_or(0);
        let label_area = (widest as f64 * 7.5 + 16.0).clamp(110.0, 320.0) as u32;
        let mut chart = titled(root, title, 28, label_area).build_cartesian_2d(0i64..(max + max / 3 + 2), (0..n).into_segmented()).map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if *i < n => labels.get(n - 1 - *i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .light_line_style(WHITE)
            .y_labels(n)
            .label_style(font(14.0))
            .draw()
            .map_err(draw_err)?;
        for (rank, b) in bars.iter().enumerate() {
            // The best window is drawn on top.
            let i = n - 1 - rank;
            let top = SegmentValue::Exact(i);
            let mid = SegmentValue::CenterOf(i);
            chart
                .draw_series(std::iter::once(Rectangle::new([(0, top), (b.satisfied, mid.clone())], GREEN.filled())))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Rectangle::new([(0, mid.clone()), (b.unsatisfied, SegmentValue::Exact(i + 1))], RED_.filled())))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(Text::new(format!("{} / {}", b.satisfied, b.unsatisfied), ((b.satisfied.max(b.unsatisfied) + max / 50), mid), font(12.0))))
                .map_err(draw_err)?;
        }
        chart
            .draw_series(std::iter::once(Rectangle::new([(0, SegmentValue::Exact(0)), (0, SegmentValue::Exact(0))], GREEN.filled())))
            .map_err(draw_err)?
            .label(drawable(satisfied_label))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], GREEN.filled()));
        chart
            .draw_series(std::iter::once(Rectangle::new([(0, SegmentValue::Exact(0)), (0, SegmentValue::Exact(0))], RED_.filled())))
            .map_err(draw_err)?
            .label(drawable(unsatisfied_label))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], RED_.filled()));
        legend(&mut chart)?;
        Ok(())
    })
}

/// Mean wait (minutes) by hour of day, with the explanation threshold as a line.
pub fn wait_by_hour(title: &str, hours: &[(i64, f64)], threshold_min: f64, threshold_label: &str, y_label: &str, x_label: &str) -> Result<Vec<u8>, ChartError> {
    canvas((720u32, 320u32), |root| {
        let maxy = hours.iter().map(|(_, v)| *v).fold(threshold_min * 1.2, f64::max);
        let mut chart = titled(root, title, 34, 50).build_cartesian_2d((6i64..21i64).into_segmented(), 0f64..maxy * 1.05).map_err(draw_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_desc(drawable(x_label))
            .y_desc(drawable(y_label))
            .label_style(font(13.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(hours.iter().filter(|(hr, _)| (6..21).contains(hr)).map(|(hr, v)| {
                let c = if *v > threshold_min { RED_ } else { BLUE_ };
                Rectangle::new([(SegmentValue::Exact(*hr), 0.0), (SegmentValue::Exact(*hr + 1), *v)], c.filled())
            }))
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new([(SegmentValue::Exact(6), threshold_min), (SegmentValue::Exact(21), threshold_min)], RED_.stroke_width(2)))
            .map_err(draw_err)?
            .label(drawable(threshold_label))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED_.stroke_width(2)));
        legend(&mut chart)?;
        Ok(())
    })
}

/// A rate per month (0..1) as a line with points, e.g. 按时办结率 over twelve months.
pub fn trend(title: &str, points: &[(String, f64)], y_label: &str) -> Result<Vec<u8>, ChartError> {
    canvas((720u32, 300u32), |root| {
        let n = points.len().max(1);
        let miny = points.iter().map(|(_, v)| *v).fold(1.0, f64::min);
        let lo = ((miny * 100.0 / 10.0).floor() * 10.0 / 100.0).clamp(0.0, 0.9);
        let labels: Vec<String> = points.iter().map(|(m, _)| m.clone()).collect();
        let mut chart = titled(root, title, 30, 56).build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..1.02f64).map_err(draw_err)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(n + 1)
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 { labels.get(i as usize).cloned().unwrap_or_default() } else { String::new() }
            })
            .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
            .y_desc(drawable(y_label))
            .label_style(font(12.0))
            .axis_desc_style(font(13.0))
            .draw()
            .map_err(draw_err)?;
        chart
            .draw_series(LineSeries::new(points.iter().enumerate().map(|(i, (_, v))| (i as f64, *v)), BLUE_.stroke_width(3)))
            .map_err(draw_err)?;
        chart
            .draw_series(points.iter().enumerate().map(|(i, (_, v))| Circle::new((i as f64, *v), 4, BLUE_.filled())))
            .map_err(draw_err)?;
        chart
            .draw_series(points.iter().enumerate().map(|(i, (_, v))| Text::new(format!("{:.1}%", v * 100.0), (i as f64 + 0.05, *v + 0.01), font(11.0))))
            .map_err(draw_err)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_font_draws_the_fixed_chinese_of_the_charts() {
        let shipped = FontRef::try_from_slice(SHIPPED).unwrap();
        for s in ["窗口满意度排名", "满意票", "不满意票", "各时段平均等候时间（分钟）", "按时办结率（近12个月）", "取号时段", "文明窗口", "医保服务大厅"] {
            assert!(s.chars().all(|c| shipped.glyph_id(c).0 != 0), "{s}");
        }
    }

    #[test]
    fn charts_are_png() {
        let bars = vec![RankBar { label: "1号窗口".into(), satisfied: 30, unsatisfied: 2 }, RankBar { label: "W02".into(), satisfied: 12, unsatisfied: 5 }];
        let p = ranking("窗口满意度排名 H01", &bars, "满意票", "不满意票").unwrap();
        assert_eq!(&p[..8], b"\x89PNG\r\n\x1a\n");
        let p = wait_by_hour("等候", &[(9, 12.0), (10, 35.5)], 30.0, "30分钟", "分钟", "时").unwrap();
        assert_eq!(&p[..4], b"\x89PNG");
        let p = trend("按时办结率", &[("2026-09".into(), 0.9), ("2026-10".into(), 0.95)], "%").unwrap();
        assert_eq!(&p[..4], b"\x89PNG");
        assert_eq!(drawable("窗口\u{10FFFD}"), "窗口?");
    }
}
