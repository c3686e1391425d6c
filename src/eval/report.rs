//! **report**: a run's results as JSON, Markdown, and a self-contained HTML page (inline
//! CSS and SVG, no script, opens offline): pass@k per model with bootstrap confidence
//! intervals, a model × problem heatmap whose cells open every sample of that cell (the
//! model's answer, the extracted code, the program run, its output, the failing test,
//! time, memory, provenance), the verdict mix in colours that mean what they say, tables
//! by category and difficulty, differences between models, and the run's metadata
//! (dataset hash, model digests, limits, host, version). Markdown and JSON carry every
//! failure too.
//!
//! Everything a model or a program wrote is attacker-controlled: the HTML escapes every
//! piece of it ([`esc`]) and holds no script, so a hostile answer can at worst be shown.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};

use super::passk::{mean_pass_at_k, pass_at_k, share, PassAtK};
use super::run::{run_config, RunError, TimePolicy};
use super::store::{is_timeout, Excerpt, RunMeta, SampleDetail, Store, PROGRAM_BYTES};

/// How the report's intervals are computed, said in every format.
pub const CI_METHOD: &str = "95% percentile bootstrap over problems (2000 resamples of the \
    problems with replacement, fixed seed): the interval of the mean pass@k if the problem \
    set were drawn again";
const BOOTSTRAP_RESAMPLES: usize = 2000;

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
    /// pass@k with the interval of [`CI_METHOD`], per k.
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// Mean pass@k (smallest k) per difficulty.
    #[serde(default)]
    pub difficulties: Vec<CategoryResult>,
}

/// A mean pass@k and its confidence interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub k: u64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// One sample, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleReport {
    pub model: String,
    pub problem_id: String,
    pub sample_index: u32,
    pub verdict: String,
    pub passed: bool,
    /// The model's answer as it came (bounded).
    pub raw_answer: Option<Excerpt>,
    pub extracted: String,
    /// How the code was taken from the answer.
    pub extraction: String,
    pub tests_passed: usize,
    pub tests_total: usize,
    pub generation_ms: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// What ran, its output, the failure, usage and provenance; `None` for samples stored
    /// before details were kept.
    pub detail: Option<SampleDetail>,
}

/// A model as its server described it (digest, size, quantization...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model: String,
    pub info: Option<serde_json::Value>,
}

/// Where, by what and under which limits the run was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMetadata {
    /// sha256 of the run's problems as stored (statement, tests, reference): two runs with
    /// the same hash asked the same questions.
    pub dataset_sha256: String,
    /// localeval version, host name and kernel of the run's creator (`None` for runs made
    /// before this was kept).
    pub made_by: Option<RunMeta>,
    pub localeval_version_reporting: String,
    pub models: Vec<ModelInfo>,
    pub memory_mb: u64,
    pub time: Option<TimePolicy>,
    pub time_limit_ms_min: u64,
    pub time_limit_ms_max: u64,
    pub top_p: Option<f64>,
    pub seed: Option<u64>,
    pub max_tokens: u32,
    pub ci_method: String,
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
    #[serde(default)]
    pub metadata: RunMetadata,
    /// Every sample with its details, by model, problem, index.
    #[serde(default)]
    pub samples: Vec<SampleReport>,
}

