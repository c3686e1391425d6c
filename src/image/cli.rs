//! `localeval pull | images | rmi | gc`: argument structs for clap and their handlers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::reference::Credentials;
use super::store::{PullEvent, PullOptions, PullProgress, Store};

/// Where the image store is.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreArgs {
    /// Image store directory (default /var/lib/localeval/images as root,
    /// $XDG_DATA_HOME/localeval/images otherwise).
    #[arg(long, env = "LOCALEVAL_STORE", value_name = "DIR")]
    pub store: Option<PathBuf>,
}

impl StoreArgs {
    pub fn open(&self) -> Result<Store> {
        let root = self.store.clone().unwrap_or_else(Store::default_root);
        Store::open(&root).with_context(|| format!("opening the image store {}", root.display()))
    }
}

/// `localeval pull REF`
#[derive(Clone, Debug, clap::Args)]
pub struct PullArgs {
    /// Image reference (`python:3.12-slim`, `localhost:5000/x:y`, `repo@sha256:…`).
    pub reference: String,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Allow plain HTTP to a registry that is not on loopback.
    #[arg(long)]
    pub insecure: bool,
    /// Basic credentials `user:password` (default: ~/.docker/config.json).
    #[arg(
        long,
        env = "LOCALEVAL_REGISTRY_CREDS",
        value_name = "USER:PASSWORD",
        hide_env_values = true
    )]
    pub creds: Option<String>,
    /// Print the record as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `localeval images`
#[derive(Clone, Debug, clap::Args)]
pub struct ImagesArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

/// `localeval rmi REF...`
#[derive(Clone, Debug, clap::Args)]
pub struct RmiArgs {
    /// References or digests.
    #[arg(required = true)]
    pub images: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `localeval gc`
#[derive(Clone, Debug, clap::Args)]
pub struct GcArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl PullProgress for Bars {
    fn event(&self, event: &PullEvent) {
        let mut bars = self.bars.lock().expect("progress lock");
        let short = |d: &str| {
            d.trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect::<String>()
        };
        match event {
            PullEvent::Resolved {
                digest,
                layers,
                bytes,
            } => {
                let _ = self.multi.println(format!(
                    "manifest {digest}: {layers} layer(s), {}",
                    indicatif::HumanBytes(*bytes)
                ));
            }
            PullEvent::BlobStart {
                digest,
                size,
                resumed_from,
            } => {
                let bar = self.multi.add(ProgressBar::new(*size));
                bar.set_style(
                    ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
                        .expect("template")
                        .progress_chars("=> "),
                );
                bar.set_prefix(short(digest));
                if *resumed_from > 0 {
                    bar.set_message(format!(
                        "resumed at {}",
                        indicatif::HumanBytes(*resumed_from)
                    ));
                }
                bars.insert(digest.clone(), bar);
            }
            PullEvent::BlobProgress { digest, done, .. } => {
                if let Some(bar) = bars.get(digest) {
                    bar.set_position(*done);
                }
            }
            PullEvent::BlobDone { digest, cached } => match bars.remove(digest) {
                Some(bar) => bar.finish(),
                None if *cached => {
                    let _ = self
                        .multi
                        .println(format!("{} already in the store", short(digest)));
                }
                None => {}
            },
            PullEvent::Unpacking { digest } => {
                let _ = self.multi.println(format!("unpacking {}", short(digest)));
            }
            PullEvent::Done { .. } => {}
        }
    }
}

struct Quiet;
impl PullProgress for Quiet {
    fn event(&self, _: &PullEvent) {}
}

/// Pulls an image into the store.
pub fn pull(args: &PullArgs) -> Result<()> {
    let store = args.store.open()?;
    let credentials = match &args.creds {
        Some(text) => Some(Credentials::parse(text).context("--creds must be user:password")?),
        None => None,
    };
    let options = PullOptions {
        insecure: args.insecure,
        credentials,
        ..Default::default()
    };
    let progress: Arc<dyn PullProgress> = if args.quiet || args.json {
        Arc::new(Quiet)
    } else {
        Arc::new(Bars {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        })
    };
    let record = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(store.pull(&args.reference, &options, progress))
        .with_context(|| format!("pulling {}", args.reference))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        println!("{} {}", record.reference, record.digest);
    }
    Ok(())
}

fn ago(t: Option<u64>) -> String {
    let Some(t) = t else { return "never".into() };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(t);
    let s = now.saturating_sub(t);
    match s {
        0..=59 => format!("{s}s ago"),
        60..=3599 => format!("{}m ago", s / 60),
        3600..=86399 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86400),
    }
}

/// Lists the images in the store.
pub fn images(args: &ImagesArgs) -> Result<()> {
    let store = args.store.open()?;
    let list = store.list()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!(
        "{:<50} {:<19} {:>10} {:>10}  LAST USED",
        "REFERENCE", "DIGEST", "SIZE", "UNPACKED"
    );
    for r in list {
        println!(
            "{:<50} {:<19} {:>10} {:>10}  {}",
            r.reference,
            &r.digest[..19.min(r.digest.len())],
            indicatif::HumanBytes(r.size).to_string(),
            indicatif::HumanBytes(r.unpacked_bytes).to_string(),
            ago(r.last_used)
        );
    }
    Ok(())
}

/// Removes images (and whatever only they needed).
pub fn rmi(args: &RmiArgs) -> Result<()> {
    let store = args.store.open()?;
    for name in &args.images {
        for r in store.remove(name)? {
            println!("removed {} {}", r.reference, r.digest);
        }
    }
    Ok(())
}

/// Removes unreferenced roots and blobs.
pub fn gc(args: &GcArgs) -> Result<()> {
    let store = args.store.open()?;
    let report = store.gc(&[])?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "removed {} root(s), {} blob(s), {}",
            report.roots.len(),
            report.blobs.len(),
            indicatif::HumanBytes(report.bytes)
        );
    }
    Ok(())
}
