//! **report**: a run's results as JSON, Markdown, and a self-contained HTML page with
//! inline SVG charts (pass@k per model, per category, verdict mix, latency). Several models
//! in one run are compared: which problems one solves and the other does not.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::passk::{mean_pass_at_k, pass_at_k, share, PassAtK};
use super::run::{run_config, RunError};
use super::store::{is_timeout, Store};

/// One problem's result for one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemResult {
    pub problem_id: String,
    pub n: u64,
    pub c: u64,
    /// pass@k for each k with n ≥ k.
    pub pass_at_k: BTreeMap<u64, f64>,
    pub verdicts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryResult {
    pub category: String,
    pub problems: usize,
    /// Mean pass@k of the category's problems, for the smallest k of the run.
    pub pass_at_k: f64,
    pub k: u64,
}

/// Generation and execution times.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub generation_ms_mean: f64,
    pub generation_ms_p50: u64,
    pub generation_ms_p90: u64,
    pub execution_ms_mean: f64,
    pub completion_tokens_mean: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelReport {
    pub model: String,
    pub samples: u64,
    pub passed: u64,
    pub pass_at_k: Vec<PassAtK>,
    /// Share of samples whose verdict was a time limit (a noisy host makes pass@k drift).
    pub timeout_share: f64,
    pub verdicts: BTreeMap<String, u64>,
    pub categories: Vec<CategoryResult>,
    pub problems: Vec<ProblemResult>,
    pub latency: Latency,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    /// Problems A solves in at least one sample and B in none.
    pub only_a: Vec<String>,
    pub only_b: Vec<String>,
    /// Per category: (category, A's score, B's score).
    pub categories: Vec<(String, f64, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemInfo {
    pub id: String,
    pub title: String,
    pub categories: Vec<String>,
    pub difficulty: Option<String>,
    pub time_limit_ms: u64,
    pub calibration: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub run_id: String,
    pub status: String,
    pub dataset: String,
    pub language: Option<String>,
    pub samples_per_problem: u32,
    pub ks: Vec<u64>,
    pub temperature: f64,
    pub backend: String,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    pub problems: Vec<ProblemInfo>,
    pub models: Vec<ModelReport>,
    pub comparisons: Vec<Comparison>,
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Builds the report of a run from the store.
pub fn build(store: &Store, run_id: &str) -> Result<Report, RunError> {
    let row = store.run(run_id)?;
    let config = run_config(store, run_id)?;
    let problems = store.problems(run_id)?;
    let samples = store.samples(run_id)?;
    let generations = store.generations_of_run(run_id)?;
    let ks = config.ks.clone();
    let k_small = ks.iter().copied().min().unwrap_or(1);

    let mut models = Vec::new();
    for model in &config.models {
        let mine: Vec<_> = samples.iter().filter(|s| &s.model == model).collect();
        let mut per_problem = Vec::new();
        for rp in &problems {
            let of: Vec<_> = mine
                .iter()
                .filter(|s| s.problem_id == rp.problem.id)
                .collect();
            let n = of.len() as u64;
            let c = of.iter().filter(|s| s.passed).count() as u64;
            let pass = ks
                .iter()
                .filter_map(|&k| pass_at_k(n, c, k).map(|v| (k, v)))
                .collect();
            per_problem.push(ProblemResult {
                problem_id: rp.problem.id.clone(),
                n,
                c,
                pass_at_k: pass,
                verdicts: of.iter().map(|s| s.verdict.clone()).collect(),
            });
        }
        let counts: Vec<(u64, u64)> = per_problem
            .iter()
            .filter(|p| p.n > 0)
            .map(|p| (p.n, p.c))
            .collect();
        let pass_at_k: Vec<PassAtK> = ks
            .iter()
            .filter_map(|&k| mean_pass_at_k(&counts, k))
            .collect();
        let mut verdicts = BTreeMap::new();
        for s in &mine {
            *verdicts.entry(s.verdict.clone()).or_insert(0u64) += 1;
        }
        let timeouts = mine.iter().filter(|s| is_timeout(&s.verdict)).count() as u64;
        let mut by_category: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
        for (rp, pr) in problems.iter().zip(&per_problem) {
            if pr.n == 0 {
                continue;
            }
            for c in &rp.problem.categories {
                by_category.entry(c.clone()).or_default().push((pr.n, pr.c));
            }
        }
        let categories = by_category
            .into_iter()
            .filter_map(|(category, counts)| {
                mean_pass_at_k(&counts, k_small).map(|m| CategoryResult {
                    category,
                    problems: m.problems,
                    pass_at_k: m.mean,
                    k: k_small,
                })
            })
            .collect();
        let mut gen_ms: Vec<u64> = generations
            .iter()
            .filter(|(m, ..)| m == model)
            .map(|(_, _, _, g)| g.generation.elapsed_ms)
            .collect();
        gen_ms.sort_unstable();
        let tokens: Vec<u64> = generations
            .iter()
            .filter(|(m, ..)| m == model)
            .filter_map(|(_, _, _, g)| g.generation.completion_tokens)
            .collect();
        let exec_ms: Vec<u64> = mine
            .iter()
            .map(|s| s.tests.iter().map(|t| t.wall_ms).sum())
            .collect();
        let mean = |v: &[u64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<u64>() as f64 / v.len() as f64
            }
        };
        models.push(ModelReport {
            model: model.clone(),
            samples: mine.len() as u64,
            passed: mine.iter().filter(|s| s.passed).count() as u64,
            pass_at_k,
            timeout_share: share(timeouts, mine.len() as u64),
            verdicts,
            categories,
            problems: per_problem,
            latency: Latency {
                generation_ms_mean: mean(&gen_ms),
                generation_ms_p50: percentile(&gen_ms, 0.5),
                generation_ms_p90: percentile(&gen_ms, 0.9),
                execution_ms_mean: mean(&exec_ms),
                completion_tokens_mean: (!tokens.is_empty()).then(|| mean(&tokens)),
            },
        });
    }

    let mut comparisons = Vec::new();
    for i in 0..models.len() {
        for j in i + 1..models.len() {
            let (a, b) = (&models[i], &models[j]);
            let solved = |m: &ModelReport| -> BTreeSet<String> {
                m.problems
                    .iter()
                    .filter(|p| p.c > 0)
                    .map(|p| p.problem_id.clone())
                    .collect()
            };
            let (sa, sb) = (solved(a), solved(b));
            let cats: BTreeSet<&String> = a
                .categories
                .iter()
                .chain(&b.categories)
                .map(|c| &c.category)
                .collect();
            let score = |m: &ModelReport, c: &str| {
                m.categories
                    .iter()
                    .find(|x| x.category == c)
                    .map(|x| x.pass_at_k)
                    .unwrap_or(0.0)
            };
            comparisons.push(Comparison {
                a: a.model.clone(),
                b: b.model.clone(),
                only_a: sa.difference(&sb).cloned().collect(),
                only_b: sb.difference(&sa).cloned().collect(),
                categories: cats
                    .into_iter()
                    .map(|c| (c.clone(), score(a, c), score(b, c)))
                    .collect(),
            });
        }
    }

    Ok(Report {
        run_id: run_id.to_string(),
        status: row.status,
        dataset: config.dataset.clone(),
        language: config.language.clone(),
        samples_per_problem: config.samples,
        ks,
        temperature: config.params.temperature,
        backend: format!("{} at {}", config.backend.kind.name(), config.backend.url),
        created_ms: row.created_ms,
        finished_ms: row.finished_ms,
        problems: problems
            .iter()
            .map(|rp| ProblemInfo {
                id: rp.problem.id.clone(),
                title: rp.problem.title.clone(),
                categories: rp.problem.categories.clone(),
                difficulty: rp.problem.difficulty.clone(),
                time_limit_ms: rp.time_limit_ms,
                calibration: rp.calibration.clone(),
            })
            .collect(),
        models,
        comparisons,
    })
}

impl Report {
    /// The scores alone (no times): two runs of the same answers compare equal on this.
    pub fn scores(&self) -> serde_json::Value {
        serde_json::json!(self
            .models
            .iter()
            .map(|m| serde_json::json!({
                "model": m.model,
                "samples": m.samples,
                "passed": m.passed,
                "pass_at_k": m.pass_at_k,
                "verdicts": m.verdicts,
                "problems": m.problems,
                "categories": m.categories,
            }))
            .collect::<Vec<_>>())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn to_markdown(&self) -> String {
        use std::fmt::Write;
        let mut md = String::new();
        let _ = writeln!(md, "# localeval report — {}\n", self.run_id);
        let _ = writeln!(
            md,
            "- dataset: `{}`{}\n- backend: {}\n- samples per problem: {}, temperature {}\n- status: {}\n",
            self.dataset,
            self.language.as_deref().map(|l| format!(" ({l})")).unwrap_or_default(),
            self.backend,
            self.samples_per_problem,
            self.temperature,
            self.status
        );
        let _ = writeln!(md, "## pass@k\n");
        let mut header = "| model | samples | passed |".to_string();
        let mut rule = "|---|---:|---:|".to_string();
        for k in &self.ks {
            let _ = write!(header, " pass@{k} (95% CI) |");
            rule.push_str("---:|");
        }
        header.push_str(" timeouts |");
        rule.push_str("---:|");
        let _ = writeln!(md, "{header}\n{rule}");
        for m in &self.models {
            let mut line = format!("| {} | {} | {} |", m.model, m.samples, m.passed);
            for k in &self.ks {
                match m.pass_at_k.iter().find(|p| p.k == *k) {
                    Some(p) => {
                        let _ = write!(line, " {:.4} ({:.3}–{:.3}) |", p.mean, p.ci_low, p.ci_high);
                    }
                    None => line.push_str(" n < k |"),
                }
            }
            let _ = write!(line, " {:.1}% |", m.timeout_share * 100.0);
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md, "\n## Verdicts\n");
        let all: BTreeSet<&String> = self.models.iter().flat_map(|m| m.verdicts.keys()).collect();
        let _ = writeln!(
            md,
            "| model |{}",
            all.iter().map(|v| format!(" {v} |")).collect::<String>()
        );
        let _ = writeln!(
            md,
            "|---|{}",
            all.iter().map(|_| "---:|").collect::<String>()
        );
        for m in &self.models {
            let _ = writeln!(
                md,
                "| {} |{}",
                m.model,
                all.iter()
                    .map(|v| format!(" {} |", m.verdicts.get(*v).unwrap_or(&0)))
                    .collect::<String>()
            );
        }
        if self.models.iter().any(|m| !m.categories.is_empty()) {
            let _ = writeln!(
                md,
                "\n## By category (pass@{})\n",
                self.ks.iter().min().unwrap_or(&1)
            );
            let cats: BTreeSet<&String> = self
                .models
                .iter()
                .flat_map(|m| m.categories.iter().map(|c| &c.category))
                .collect();
            let _ = writeln!(
                md,
                "| category |{}",
                self.models
                    .iter()
                    .map(|m| format!(" {} |", m.model))
                    .collect::<String>()
            );
            let _ = writeln!(
                md,
                "|---|{}",
                self.models.iter().map(|_| "---:|").collect::<String>()
            );
            for c in cats {
                let cells: String = self
                    .models
                    .iter()
                    .map(|m| match m.categories.iter().find(|x| &x.category == c) {
                        Some(x) => format!(" {:.3} |", x.pass_at_k),
                        None => " – |".into(),
                    })
                    .collect();
                let _ = writeln!(md, "| {c} |{cells}");
            }
        }
        let _ = writeln!(md, "\n## Latency\n\n| model | generation mean ms | p50 | p90 | execution mean ms | tokens mean |\n|---|---:|---:|---:|---:|---:|");
        for m in &self.models {
            let l = &m.latency;
            let _ = writeln!(
                md,
                "| {} | {:.0} | {} | {} | {:.0} | {} |",
                m.model,
                l.generation_ms_mean,
                l.generation_ms_p50,
                l.generation_ms_p90,
                l.execution_ms_mean,
                l.completion_tokens_mean
                    .map(|t| format!("{t:.0}"))
                    .unwrap_or_else(|| "–".into())
            );
        }
        for c in &self.comparisons {
            let _ = writeln!(md, "\n## {} vs {}\n", c.a, c.b);
            let _ = writeln!(
                md,
                "- solved by {} only ({}): {}",
                c.a,
                c.only_a.len(),
                c.only_a.join(", ")
            );
            let _ = writeln!(
                md,
                "- solved by {} only ({}): {}",
                c.b,
                c.only_b.len(),
                c.only_b.join(", ")
            );
        }
        let _ = writeln!(md, "\n## Problems\n");
        let _ = writeln!(
            md,
            "| problem | time limit |{}\n|---|---:|{}",
            self.models
                .iter()
                .map(|m| format!(" {} |", m.model))
                .collect::<String>(),
            self.models.iter().map(|_| "---|").collect::<String>()
        );
        for (i, p) in self.problems.iter().enumerate() {
            let cells: String = self
                .models
                .iter()
                .map(|m| {
                    let r = &m.problems[i];
                    format!(" {}/{} {} |", r.c, r.n, r.verdicts.join(" "))
                })
                .collect();
            let _ = writeln!(md, "| {} | {} ms |{cells}", p.id, p.time_limit_ms);
        }
        md
    }

    pub fn to_html(&self) -> String {
        let mut body = String::new();
        body.push_str(&format!(
            "<h1>localeval report <code>{}</code></h1><p>dataset <code>{}</code>{} · {} · {} samples per problem · temperature {} · status <b>{}</b></p>",
            esc(&self.run_id),
            esc(&self.dataset),
            self.language.as_deref().map(|l| format!(" ({})", esc(l))).unwrap_or_default(),
            esc(&self.backend),
            self.samples_per_problem,
            self.temperature,
            esc(&self.status)
        ));
        // pass@k per model.
        let groups: Vec<(String, Vec<(String, f64)>)> = self
            .models
            .iter()
            .map(|m| {
                (
                    m.model.clone(),
                    m.pass_at_k
                        .iter()
                        .map(|p| (format!("pass@{}", p.k), p.mean))
                        .collect(),
                )
            })
            .collect();
        body.push_str(&bar_chart("pass@k per model", &groups, 1.0, |v| {
            format!("{:.3}", v)
        }));
        let cats: BTreeSet<&String> = self
            .models
            .iter()
            .flat_map(|m| m.categories.iter().map(|c| &c.category))
            .collect();
        if !cats.is_empty() {
            let groups: Vec<(String, Vec<(String, f64)>)> = cats
                .iter()
                .map(|c| {
                    (
                        c.to_string(),
                        self.models
                            .iter()
                            .map(|m| {
                                (
                                    m.model.clone(),
                                    m.categories
                                        .iter()
                                        .find(|x| &x.category == *c)
                                        .map(|x| x.pass_at_k)
                                        .unwrap_or(0.0),
                                )
                            })
                            .collect(),
                    )
                })
                .collect();
            body.push_str(&bar_chart(
                &format!("pass@{} per category", self.ks.iter().min().unwrap_or(&1)),
                &groups,
                1.0,
                |v| format!("{:.3}", v),
            ));
        }
        let groups: Vec<(String, Vec<(String, f64)>)> = self
            .models
            .iter()
            .map(|m| {
                (
                    m.model.clone(),
                    m.verdicts
                        .iter()
                        .map(|(v, n)| (v.clone(), *n as f64))
                        .collect(),
                )
            })
            .collect();
        let most = self
            .models
            .iter()
            .map(|m| m.samples)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        body.push_str(&bar_chart("verdict mix (samples)", &groups, most, |v| {
            format!("{v:.0}")
        }));
        let groups: Vec<(String, Vec<(String, f64)>)> = self
            .models
            .iter()
            .map(|m| {
                (
                    m.model.clone(),
                    vec![
                        (
                            "generation p50 ms".into(),
                            m.latency.generation_ms_p50 as f64,
                        ),
                        (
                            "generation p90 ms".into(),
                            m.latency.generation_ms_p90 as f64,
                        ),
                        ("execution mean ms".into(), m.latency.execution_ms_mean),
                    ],
                )
            })
            .collect();
        let most = groups
            .iter()
            .flat_map(|(_, s)| s.iter().map(|(_, v)| *v))
            .fold(1.0, f64::max);
        body.push_str(&bar_chart("latency", &groups, most, |v| format!("{v:.0}")));
        let md_tables = self.to_markdown();
        body.push_str("<details><summary>Tables (Markdown)</summary><pre>");
        body.push_str(&esc(&md_tables));
        body.push_str("</pre></details>");
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>localeval {}</title>\
             <style>body{{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}}\
             h2{{margin-top:1.5em}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}svg text{{font-size:12px}}</style>\
             </head><body>{body}</body></html>\n",
            esc(&self.run_id)
        )
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const COLORS: &[&str] = &[
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// A horizontal grouped bar chart as inline SVG: one group per label, one bar per series.
fn bar_chart(
    title: &str,
    groups: &[(String, Vec<(String, f64)>)],
    max: f64,
    fmt: impl Fn(f64) -> String,
) -> String {
    let series: Vec<String> = {
        let mut seen = Vec::new();
        for (_, s) in groups {
            for (name, _) in s {
                if !seen.contains(name) {
                    seen.push(name.clone());
                }
            }
        }
        seen
    };
    let bar_h = 16.0;
    let label_w = 200.0;
    let chart_w = 600.0;
    let mut y = 10.0;
    let mut svg = String::new();
    for (label, values) in groups {
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.0}\">{}</text>",
            y + bar_h * 0.8,
            esc(label)
        ));
        for (name, v) in values {
            let i = series.iter().position(|s| s == name).unwrap_or(0);
            let w = if max > 0.0 {
                (v / max).clamp(0.0, 1.0) * chart_w
            } else {
                0.0
            };
            svg.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {}</title></rect>\
                 <text x=\"{:.1}\" y=\"{:.0}\">{} {}</text>",
                bar_h - 2.0,
                COLORS[i % COLORS.len()],
                esc(name),
                fmt(*v),
                label_w + w + 4.0,
                y + bar_h * 0.75,
                esc(name),
                fmt(*v)
            ));
            y += bar_h;
        }
        y += 8.0;
    }
    format!(
        "<h2>{}</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{:.0}\" role=\"img\" aria-label=\"{}\">{svg}</svg>",
        esc(title),
        label_w + chart_w + 160.0,
        y + 10.0,
        esc(title)
    )
}

/// Writes `report.json`, `report.md` and `report.html` into `dir`.
pub fn write_all(
    report: &Report,
    dir: &std::path::Path,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let files = [
        ("report.json", report.to_json()),
        ("report.md", report.to_markdown()),
        ("report.html", report.to_html()),
    ];
    let mut out = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        out.push(path);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_and_scale() {
        let svg = bar_chart(
            "t<1>",
            &[("m&1".into(), vec![("pass@1".into(), 0.5)])],
            1.0,
            |v| format!("{v}"),
        );
        assert!(svg.contains("t&lt;1&gt;") && svg.contains("m&amp;1"));
        assert!(svg.contains("width=\"300.0\""), "{svg}");
    }

    #[test]
    fn percentiles() {
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.5), 3);
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.9), 5);
    }
}