/// splitmix64: a fixed, tiny generator so that a report's intervals are the same every
/// time it is built (no dependency needed for resampling indices).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The mean of `values` and its [`CI_METHOD`] interval.
pub fn bootstrap_interval(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = SplitMix(0x6c6f_6361_6c65_7661);
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            (0..n)
                .map(|_| values[(rng.next() % n as u64) as usize])
                .sum::<f64>()
                / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((means.len() - 1) as f64 * q).round() as usize];
    Some((mean, at(0.025), at(0.975)))
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
        let intervals = ks
            .iter()
            .filter_map(|&k| {
                let values: Vec<f64> = counts
                    .iter()
                    .filter_map(|&(n, c)| super::passk::pass_at_k(n, c, k))
                    .collect();
                bootstrap_interval(&values).map(|(mean, low, high)| Interval { k, mean, low, high })
            })
            .collect();
        let mut by_difficulty: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
        for (rp, pr) in problems.iter().zip(&per_problem) {
            if pr.n > 0 {
                by_difficulty
                    .entry(
                        rp.problem
                            .difficulty
                            .clone()
                            .unwrap_or_else(|| "unrated".into()),
                    )
                    .or_default()
                    .push((pr.n, pr.c));
            }
        }
        let difficulties = by_difficulty
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
            intervals,
            difficulties,
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

    let by_sample: BTreeMap<(&str, &str, u32), &super::backend::Generation> = generations
        .iter()
        .map(|(m, p, i, g)| ((m.as_str(), p.as_str(), *i), &g.generation))
        .collect();
    let sample_reports = samples
        .iter()
        .map(|s| {
            let g = by_sample
                .get(&(s.model.as_str(), s.problem_id.as_str(), s.sample_index))
                .copied();
            SampleReport {
                model: s.model.clone(),
                problem_id: s.problem_id.clone(),
                sample_index: s.sample_index,
                verdict: s.verdict.clone(),
                passed: s.passed,
                raw_answer: g.map(|g| Excerpt::of(&g.text, PROGRAM_BYTES)),
                extracted: s.extracted.clone(),
                extraction: s.extraction.clone(),
                tests_passed: s.tests.iter().filter(|t| t.passed).count(),
                tests_total: s.tests_total,
                generation_ms: g.map(|g| g.elapsed_ms),
                completion_tokens: g.and_then(|g| g.completion_tokens),
                detail: s.detail.clone(),
            }
        })
        .collect();
    let problems_json: Vec<&super::dataset::Problem> =
        problems.iter().map(|p| &p.problem).collect();
    let metadata = RunMetadata {
        dataset_sha256: hex::encode(Sha256::digest(
            serde_json::to_string(&problems_json)
                .unwrap_or_default()
                .as_bytes(),
        )),
        made_by: store.run_meta(run_id)?,
        localeval_version_reporting: env!("CARGO_PKG_VERSION").to_string(),
        models: store
            .models(run_id)?
            .into_iter()
            .map(|(model, info)| ModelInfo {
                model,
                info: info.and_then(|i| serde_json::from_str(&i).ok()),
            })
            .collect(),
        memory_mb: config.memory_mb,
        time: Some(config.time.clone()),
        time_limit_ms_min: problems.iter().map(|p| p.time_limit_ms).min().unwrap_or(0),
        time_limit_ms_max: problems.iter().map(|p| p.time_limit_ms).max().unwrap_or(0),
        top_p: config.params.top_p,
        seed: config.params.seed,
        max_tokens: config.params.max_tokens,
        ci_method: CI_METHOD.to_string(),
    };

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
        metadata,
        samples: sample_reports,
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
            let _ = write!(header, " pass@{k} (95% CI*) |");
            rule.push_str("---:|");
        }
        header.push_str(" timeouts |");
        rule.push_str("---:|");
        let _ = writeln!(md, "{header}\n{rule}");
        for m in &self.models {
            let mut line = format!("| {} | {} | {} |", m.model, m.samples, m.passed);
            for k in &self.ks {
                match m.intervals.iter().find(|p| p.k == *k) {
                    Some(p) => {
                        let _ = write!(line, " {:.4} ({:.3}–{:.3}) |", p.mean, p.low, p.high);
                    }
                    None => line.push_str(" n < k |"),
                }
            }
            let _ = write!(line, " {:.1}% |", m.timeout_share * 100.0);
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md, "\n\\* {}.", self.metadata.ci_method);
        self.markdown_metadata(&mut md);
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
            let _ = writeln!(md, "| {} | {} ms |{cells}", md_cell(&p.id), p.time_limit_ms);
        }
        self.markdown_failures(&mut md);
        md
    }

    fn markdown_metadata(&self, md: &mut String) {
        use std::fmt::Write;
        let m = &self.metadata;
        let _ = writeln!(md, "\n## Run metadata\n");
        let _ = writeln!(md, "- dataset sha256: `{}`", m.dataset_sha256);
        if let Some(by) = &m.made_by {
            let _ = writeln!(
                md,
                "- made by localeval {} on host `{}` (kernel {})",
                by.localeval_version, by.host, by.kernel
            );
        }
        for model in &m.models {
            let _ = writeln!(
                md,
                "- model `{}`: {}",
                model.model,
                model_digest(model).unwrap_or("no digest reported")
            );
        }
        let _ = writeln!(
            md,
            "- limits: memory {} MiB per execution; time {}–{} ms per test{}",
            m.memory_mb,
            m.time_limit_ms_min,
            m.time_limit_ms_max,
            m.time
                .as_ref()
                .map(|t| format!(
                    " (calibrated: {}, floor {} ms × {})",
                    t.calibrate, t.floor_ms, t.factor
                ))
                .unwrap_or_default()
        );
    }

    fn markdown_failures(&self, md: &mut String) {
        use std::fmt::Write;
        let failed: Vec<&SampleReport> = self.samples.iter().filter(|s| !s.passed).collect();
        let _ = writeln!(md, "\n## Failures ({})\n", failed.len());
        for s in failed {
            let _ = writeln!(
                md,
                "### {} · {} · sample {} — {}\n",
                md_cell(&s.model),
                md_cell(&s.problem_id),
                s.sample_index,
                s.verdict
            );
            let Some(d) = &s.detail else {
                let _ = writeln!(md, "(no details kept for this sample)\n");
                continue;
            };
            if let Some(f) = &d.failure {
                let _ = writeln!(md, "- {}", md_cell(f));
            }
            let _ = writeln!(
                md,
                "- {} ms wall, {} ms CPU, {:.1} MiB peak; exit {}; {}\n",
                d.wall_ms,
                d.cpu_ms,
                d.peak_memory_bytes as f64 / 1048576.0,
                d.exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "–".into()),
                d.provenance.rootfs
            );
            for (name, text) in [("stderr", &d.stderr.text), ("stdout", &d.stdout.text)] {
                if !text.trim().is_empty() {
                    let excerpt: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
                    let fence = fence_for(&excerpt);
                    let _ = writeln!(md, "{name}:\n\n{fence}\n{excerpt}\n{fence}\n");
                }
            }
        }
    }

    pub fn to_html(&self) -> String {
        let mut b = String::new();
        let status_class = match self.status.as_str() {
            "complete" => "ok",
            "running" => "run",
            _ => "bad",
        };
        b.push_str(&format!(
            "<header><h1>localeval report <code>{}</code> <span class=\"badge {status_class}\">{}</span></h1>\
             <p>dataset <code>{}</code>{} · {} · {} sample(s) per problem · temperature {} · {} problems · {} model(s)</p></header>",
            esc(&self.run_id),
            esc(&self.status),
            esc(&self.dataset),
            self.language.as_deref().map(|l| format!(" ({})", esc(l))).unwrap_or_default(),
            esc(&self.backend),
            self.samples_per_problem,
            self.temperature,
            self.problems.len(),
            self.models.len(),
        ));
        b.push_str("<nav><a href=\"#passk\">pass@k</a> <a href=\"#verdicts\">verdicts</a> <a href=\"#heatmap\">problems</a> <a href=\"#failures\">failures</a> <a href=\"#groups\">categories</a> <a href=\"#diff\">differences</a> <a href=\"#meta\">metadata</a></nav>");
        self.html_passk(&mut b);
        self.html_verdicts(&mut b);
        self.html_heatmap(&mut b);
        self.html_failures(&mut b);
        self.html_groups(&mut b);
        self.html_differences(&mut b);
        self.html_metadata(&mut b);
        self.html_samples(&mut b);
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>localeval {}</title><style>{STYLE}</style></head><body>{b}</body></html>\n",
            esc(&self.run_id)
        )
    }

    fn html_passk(&self, b: &mut String) {
        b.push_str("<section id=\"passk\"><h2>pass@k per model</h2>");
        // Grouped bars with error bars: one group per k, one bar per model.
        let (bar_w, gap, plot_h, left, top) = (28.0, 18.0, 200.0, 40.0, 10.0);
        let groups = self.ks.len().max(1) as f64;
        let per_group = self.models.len().max(1) as f64 * bar_w + gap;
        let width = left + groups * per_group + 20.0;
        let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 1.0));
        let mut svg = String::new();
        for t in 0..=4 {
            let v = t as f64 / 4.0;
            svg.push_str(&format!(
                "<line x1=\"{left}\" x2=\"{width:.0}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"{1}\" y=\"{2:.1}\" text-anchor=\"end\">{v:.2}</text>",
                y(v),
                left - 4.0,
                y(v) + 4.0
            ));
        }
        for (gi, k) in self.ks.iter().enumerate() {
            let gx = left + gi as f64 * per_group + gap / 2.0;
            for (mi, m) in self.models.iter().enumerate() {
                let x = gx + mi as f64 * bar_w;
                if let Some(iv) = m.intervals.iter().find(|i| i.k == *k) {
                    let cx = x + bar_w / 2.0 - 2.0;
                    svg.push_str(&format!(
                        "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} pass@{k} = {:.3} (95% CI {:.3}–{:.3})</title></rect>\
                         <line class=\"err\" x1=\"{cx:.1}\" x2=\"{cx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                         <line class=\"err\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                         <line class=\"err\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                        y(iv.mean),
                        bar_w - 4.0,
                        plot_h + top - y(iv.mean),
                        MODEL_COLORS[mi % MODEL_COLORS.len()],
                        esc(&m.model),
                        iv.mean,
                        iv.low,
                        iv.high,
                        y(iv.low),
                        y(iv.high),
                        cx - 5.0,
                        cx + 5.0,
                        y(iv.low),
                        y(iv.low),
                        cx - 5.0,
                        cx + 5.0,
                        y(iv.high),
                        y(iv.high),
                    ));
                }
            }
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">pass@{k}</text>",
                gx + self.models.len() as f64 * bar_w / 2.0,
                top + plot_h + 16.0
            ));
        }
        b.push_str(&format!(
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{:.0}\" role=\"img\" aria-label=\"pass@k per model with 95% confidence intervals\">{svg}</svg>",
            top + plot_h + 26.0
        ));
        b.push_str("<div class=\"legend\">");
        for (mi, m) in self.models.iter().enumerate() {
            b.push_str(&format!(
                "<span><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg> {}</span>",
                MODEL_COLORS[mi % MODEL_COLORS.len()],
                esc(&m.model)
            ));
        }
        b.push_str("</div>");
        b.push_str(&format!(
            "<p class=\"note\">Error bars: {}.</p>",
            esc(&self.metadata.ci_method)
        ));
        b.push_str("<table><thead><tr><th>model</th><th>samples</th><th>passed</th>");
        for k in &self.ks {
            b.push_str(&format!("<th>pass@{k}</th><th>95% CI</th>"));
        }
        b.push_str("<th>timeouts</th><th>generation p50 / p90 ms</th><th>execution mean ms</th></tr></thead><tbody>");
        for m in &self.models {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                esc(&m.model),
                m.samples,
                m.passed
            ));
            for k in &self.ks {
                match m.intervals.iter().find(|i| i.k == *k) {
                    Some(i) => b.push_str(&format!(
                        "<td class=\"n\"><b>{:.3}</b></td><td class=\"n\">{:.3}–{:.3}</td>",
                        i.mean, i.low, i.high
                    )),
                    None => b.push_str("<td class=\"n\" colspan=\"2\">n &lt; k</td>"),
                }
            }
            b.push_str(&format!(
                "<td class=\"n\">{:.1}%</td><td class=\"n\">{} / {}</td><td class=\"n\">{:.0}</td></tr>",
                m.timeout_share * 100.0,
                m.latency.generation_ms_p50,
                m.latency.generation_ms_p90,
                m.latency.execution_ms_mean
            ));
        }
        b.push_str("</tbody></table></section>");
    }

    fn html_verdicts(&self, b: &mut String) {
        b.push_str("<section id=\"verdicts\"><h2>Verdicts</h2>");
        let (label_w, plot_w, row_h) = (180.0, 600.0, 26.0);
        let mut svg = String::new();
        for (mi, m) in self.models.iter().enumerate() {
            let y0 = mi as f64 * row_h + 4.0;
            svg.push_str(&format!(
                "<text x=\"0\" y=\"{:.1}\">{}</text>",
                y0 + 15.0,
                esc(&truncate_chars(&m.model, 26))
            ));
            let total = m.samples.max(1) as f64;
            let mut x = label_w;
            for (v, n) in verdict_order(&m.verdicts) {
                let w = n as f64 / total * plot_w;
                svg.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"{w:.1}\" height=\"{:.0}\" fill=\"{}\"><title>{}: {n} of {} ({})</title></rect>",
                    row_h - 6.0,
                    verdict_color(v),
                    esc(v),
                    m.samples,
                    verdict_meaning(v)
                ));
                if w > 34.0 {
                    svg.push_str(&format!(
                        "<text class=\"on\" x=\"{:.1}\" y=\"{:.1}\">{} {n}</text>",
                        x + 4.0,
                        y0 + 15.0,
                        esc(v)
                    ));
                }
                x += w;
            }
        }
        b.push_str(&format!(
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" role=\"img\" aria-label=\"verdicts per model\">{svg}</svg>",
            label_w + plot_w + 10.0,
            self.models.len() as f64 * row_h + 8.0
        ));
        let seen: BTreeSet<&String> = self.models.iter().flat_map(|m| m.verdicts.keys()).collect();
        b.push_str("<div class=\"legend\">");
        for v in seen {
            b.push_str(&format!(
                "<span><span class=\"v v-{}\">{}</span> {}</span>",
                verdict_class(v),
                esc(v),
                verdict_meaning(v)
            ));
        }
        b.push_str("</div><table><thead><tr><th>model</th>");
        let all: BTreeSet<&String> = self.models.iter().flat_map(|m| m.verdicts.keys()).collect();
        for v in &all {
            b.push_str(&format!(
                "<th><span class=\"v v-{}\">{}</span></th>",
                verdict_class(v),
                esc(v)
            ));
        }
        b.push_str("</tr></thead><tbody>");
        for m in &self.models {
            b.push_str(&format!("<tr><td>{}</td>", esc(&m.model)));
            for v in &all {
                b.push_str(&format!(
                    "<td class=\"n\">{}</td>",
                    m.verdicts.get(*v).unwrap_or(&0)
                ));
            }
            b.push_str("</tr>");
        }
        b.push_str("</tbody></table></section>");
    }

    fn html_heatmap(&self, b: &mut String) {
        b.push_str("<section id=\"heatmap\"><h2>Problems × models</h2><p class=\"note\">Each cell: samples passed / samples, coloured by pass rate (red 0 → green 1), with the verdict of the first failing sample. Click a cell for its samples: answer, code, program, output, failure, provenance.</p>");
        b.push_str("<div class=\"scroll\"><table class=\"heat\"><thead><tr><th>problem</th><th>category</th><th>difficulty</th><th>time limit</th>");
        for m in &self.models {
            b.push_str(&format!("<th>{}</th>", esc(&m.model)));
        }
        b.push_str("</tr></thead><tbody>");
        for (pi, p) in self.problems.iter().enumerate() {
            b.push_str(&format!(
                "<tr><td title=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{} ms</td>",
                esc(&p.title),
                esc(&p.id),
                esc(&p.categories.join(", ")),
                esc(p.difficulty.as_deref().unwrap_or("")),
                p.time_limit_ms
            ));
            for (mi, m) in self.models.iter().enumerate() {
                match m.problems.get(pi).filter(|r| r.n > 0) {
                    Some(r) => {
                        let rate = r.c as f64 / r.n as f64;
                        let failing = r.verdicts.iter().find(|v| *v != "OK");
                        b.push_str(&format!(
                            "<td class=\"h h{}\"><a href=\"#{}\" title=\"{} on {}: {} of {} passed\">{}/{}{}</a></td>",
                            (rate * 10.0).round() as u32,
                            cell_id(pi, mi),
                            esc(&m.model),
                            esc(&p.id),
                            r.c,
                            r.n,
                            r.c,
                            r.n,
                            failing
                                .map(|v| format!(" <span class=\"v v-{}\">{}</span>", verdict_class(v), esc(v)))
                                .unwrap_or_default()
                        ));
                    }
                    None => b.push_str("<td class=\"h hn\">–</td>"),
                }
            }
            b.push_str("</tr>");
        }
        b.push_str("</tbody></table></div></section>");
    }

    fn html_failures(&self, b: &mut String) {
        let failed: Vec<&SampleReport> = self.samples.iter().filter(|s| !s.passed).collect();
        b.push_str(&format!(
            "<section id=\"failures\"><h2>Failures ({})</h2>",
            failed.len()
        ));
        if failed.is_empty() {
            b.push_str("<p>Every sample passed.</p></section>");
            return;
        }
        b.push_str("<div class=\"scroll\"><table><thead><tr><th>model</th><th>problem</th><th>#</th><th>verdict</th><th>failure</th><th>wall ms</th><th>peak MiB</th></tr></thead><tbody>");
        for s in failed {
            let link = self.cell_of(&s.model, &s.problem_id);
            let d = s.detail.as_ref();
            b.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"#{}\">{}</a></td><td class=\"n\">{}</td><td><span class=\"v v-{}\">{}</span></td><td class=\"fail\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&s.model),
                link,
                esc(&s.problem_id),
                s.sample_index,
                verdict_class(&s.verdict),
                esc(&s.verdict),
                esc(d.and_then(|d| d.failure.as_deref()).unwrap_or("(no details kept)")),
                d.map(|d| d.wall_ms.to_string()).unwrap_or_default(),
                d.map(|d| format!("{:.1}", d.peak_memory_bytes as f64 / 1048576.0)).unwrap_or_default(),
            ));
        }
        b.push_str("</tbody></table></div></section>");
    }

    fn html_groups(&self, b: &mut String) {
        let k = self.ks.iter().min().copied().unwrap_or(1);
        b.push_str(&format!(
            "<section id=\"groups\"><h2>By category and difficulty (pass@{k})</h2>"
        ));
        fn categories(m: &ModelReport) -> &[CategoryResult] {
            &m.categories
        }
        fn difficulties(m: &ModelReport) -> &[CategoryResult] {
            &m.difficulties
        }
        type Pick = fn(&ModelReport) -> &[CategoryResult];
        for (title, pick) in [
            ("category", categories as Pick),
            ("difficulty", difficulties as Pick),
        ] {
            let names: BTreeSet<&String> = self
                .models
                .iter()
                .flat_map(|m| pick(m).iter().map(|c| &c.category))
                .collect();
            if names.is_empty() {
                continue;
            }
            b.push_str(&format!(
                "<table><thead><tr><th>{title}</th><th>problems</th>"
            ));
            for m in &self.models {
                b.push_str(&format!("<th>{}</th>", esc(&m.model)));
            }
            b.push_str("</tr></thead><tbody>");
            for name in names {
                let count = self
                    .models
                    .iter()
                    .filter_map(|m| pick(m).iter().find(|c| &c.category == name))
                    .map(|c| c.problems)
                    .max()
                    .unwrap_or(0);
                b.push_str(&format!(
                    "<tr><td>{}</td><td class=\"n\">{count}</td>",
                    esc(name)
                ));
                for m in &self.models {
                    match pick(m).iter().find(|c| &c.category == name) {
                        Some(c) => b.push_str(&format!(
                            "<td class=\"n h h{}\">{:.3}</td>",
                            (c.pass_at_k * 10.0).round() as u32,
                            c.pass_at_k
                        )),
                        None => b.push_str("<td class=\"n\">–</td>"),
                    }
                }
                b.push_str("</tr>");
            }
            b.push_str("</tbody></table>");
        }
        b.push_str("</section>");
    }

    fn html_differences(&self, b: &mut String) {
        b.push_str("<section id=\"diff\"><h2>Differences between models</h2>");
        if self.comparisons.is_empty() {
            b.push_str("<p>One model in this run: nothing to compare.</p>");
        }
        for c in &self.comparisons {
            b.push_str(&format!(
                "<h3>{} vs {}</h3><table><tbody>",
                esc(&c.a),
                esc(&c.b)
            ));
            for (who, other, only) in [(&c.a, &c.b, &c.only_a), (&c.b, &c.a, &c.only_b)] {
                let links: Vec<String> = only
                    .iter()
                    .map(|p| format!("<a href=\"#{}\">{}</a>", self.cell_of(who, p), esc(p)))
                    .collect();
                b.push_str(&format!(
                    "<tr><th>solved by {} and not by {} ({})</th><td>{}</td></tr>",
                    esc(who),
                    esc(other),
                    only.len(),
                    if links.is_empty() {
                        "none".to_string()
                    } else {
                        links.join(" ")
                    }
                ));
            }
            b.push_str("</tbody></table>");
            if !c.categories.is_empty() {
                b.push_str(&format!(
                    "<table><thead><tr><th>category</th><th>{}</th><th>{}</th><th>difference</th></tr></thead><tbody>",
                    esc(&c.a),
                    esc(&c.b)
                ));
                for (cat, x, y) in &c.categories {
                    b.push_str(&format!(
                        "<tr><td>{}</td><td class=\"n\">{x:.3}</td><td class=\"n\">{y:.3}</td><td class=\"n {}\">{:+.3}</td></tr>",
                        esc(cat),
                        if x > y { "up" } else if x < y { "down" } else { "" },
                        x - y
                    ));
                }
                b.push_str("</tbody></table>");
            }
        }
        b.push_str("</section>");
    }

    fn html_metadata(&self, b: &mut String) {
        let m = &self.metadata;
        b.push_str("<section id=\"meta\"><h2>Run metadata</h2><table class=\"kv\"><tbody>");
        let mut row = |k: &str, v: String| {
            b.push_str(&format!("<tr><th>{}</th><td>{v}</td></tr>", esc(k)));
        };
        row("run", format!("<code>{}</code>", esc(&self.run_id)));
        row("dataset", format!("<code>{}</code>", esc(&self.dataset)));
        row(
            "dataset sha256",
            format!("<code>{}</code>", esc(&m.dataset_sha256)),
        );
        for model in &m.models {
            row(
                &format!("model {}", model.model),
                format!(
                    "<code>{}</code>",
                    esc(model_digest(model).unwrap_or("no digest reported"))
                ),
            );
        }
        row("backend", esc(&self.backend));
        row(
            "sampling",
            format!(
                "n = {}, temperature {}, top_p {}, seed {}, max tokens {}",
                self.samples_per_problem,
                self.temperature,
                m.top_p.map(|v| v.to_string()).unwrap_or_else(|| "–".into()),
                m.seed.map(|v| v.to_string()).unwrap_or_else(|| "–".into()),
                m.max_tokens
            ),
        );
        row(
            "limits",
            format!(
                "memory {} MiB per execution; time {}–{} ms per test{}",
                m.memory_mb,
                m.time_limit_ms_min,
                m.time_limit_ms_max,
                m.time
                    .as_ref()
                    .map(|t| format!(
                        " (calibrated on the host: {}; max(floor {} ms, {} × reference), at most {} ms)",
                        t.calibrate, t.floor_ms, t.factor, t.max_ms
                    ))
                    .unwrap_or_default()
            ),
        );
        match &m.made_by {
            Some(by) => {
                row(
                    "host",
                    format!("{} (kernel {})", esc(&by.host), esc(&by.kernel)),
                );
                row("localeval", esc(&by.localeval_version));
            }
            None => row(
                "host",
                "not recorded (run made by an older localeval)".into(),
            ),
        }
        row(
            "report made by localeval",
            esc(&m.localeval_version_reporting),
        );
        row("intervals", esc(&m.ci_method));
        row("created", format!("{} ms since the epoch", self.created_ms));
        if let Some(f) = self.finished_ms {
            row(
                "finished",
                format!(
                    "{f} ms since the epoch ({:.1} s)",
                    (f - self.created_ms) as f64 / 1000.0
                ),
            );
        }
        b.push_str("</tbody></table></section>");
    }

    fn html_samples(&self, b: &mut String) {
        b.push_str("<div id=\"cells\">");
        for (pi, p) in self.problems.iter().enumerate() {
            for (mi, m) in self.models.iter().enumerate() {
                let mine: Vec<&SampleReport> = self
                    .samples
                    .iter()
                    .filter(|s| s.model == m.model && s.problem_id == p.id)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                b.push_str(&format!(
                    "<section class=\"cell\" id=\"{}\"><h2>{} · {}</h2><p>{} · time limit {} ms · <a href=\"#heatmap\">back to the table</a></p>",
                    cell_id(pi, mi),
                    esc(&m.model),
                    esc(&p.id),
                    esc(&p.title),
                    p.time_limit_ms
                ));
                for s in mine {
                    sample_html(b, s);
                }
                b.push_str("</section>");
            }
        }
        b.push_str("</div>");
    }

    /// The anchor of a (model, problem) cell.
    fn cell_of(&self, model: &str, problem: &str) -> String {
        let pi = self
            .problems
            .iter()
            .position(|p| p.id == problem)
            .unwrap_or(0);
        let mi = self
            .models
            .iter()
            .position(|m| m.model == model)
            .unwrap_or(0);
        cell_id(pi, mi)
    }
}

