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
//!
//! Who runs it is the AWS caller identity (`sts:GetCallerIdentity`, `identity`): every write
//! command records it in its audit records; `--operatore NOME` (else `$USER`) is a note.
//! `bootstrap --demo` refuses a table that is not local (exit 2, before any AWS call)
//! unless given `--consenti-demo-non-locale`.

use engine::config::Config;
use portale_admin::helpdesk::audit::Signed;
use portale_admin::helpdesk::{Args, DeskError};
use portale_admin::identity::Caller;
use portale_admin::{bootstrap, helpdesk, import_accounts, import_lines};
use std::process::ExitCode;

const USAGE: &str = "uso: portale-admin bootstrap [--demo [--consenti-demo-non-locale]] \
     | import-lines FILE.csv [--motivo TESTO] [--operatore NOME] \
     | import-accounts FILE.csv [--motivo TESTO] [--operatore NOME] \
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
    let shell_user = std::env::var("USER").ok();
    if args.first().is_some_and(|c| helpdesk::handles(c)) {
        let sdk = engine::app::sdk_config(&config).await;
        let app = engine::App::aws(
            config.clone(),
            std::sync::Arc::new(domain::clock::SystemClock),
        )
        .await;
        let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
        let caller = Caller::new(&sdk);
        let desk = helpdesk::Desk {
            store: app.store.as_ref(),
            dynamo: &dynamo,
            table: &config.table_name,
            now: app.now(),
            caller: &caller,
            shell_user,
            outbox: app.outbox.as_ref(),
            public_base_url: &config.public_base_url,
        };
        let out = helpdesk::run(&desk, &args).await;
        print!("{}", out.stdout);
        eprint!("{}", out.stderr);
        return ExitCode::from(out.code as u8);
    }
    let a = match Args::parse(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let demo = a.has("--demo");
    if a.positional.first().map(String::as_str) == Some("bootstrap") && demo {
        // Before any AWS call: nothing is read or written on a table that is not local.
        let endpoint = bootstrap::dynamodb_endpoint(|k| std::env::var(k).ok());
        if let Err(why) = bootstrap::demo_target(endpoint.as_deref()) {
            if !a.has(bootstrap::ALLOW_REMOTE_DEMO) {
                eprintln!(
                    "bootstrap --demo rifiutato, nessuna modifica fatta: {why} (tabella {}). I dati \
                     dimostrativi creano un account con password pubblica e cinque linee attive: se \
                     davvero li vuoi su questa tabella, aggiungi {}.",
                    config.table_name,
                    bootstrap::ALLOW_REMOTE_DEMO
                );
                return ExitCode::from(2);
            }
        }
    }
    let sdk = engine::app::sdk_config(&config).await;
    let app = engine::App::aws(
        config.clone(),
        std::sync::Arc::new(domain::clock::SystemClock),
    )
    .await;
    let caller = Caller::new(&sdk);
    let note = a.get("--operatore").or(shell_user.as_deref());
    let signed = |reason: String| {
        let caller = &caller;
        async move {
            Signed::resolve(caller, note, &reason)
                .await
                .map_err(|e: DeskError| {
                    eprintln!("errore: {e}");
                    ExitCode::FAILURE
                })
        }
    };
    let pos: Vec<&str> = a.positional.iter().map(String::as_str).collect();
    match pos.as_slice() {
        ["bootstrap"] => {
            match bootstrap::ensure_infrastructure(&sdk, &config).await {
                Ok(done) => done.iter().for_each(|d| println!("✔ {d}")),
                Err(e) => {
                    eprintln!("bootstrap fallito: {e}");
                    return ExitCode::FAILURE;
                }
            }
            if demo {
                let by = match signed(reason(&a, "bootstrap --demo".into())).await {
                    Ok(by) => by,
                    Err(code) => return code,
                };
                match bootstrap::load_demo(app.store.as_ref(), &by).await {
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
            let by = match signed(reason(&a, format!("import-lines {}", file_name(file)))).await {
                Ok(by) => by,
                Err(code) => return code,
            };
            let r = import_lines::import(app.store.as_ref(), f, &by, app.now()).await;
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
            let by = match signed(reason(&a, format!("import-accounts {}", file_name(file)))).await
            {
                Ok(by) => by,
                Err(code) => return code,
            };
            let r = import_accounts::import(app.store.as_ref(), f, app.now(), &by).await;
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

/// `--motivo`, else what the command is.
fn reason(a: &Args, default: String) -> String {
    a.get("--motivo")
        .filter(|r| !r.is_empty())
        .map_or(default, str::to_owned)
}

/// The file's name without its directories (the audit records say which file).
fn file_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
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
