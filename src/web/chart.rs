//! The overview's trend chart: red and yellow cards per month, drawn on the server as inline SVG
//! (the pages run no script; the CSP's `default-src 'self'` lets inline SVG render, and the chart
//! uses presentation attributes, never a `style` attribute), with the same numbers as a table
//! beneath it and a `<title>` on every bar, so they can be read without the picture.

use std::fmt::Write;

use super::html::{self, esc};

const WIDTH: usize = 640;
const HEIGHT: usize = 200;
/// Room for the month labels below the bars and the scale on the left.
const BOTTOM: usize = 24;
const LEFT: usize = 36;
const RED: &str = "#b00";
const YELLOW: &str = "#e0a000";

/// The chart and its table for `months`: (YYYY-MM, red, yellow), oldest first.
pub fn trend(months: &[(String, i64, i64)], en: bool) -> String {
    let (title, red, yellow, month) = if en { ("Red and yellow cards per month", "Red", "Yellow", "Month") } else { ("红黄牌月度趋势", "红牌", "黄牌", "月份") };
    let mut h = format!("<h2>{}</h2><div id=\"trend\">", esc(title));
    h.push_str(&svg(months, title, red, yellow));
    let rows: Vec<Vec<String>> = months.iter().map(|(m, r, y)| vec![m.clone(), r.to_string(), y.to_string()]).collect();
    let _ = write!(h, "<div id=\"trend-table\">{}</div></div>", html::table(&[month, red, yellow], &rows, &|_, _| None));
    h
}

fn svg(months: &[(String, i64, i64)], title: &str, red: &str, yellow: &str) -> String {
    let top = months.iter().map(|(_, r, y)| (*r).max(*y)).max().unwrap_or(0).max(1);
    let plot = HEIGHT - BOTTOM - 8;
    // Bars of at most 20 px in slots of at most 52 px: a few months make a narrow chart, not
    // broad blocks.
    let slot = ((WIDTH - LEFT) / months.len().max(1)).min(52);
    let bar = (slot.saturating_sub(12) / 2).clamp(2, 20);
    let mut s = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-labelledby=\"trend-title\"><title id=\"trend-title\">{}</title>", esc(title));
    let base = HEIGHT - BOTTOM;
    let _ = write!(s, "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{WIDTH}\" y2=\"{base}\" stroke=\"#888\"/>");
    let _ = write!(s, "<text x=\"{}\" y=\"14\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{top}</text><text x=\"{}\" y=\"{base}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">0</text>", LEFT - 4, LEFT - 4);
    for (i, (m, r, y)) in months.iter().enumerate() {
        let x = LEFT + i * slot + 4;
        for (k, (n, colour, label)) in [(*r, RED, red), (*y, YELLOW, yellow)].into_iter().enumerate() {
            let hgt = (n.max(0) as usize * plot) / top as usize;
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{hgt}\" fill=\"{colour}\" class=\"bar\" data-month=\"{}\" data-severity=\"{}\" data-count=\"{n}\"><title>{} {} {n}</title></rect>",
                x + k * bar,
                base - hgt,
                esc(m),
                if k == 0 { "red" } else { "yellow" },
                esc(m),
                esc(label)
            );
        }
        let _ = write!(s, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{}</text>", x + bar, HEIGHT - 8, esc(m.get(2..).filter(|_| months.len() > 6).unwrap_or(m)));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_month_has_a_bar_per_severity_with_its_count_and_a_row() {
        let m = vec![("2026-09".to_string(), 3, 5), ("2026-10".to_string(), 0, 2)];
        let h = trend(&m, false);
        assert!(h.contains("data-month=\"2026-09\" data-severity=\"red\" data-count=\"3\""), "{h}");
        assert!(h.contains("data-month=\"2026-10\" data-severity=\"yellow\" data-count=\"2\""), "{h}");
        assert!(h.contains("<title>2026-09 红牌 3</title>"), "{h}");
        assert!(h.contains("<td>2026-10</td><td>0</td><td>2</td>"), "{h}");
        assert!(!h.contains("style="), "{h}");
        assert!(trend(&m, true).contains("<title>2026-09 Red 3</title>"));
        // No month at all still draws an empty chart.
        assert!(trend(&[], false).contains("</svg>"));
    }
}