fn cell_id(problem: usize, model: usize) -> String {
    format!("c-{problem}-{model}")
}

fn sample_html(b: &mut String, s: &SampleReport) {
    b.push_str(&format!(
        "<article class=\"sample\"><h3>sample {} <span class=\"v v-{}\">{}</span> <small>{} of {} tests passed · code by {}</small></h3>",
        s.sample_index,
        verdict_class(&s.verdict),
        esc(&s.verdict),
        s.tests_passed,
        s.tests_total,
        esc(&s.extraction)
    ));
    let pre = |b: &mut String, class: &str, title: &str, e: &Excerpt| {
        b.push_str(&format!(
            "<h4>{}{}</h4><pre class=\"{class}\">{}</pre>",
            esc(title),
            if e.truncated {
                format!(" <small>(excerpt of {} bytes)</small>", e.bytes)
            } else {
                String::new()
            },
            esc(&e.text)
        ));
    };
    match &s.detail {
        Some(d) => {
            if let Some(f) = &d.failure {
                b.push_str(&format!("<p class=\"fail\">{}</p>", esc(f)));
            }
            let p = &d.provenance;
            b.push_str(&format!(
                "<p class=\"usage\">{} ms wall · {} ms CPU · {:.1} MiB peak · exit {} · limits {} ms, {} MiB · rootfs <code>{}</code>{}{}{}</p>",
                d.wall_ms,
                d.cpu_ms,
                d.peak_memory_bytes as f64 / 1048576.0,
                d.exit_code.map(|c| c.to_string()).unwrap_or_else(|| "–".into()),
                p.wall_limit_ms,
                p.memory_limit_mb,
                esc(&p.rootfs),
                p.rootfs_digest.as_deref().map(|d| format!(" <code>{}</code>", esc(d))).unwrap_or_default(),
                s.generation_ms.map(|g| format!(" · generated in {g} ms")).unwrap_or_default(),
                p.error.as_deref().map(|e| format!(" · sandbox error: {}", esc(e))).unwrap_or_default(),
            ));
            pre(b, "stderr", "stderr", &d.stderr);
            pre(b, "stdout", "stdout", &d.stdout);
            if !d.stdin.text.is_empty() {
                pre(b, "stdin", "stdin", &d.stdin);
            }
            if let Some(e) = &d.expected {
                pre(b, "expected", "expected output", e);
            }
            b.push_str("<details><summary>program run");
            if let Some(i) = d.test_index {
                b.push_str(&format!(" (test {})", i + 1));
            }
            b.push_str("</summary>");
            pre(b, "program", "", &d.program);
            b.push_str("</details>");
        }
        None => b.push_str("<p class=\"note\">No details were kept for this sample (made by an older localeval).</p>"),
    }
    b.push_str(&format!(
        "<details><summary>extracted code</summary><pre class=\"code\">{}</pre></details>",
        esc(&s.extracted)
    ));
    if let Some(raw) = &s.raw_answer {
        b.push_str("<details><summary>model's answer</summary>");
        pre(b, "answer", "", raw);
        b.push_str("</details>");
    }
    b.push_str("</article>");
}

