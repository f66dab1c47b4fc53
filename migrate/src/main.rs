//! `connvo-migrate`: the operator's command for the move off the old
//! Supabase/Drizzle store (docs/migration.md). Argument parsing and exit
//! codes only; the work is in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use connvo_migrate::commands::{self, Options};
use connvo_migrate::legacy::Legacy;
use connvo_migrate::rollback_run;
use connvo_migrate::target::{d1_file_in, D1Target, HttpD1, SqliteD1};

const USAGE: &str = "\
connvo-migrate — move Connvo's data from the old PostgreSQL store into D1

usage:
  connvo-migrate plan    [--legacy URL]
  connvo-migrate prepare  --legacy URL
  connvo-migrate import   --legacy URL TARGET [--batch-size N] [--stop-after N] [--throttle-ms N] [--merge] [--workos-key KEY] [--workos-base URL] [--env NAME]
  connvo-migrate verify   --legacy URL TARGET [--sample N] [--seed N]
  connvo-migrate sync     --legacy URL TARGET [--overlap-ms N] [--verify] [--watch SECS] [--merge] [...import options]
  connvo-migrate rollback --legacy URL TARGET --since MS [--dry-run]
      replays into the old store what D1 changed after the cutover time MS

--env NAME: the target's ENVIRONMENT, where `import` turns the migration.read.*
switches off (default local).

TARGET (where D1 is):
  --persist-to DIR        the local D1 of `wrangler dev --persist-to DIR` (default .wrangler/state)
  --d1-file FILE          a D1 SQLite file directly
  --d1-api ACCOUNT/DB     D1's HTTP API (staging/production; token in CLOUDFLARE_API_TOKEN)

environment: CONNVO_LEGACY_PG_URL (for --legacy), WORKOS_API_KEY, WORKOS_API_BASE.

exit status: 0 done; 1 error; 2 usage; 3 refused (live writes in the target);
4 verify found discrepancies (each one is printed, named); 5 rollback found rows
it cannot reverse (each one is printed; nothing was written).";

struct Args {
    command: String,
    legacy: Option<String>,
    persist_to: Option<PathBuf>,
    d1_file: Option<PathBuf>,
    d1_api: Option<String>,
    opts: Options,
    sample: usize,
    seed: u64,
    verify_after: bool,
    watch_secs: Option<u64>,
    since: Option<i64>,
    dry_run: bool,
}

