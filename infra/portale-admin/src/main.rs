//! `portale-admin`: the ops binary. Reads the same environment as the functions, so
//! `AWS_ENDPOINT_URL` points it at LocalStack.
//!
//! ```text
//! portale-admin bootstrap [--demo]      table + TTL, SES identity, outbox queue + DLQ (+ demo lines)
//! portale-admin import-lines FILE.csv   exit 0: all imported; 3: some rows rejected
//! portale-admin import-accounts FILE.csv  accounts of Convenzione 5/6/7 (same exit codes)
//! portale-admin account|lines|audit …   the help desk's commands (`helpdesk::USAGE`)
//! portale-admin consensi mostra|pubblica  the terms / privacy versions in force
//! ```
//!
//! The help desk's exit codes: 0 done (or nothing to change), 1 table unreachable (nothing
//! changed), 2 bad command or input, 4 no such account / line, 5 not possible in the
//! current state.

use portale_admin::{bootstrap, helpdesk, import_accounts, import_lines};
use shared::config::Config;
use std::process::ExitCode;

const USAGE: &str =
    "uso: portale-admin bootstrap [--demo] | import-lines FILE.csv | import-accounts FILE.csv \
     | account … | lines … | audit … | consensi … (portale-admin account per l'elenco)";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configurazione non valida: {e}");
            return ExitCode::from(2);
        }
    };
    let sdk = shared::app::sdk_config(&config).await;
    let app = shared::App::aws(
        config.clone(),
        std::sync::Arc::new(shared::clock::SystemClock),
    )
    .await;
    if args.first().is_some_and(|c| helpdesk::handles(c)) {
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let desk = helpdesk::Desk {
            store: app.store.as_ref(),
            dynamo: &dynamo,
            table: &config.table_name,
            now: app.now(),
            default_operator: std::env::var("USER").ok(),
        };
        let out = helpdesk::run(&desk, &args).await;
        print!("{}", out.stdout);
        eprint!("{}", out.stderr);
        return ExitCode::from(out.code as u8);
    }
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["bootstrap", rest @ ..] => {
            match bootstrap::ensure_infrastructure(&sdk, &config).await {
                Ok(done) => done.iter().for_each(|d| println!("✔ {d}")),
                Err(e) => {
                    eprintln!("bootstrap fallito: {e}");
                    return ExitCode::FAILURE;
                }
            }
            if rest.contains(&"--demo") {
                match bootstrap::load_demo(app.store.as_ref()).await {
                    Ok(lines) => {
                        println!(
                            "✔ dati dimostrativi: ente {} (C.F. {})",
                            bootstrap::DEMO_ENTITY_NAME,
                            bootstrap::DEMO_ENTITY_CF
                        );
                        for l in lines {
                            println!(
                                "    numero in Convenzione: {} (profilo {})",
                                l.number.pretty(),
                                l.profile.as_str()
                            );
                        }
                        println!(
                            "✔ account dimostrativo Convenzione 7: username {} password {} (numero {})",
                            bootstrap::DEMO_LEGACY_USERNAME,
                            bootstrap::DEMO_LEGACY_PASSWORD,
                            bootstrap::DEMO_LEGACY_NUMBER
                        );
                    }
                    Err(e) => {
                        eprintln!("dati dimostrativi non caricati: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        ["import-lines", file] => {
            let f = match open(file) {
                Ok(f) => f,
                Err(code) => return code,
            };
            let r = import_lines::import(app.store.as_ref(), f).await;
            report(r.map(|r| {
                (
                    format!(
                        "righe importate: {} (nuove {}, aggiornate {}, invariate {})",
                        r.imported(),
                        r.inserted,
                        r.updated,
                        r.unchanged
                    ),
                    r.rejected,
                )
            }))
        }
        ["import-accounts", file] => {
            let f = match open(file) {
                Ok(f) => f,
                Err(code) => return code,
            };
            let r = import_accounts::import(app.store.as_ref(), f, app.now()).await;
            report(r.map(|r| {
                (
                    format!(
                        "account importati: {} (nuovi {}, già presenti {})",
                        r.inserted + r.unchanged,
                        r.inserted,
                        r.unchanged
                    ),
                    r.rejected,
                )
            }))
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn open(file: &str) -> Result<std::fs::File, ExitCode> {
    std::fs::File::open(file).map_err(|e| {
        eprintln!("impossibile aprire {file}: {e}");
        ExitCode::from(2)
    })
}

/// Prints an import's summary and every rejected row; exit 3 when some rows were rejected.
fn report(
    r: Result<(String, Vec<(usize, String)>), portale_admin::csv_input::ImportError>,
) -> ExitCode {
    match r {
        Ok((summary, rejected)) => {
            println!("{summary}");
            println!("righe scartate: {}", rejected.len());
            for (line, why) in &rejected {
                println!("  riga {line}: {why}");
            }
            if rejected.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(3)
            }
        }
        Err(e) => {
            eprintln!("importazione fallita: {e}");
            ExitCode::FAILURE
        }
    }
}