/// The inline CSS of the HTML report: a constant, so a page that shows the report under a
/// Content-Security-Policy can allow exactly it by its hash.
pub const STYLE: &str = "\
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa}\
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:var(--fg);background:var(--bg);max-width:1200px;margin:0 auto;padding:1em 1.5em}\
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid var(--line);padding-bottom:.2em}\
h3{font-size:1em}h4{margin:.6em 0 .2em;font-size:.9em;color:var(--muted)}\
nav{position:sticky;top:0;background:var(--bg);padding:.4em 0;border-bottom:1px solid var(--line);z-index:1}nav a{margin-right:1em}\
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}\
table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}\
thead th{background:var(--soft)}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.kv th{background:var(--soft);font-weight:600;white-space:nowrap}\
.scroll{overflow:auto;max-height:80vh}\
pre{background:var(--soft);border:1px solid var(--line);padding:.6em;overflow:auto;max-height:24em;white-space:pre-wrap;word-break:break-all;margin:.2em 0}\
pre.stderr{border-left:4px solid #cf222e}\
.note{color:var(--muted);font-size:.92em}.fail{color:#a40e26}.usage{color:var(--muted)}\
.badge{font-size:.6em;padding:2px 8px;border-radius:10px;vertical-align:middle;color:#fff}.badge.ok{background:#1a7f37}.badge.run{background:#0969da}.badge.bad{background:#cf222e}\
.legend{display:flex;flex-wrap:wrap;gap:.3em 1.2em;margin:.3em 0;font-size:.92em}\
.chart text{font-size:12px;fill:#1f2328}.chart text.on{fill:#fff;font-weight:600}.chart .err{stroke:#1f2328;stroke-width:1.5}\
.v{display:inline-block;padding:0 5px;border-radius:3px;font-size:.85em;font-weight:600;color:#fff;background:#6e7781}\
.v-OK{background:#1a7f37}.v-WA{background:#cf222e}.v-RE{background:#a0365f}.v-SG{background:#8250df}.v-TLE{background:#bc4c00}\
.v-MLE{background:#6639ba}.v-OLE{background:#7d4e00}.v-CE{background:#57606a}.v-IE{background:#24292f}.v-NOCODE{background:#8c959f}\
.heat td.h{text-align:center;white-space:nowrap}.heat td.h a{color:#1f2328;display:block}\
.h0{background:#f4a6a6}.h1{background:#f6b3a0}.h2{background:#f8c19b}.h3{background:#fad096}.h4{background:#fbdd93}\
.h5{background:#f5e58f}.h6{background:#dfe68f}.h7{background:#c4e291}.h8{background:#a9dc95}.h9{background:#8fd49a}.h10{background:#74c99e}.hn{background:#eee;color:#888}\
.up{color:#1a7f37}.down{color:#cf222e}\
.cell{display:none;border:2px solid #0969da;border-radius:6px;padding:.2em 1em 1em;margin:1em 0}.cell:target{display:block}\
.sample{border-top:1px solid var(--line);padding-top:.4em}\
";