fn parse() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or("no subcommand")?;
    let mut a = Args {
        command,
        legacy: std::env::var("CONNVO_LEGACY_PG_URL")
            .ok()
            .filter(|s| !s.is_empty()),
        persist_to: None,
        d1_file: None,
        d1_api: None,
        opts: Options {
            batch_size: 500,
            stop_after: None,
            throttle_ms: 0,
            merge: false,
            overlap_ms: 5_000,
            workos_base: std::env::var("WORKOS_API_BASE")
                .unwrap_or_else(|_| connvo_migrate::workos::DEFAULT_BASE.into()),
            workos_key: std::env::var("WORKOS_API_KEY").unwrap_or_default(),
            flags_env: "local".into(),
        },
        sample: 50,
        seed: 1,
        verify_after: false,
        watch_secs: None,
        since: None,
        dry_run: false,
    };
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        };
        match flag.as_str() {
            "--legacy" => a.legacy = Some(val()?),
            "--persist-to" => a.persist_to = Some(val()?.into()),
            "--d1-file" => a.d1_file = Some(val()?.into()),
            "--d1-api" => a.d1_api = Some(val()?),
            "--batch-size" => a.opts.batch_size = num(val()?)?.clamp(1, 10_000) as i64,
            "--stop-after" => a.opts.stop_after = Some(num(val()?)? as usize),
            "--throttle-ms" => a.opts.throttle_ms = num(val()?)?,
            "--overlap-ms" => a.opts.overlap_ms = num(val()?)? as i64,
            "--merge" => a.opts.merge = true,
            "--workos-key" => a.opts.workos_key = val()?,
            "--workos-base" => a.opts.workos_base = val()?,
            "--env" => a.opts.flags_env = val()?,
            "--sample" => a.sample = num(val()?)? as usize,
            "--seed" => a.seed = num(val()?)?,
            "--verify" => a.verify_after = true,
            "--watch" => a.watch_secs = Some(num(val()?)?.max(1)),
            "--since" => a.since = Some(num(val()?)? as i64),
            "--dry-run" => a.dry_run = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn open_target(a: &Args) -> Result<Box<dyn D1Target>, String> {
    if let Some(api) = &a.d1_api {
        let (account, db) = api
            .split_once('/')
            .ok_or("--d1-api wants ACCOUNT/DATABASE")?;
        let token = std::env::var("CLOUDFLARE_API_TOKEN")
            .map_err(|_| "--d1-api needs CLOUDFLARE_API_TOKEN")?;
        return Ok(Box::new(HttpD1::new(account, db, &token)));
    }
    let file = match (&a.d1_file, &a.persist_to) {
        (Some(f), _) => f.clone(),
        (None, Some(dir)) => d1_file_in(dir)?,
        (None, None) => d1_file_in(&PathBuf::from(".wrangler/state"))?,
    };
    Ok(Box::new(SqliteD1::open(&file).map_err(|e| e.to_string())?))
}

async fn run(a: Args) -> Result<ExitCode, String> {
    let legacy_url = || {
        a.legacy
            .clone()
            .ok_or("--legacy URL (or CONNVO_LEGACY_PG_URL) is required")
    };
    let err = |e: commands::Error| e.to_string();
    match a.command.as_str() {
        "plan" => {
            let legacy = match &a.legacy {
                Some(url) => Some(Legacy::connect(url).await.map_err(err)?),
                None => None,
            };
            let (text, ok) = commands::plan(legacy.as_ref()).await.map_err(err)?;
            print!("{text}");
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(4)
            })
        }
        "prepare" => {
            Legacy::connect(&legacy_url()?)
                .await
                .map_err(err)?
                .prepare()
                .await
                .map_err(err)?;
            println!("prepared: tombstone table, delete triggers and keyset indexes are in place");
            Ok(ExitCode::SUCCESS)
        }
        "import" | "sync" => {
            let sync = a.command == "sync";
            let legacy = Legacy::connect(&legacy_url()?).await.map_err(err)?;
            let mut target = open_target(&a)?;
            loop {
                let summary = match commands::copy(&legacy, target.as_mut(), &a.opts, sync).await {
                    Ok(s) => s,
                    Err(e) if e.to_string().contains("live writes") => {
                        eprintln!("connvo-migrate: {e}");
                        return Ok(ExitCode::from(3));
                    }
                    Err(e) => return Err(e.to_string()),
                };
                print!("{}", summary.render());
                if summary.stopped {
                    return Ok(ExitCode::SUCCESS);
                }
                let mut code = ExitCode::SUCCESS;
                if !sync || a.verify_after || a.watch_secs.is_some() {
                    let report = commands::verify(&legacy, target.as_mut(), a.sample, a.seed)
                        .await
                        .map_err(err)?;
                    print!("{}", report.render());
                    if !report.clean() {
                        code = ExitCode::from(4);
                    }
                }
                match a.watch_secs {
                    Some(secs) => tokio::time::sleep(std::time::Duration::from_secs(secs)).await,
                    None => return Ok(code),
                }
            }
        }
        "verify" => {
            let legacy = Legacy::connect(&legacy_url()?).await.map_err(err)?;
            let mut target = open_target(&a)?;
            let report = commands::verify(&legacy, target.as_mut(), a.sample, a.seed)
                .await
                .map_err(err)?;
            print!("{}", report.render());
            Ok(if report.clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(4)
            })
        }
        "rollback" => {
            let since = a
                .since
                .ok_or("rollback needs --since MS (the cutover time T)")?;
            let legacy = Legacy::connect(&legacy_url()?).await.map_err(err)?;
            let mut target = open_target(&a)?;
            let report = rollback_run::rollback(
                &legacy,
                target.as_mut(),
                since,
                a.dry_run,
                commands::now_ms(),
            )
            .await
            .map_err(err)?;
            print!("{}", report.render());
            Ok(if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(5)
            })
        }
        other => Err(format!("unknown subcommand {other}")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("connvo-migrate: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("connvo-migrate: {e}");
            ExitCode::from(1)
        }
    }
}
