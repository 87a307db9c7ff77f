//! Percentiles (nearest rank) and means over samples in seconds, printed in milliseconds.

pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

pub fn median(v: &[f64]) -> f64 {
    pct(&sorted(v.to_vec()), 50.0)
}

/// "p50 / p95 / p99" in ms.
pub fn ppp(v: &[f64]) -> String {
    let s = sorted(v.to_vec());
    format!(
        "{} / {} / {}",
        ms(pct(&s, 50.0)),
        ms(pct(&s, 95.0)),
        ms(pct(&s, 99.0))
    )
}

pub fn ms(secs: f64) -> String {
    let m = secs * 1000.0;
    if m.is_nan() {
        "–".into()
    } else if m >= 100.0 {
        format!("{m:.0}")
    } else if m >= 10.0 {
        format!("{m:.1}")
    } else {
        format!("{m:.2}")
    }
}