/// Colours of verdicts in charts (the same as the `.v-*` classes): passing green only;
/// time limits orange, never green.
fn verdict_color(v: &str) -> &'static str {
    match v {
        "OK" => "#1a7f37",
        "WA" => "#cf222e",
        "RE" => "#a0365f",
        "SG" => "#8250df",
        "TLE" => "#bc4c00",
        "MLE" => "#6639ba",
        "OLE" => "#7d4e00",
        "CE" => "#57606a",
        "IE" => "#24292f",
        "NOCODE" => "#8c959f",
        _ => "#6e7781",
    }
}

/// The CSS class suffix of a verdict (only known verdicts get their own class).
fn verdict_class(v: &str) -> &'static str {
    match v {
        "OK" => "OK",
        "WA" => "WA",
        "RE" => "RE",
        "SG" => "SG",
        "TLE" => "TLE",
        "MLE" => "MLE",
        "OLE" => "OLE",
        "CE" => "CE",
        "IE" => "IE",
        "NOCODE" => "NOCODE",
        _ => "other",
    }
}

fn verdict_meaning(v: &str) -> &'static str {
    match v {
        "OK" => "passed every test",
        "WA" => "wrong answer",
        "RE" => "runtime error (non-zero exit, failed assertion, exception)",
        "SG" => "killed by a signal",
        "TLE" => "time limit exceeded",
        "MLE" => "memory limit exceeded",
        "OLE" => "output limit exceeded",
        "CE" => "compile error",
        "IE" => "internal error (the sandbox, not the answer)",
        "NOCODE" => "no code in the answer",
        _ => "other",
    }
}

/// Verdicts with OK first, then by count.
fn verdict_order(verdicts: &BTreeMap<String, u64>) -> Vec<(&str, u64)> {
    let mut v: Vec<(&str, u64)> = verdicts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
    v.sort_by_key(|(k, n)| (*k != "OK", std::cmp::Reverse(*n)));
    v
}

fn truncate_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// The digest a model server reported for a model (Ollama's `digest`), if any.
fn model_digest(m: &ModelInfo) -> Option<&str> {
    let info = m.info.as_ref()?;
    ["digest", "model_digest", "id"]
        .iter()
        .find_map(|k| info.get(k).and_then(|v| v.as_str()))
}

/// Text in a Markdown table cell or heading: no line breaks, pipes escaped, HTML escaped
/// (Markdown renderers pass inline HTML through).
fn md_cell(s: &str) -> String {
    esc(&s.replace(['\n', '\r'], " ")).replace('|', "\\|")
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Colours of models in charts.
const MODEL_COLORS: &[&str] = &[
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

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
    use crate::eval::backend::{BackendConfig, BackendKind, Generation};
    use crate::eval::dataset::{Judge, Problem, PromptStyle};
    use crate::eval::grade::TestVerdict;
    use crate::eval::run::RunConfig;
    use crate::eval::store::{GenerationRow, RunProblem, SampleRow, EXCERPT_BYTES};

    const XSS_OUT: &str = "<img src=x onerror=alert(1)>";
    const XSS_ANSWER: &str =
        "```python\ndef f():\n    return '</pre><script>alert(2)</script>'\n```";

    fn problem(id: &str, difficulty: &str) -> RunProblem {
        RunProblem {
            problem: Problem {
                id: id.into(),
                title: format!("title of {id}"),
                categories: vec!["strings".into()],
                difficulty: Some(difficulty.into()),
                language: "python".into(),
                prompt: "p".into(),
                style: PromptStyle::Chat,
                entry_point: Some("f".into()),
                stop: vec![],
                judge: Judge::Program {
                    prefix: String::new(),
                    suffix: "\nassert f() == 1\n".into(),
                    quiet: false,
                },
                time_limit_ms: None,
                memory_limit_mb: None,
                reference: None,
            },
            time_limit_ms: 1000,
            calibration: None,
        }
    }

    /// A store holding a run of two models on two problems, one sample each: model `a`
    /// solves p1 and times out on p2; model `b` fails p1 with a hostile stderr and a
    /// hostile answer, and solves p2.
    fn store_with_run() -> Store {
        let store = Store::in_memory().unwrap();
        let mut config = RunConfig::new(
            "problems",
            vec!["a".into(), "b".into()],
            BackendConfig::new(BackendKind::Ollama, "http://127.0.0.1:1"),
        );
        config.ks = vec![1];
        store
            .create_run("r", &serde_json::to_string(&config).unwrap())
            .unwrap();
        store
            .put_problems("r", &[problem("p1", "easy"), problem("p2", "hard")])
            .unwrap();
        store
            .put_model("r", "a", r#"{"digest":"sha256:aaaa"}"#)
            .unwrap();
        let put = |model: &str, pid: &str, verdict: &str, stderr: &str, answer: &str| {
            let passed = verdict == "OK";
            let key = format!("g-{model}-{pid}");
            store
                .put_generation(&GenerationRow {
                    key: key.clone(),
                    backend: "ollama".into(),
                    model: model.into(),
                    prompt: "p".into(),
                    params: "{}".into(),
                    sample_index: 0,
                    generation: Generation {
                        text: answer.into(),
                        prompt_tokens: None,
                        completion_tokens: Some(9),
                        finish_reason: None,
                        elapsed_ms: 40,
                        attempts: 1,
                    },
                })
                .unwrap();
            store
                .put_sample(&SampleRow {
                    run_id: "r".into(),
                    model: model.into(),
                    problem_id: pid.into(),
                    sample_index: 0,
                    generation_key: key,
                    extracted: answer.into(),
                    extraction: "fenced block".into(),
                    verdict: verdict.into(),
                    passed,
                    tests: vec![TestVerdict {
                        verdict: verdict.into(),
                        passed,
                        wall_ms: 12,
                    }],
                    tests_total: 1,
                    execution_keys: vec!["e".into()],
                    detail: Some(SampleDetail {
                        failure: (!passed).then(|| format!("test 1 of 1: {verdict}: {stderr}")),
                        stderr: Excerpt::of(stderr, EXCERPT_BYTES),
                        wall_ms: 12,
                        ..Default::default()
                    }),
                })
                .unwrap();
        };
        put("a", "p1", "OK", "", "def f(): return 1");
        put("a", "p2", "TLE", "", "def f():\n    while True: pass");
        put("b", "p1", "RE", XSS_OUT, XSS_ANSWER);
        put("b", "p2", "OK", "", "def f(): return 1");
        store.set_status("r", "complete", None).unwrap();
        store
    }

    #[test]
    fn the_report_keeps_every_sample_with_its_details() {
        let report = build(&store_with_run(), "r").unwrap();
        assert_eq!(report.samples.len(), 4);
        let failed = report
            .samples
            .iter()
            .find(|s| s.model == "b" && s.problem_id == "p1")
            .unwrap();
        assert_eq!(failed.raw_answer.as_ref().unwrap().text, XSS_ANSWER);
        assert_eq!(
            failed.detail.as_ref().unwrap().stderr.text,
            XSS_OUT,
            "JSON keeps the text as it was"
        );
        assert_eq!(report.metadata.dataset_sha256.len(), 64);
        assert_eq!(
            report.metadata.made_by.as_ref().unwrap().localeval_version,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            model_digest(&report.metadata.models[0]),
            Some("sha256:aaaa")
        );
        let a = &report.models[0];
        assert_eq!(a.intervals.len(), 1);
        assert_eq!(a.intervals[0].mean, 0.5);
        assert_eq!(
            a.difficulties
                .iter()
                .map(|d| (d.category.as_str(), d.pass_at_k))
                .collect::<Vec<_>>(),
            vec![("easy", 1.0), ("hard", 0.0)]
        );
        assert_eq!(report.comparisons[0].only_a, vec!["p1".to_string()]);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["samples"][2]["detail"]["stderr"]["text"], XSS_OUT);
    }

    #[test]
    fn html_escapes_every_model_and_program_text_and_has_no_script() {
        let html = build(&store_with_run(), "r").unwrap().to_html();
        assert!(!html.contains(XSS_OUT), "program output must be escaped");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.to_lowercase().contains("<script"), "no script at all");
        assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
        // The only style is the constant one (a CSP hash allows exactly it); no inline
        // style attributes.
        assert_eq!(html.matches("<style>").count(), 1);
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(!html.contains(" style=\""));
        // TLE is orange, never green; the heatmap links every cell to its samples.
        assert_eq!(verdict_color("TLE"), "#bc4c00");
        assert!(html.contains("class=\"v v-TLE\""));
        assert!(html.contains("href=\"#c-0-1\"") && html.contains("id=\"c-0-1\""));
        assert!(html.contains("95% percentile bootstrap"));
        assert!(html.contains("sha256:aaaa"));
        assert!(html.contains("solved by a and not by b (1)"));
    }

    #[test]
    fn markdown_lists_failures_with_their_output() {
        let md = build(&store_with_run(), "r").unwrap().to_markdown();
        assert!(md.contains("## Failures (2)"), "{md}");
        assert!(md.contains("### b · p1 · sample 0 — RE"));
        assert!(md.contains("### a · p2 · sample 0 — TLE"));
        assert!(md.contains("stderr:\n\n```\n<img src=x onerror=alert(1)>\n```"));
        assert!(md.contains("## Run metadata"));
        assert!(md.contains("bootstrap"));
    }

    #[test]
    fn bootstrap_intervals_are_fixed_and_hold_the_mean() {
        let values: Vec<f64> = (0..50)
            .map(|i| if i % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let (mean, low, high) = bootstrap_interval(&values).unwrap();
        assert_eq!(bootstrap_interval(&values).unwrap(), (mean, low, high));
        assert!(low < mean && mean < high, "{low} {mean} {high}");
        // Binomial standard error here is about 0.067: the 95% interval is near ±0.13.
        assert!((high - low) > 0.15 && (high - low) < 0.4, "{low} {high}");
        assert_eq!(bootstrap_interval(&[1.0, 1.0]).unwrap(), (1.0, 1.0, 1.0));
        assert_eq!(bootstrap_interval(&[]), None);
    }

    #[test]
    fn markdown_fences_and_cells_hold_hostile_text() {
        assert_eq!(fence_for("a ``` b"), "````");
        assert_eq!(fence_for("plain"), "```");
        assert_eq!(md_cell("a|b\n<i>"), "a\\|b &lt;i&gt;");
    }

    #[test]
    fn percentiles() {
        assert_eq!(percentile(&[], 0.5), 0);
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.5), 3);
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 0.9), 5);
    }
}
