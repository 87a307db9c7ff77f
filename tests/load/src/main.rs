//! Issue #8, part 6: a bounded load run of the login on loopback.
//!
//! One process: the local gateway (the same router `local-gateway` serves, against real
//! LocalStack, its own table) with timing wrappers around the App's store and notifier,
//! and a load client. Users are registered first (not measured). Then, for rising N, N
//! concurrent users each do full logins — GET /accesso, POST /accesso (password; the SMS
//! goes to SNS for real and is tapped in memory), GET /accesso/codice, POST /accesso/codice
//! (the code), GET /area-clienti — and the run reports throughput, latency percentiles per
//! login and per request, errors, and where each request's time went: AWS calls (DynamoDB,
//! SNS: the emulator) versus the project's own code (of which argon2id), versus outside
//! the handlers (HTTP stack, client, queueing on the shared cores).
//!
//!   cargo run --release -p load -- [--levels 1,2,4,8,16,32,64,128] [--logins-per-user 4]
//!                                   [--min-logins 40] [--table portale-load] [--keep-going]
//!
//! Stops after the first level with errors, or when throughput has not risen by 5% over the
//! best level for two levels in a row (saturation; `--keep-going` runs every level anyway,
//! still stopping at errors). Between levels the gateway's clock jumps
//! an hour, so the per-number SMS cap (5/h) and the per-IP login cap (30/10 min) start over;
//! each user logs in at most 4 times per level, from its own client address.

mod cpu;
mod stats;
mod timing;

use domain::clock::OffsetClock;
use e2e::register::{ENTE, ENTE_NAME, PASSWORD};
use e2e::Portal;
use engine::App;
use stats::{mean, median, ms, ppp};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use timing::{Recorder, ServerSample, Tap};

const USAGE: &str =
    "load: a bounded load run of the login on loopback (scripts/load.sh starts LocalStack)
usage: load [--levels 1,2,4,8,16,32,64,128] [--logins-per-user 1..4 (4)] [--min-logins 40]
            [--table portale-load] [--register-concurrency 4] [--keep-going]";

/// Request kinds of one login, in order.
const KINDS: [&str; 5] = [
    "GET /accesso",
    "POST /accesso",
    "GET /accesso/codice",
    "POST /accesso/codice",
    "GET /area-clienti",
];

struct Args {
    levels: Vec<usize>,
    logins_per_user: usize,
    min_logins: usize,
    table: String,
    register_concurrency: usize,
    keep_going: bool,
}

fn args() -> Args {
    let mut a = Args {
        levels: vec![1, 2, 4, 8, 16, 32, 64, 128],
        logins_per_user: 4,
        min_logins: 40,
        table: "portale-load".into(),
        register_concurrency: 4,
        keep_going: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--levels" => {
                a.levels = v()
                    .split(',')
                    .map(|n| n.trim().parse().expect("--levels 1,2,4"))
                    .collect()
            }
            "--logins-per-user" => a.logins_per_user = v().parse().expect("a number"),
            "--min-logins" => a.min_logins = v().parse().expect("a number"),
            "--table" => a.table = v(),
            "--register-concurrency" => a.register_concurrency = v().parse().expect("a number"),
            "--keep-going" => a.keep_going = true,
            other => {
                panic!("unknown argument {other} (see the doc comment of tests/load/src/main.rs)")
            }
        }
    }
    assert!(
        (1..=4).contains(&a.logins_per_user),
        "--logins-per-user: 1..=4 (one registration SMS + 4 login SMS = the 5/h cap)"
    );
    a
}

#[derive(Clone)]
struct User {
    number: String,
    username: String,
    ip: String,
}

struct Level {
    n: usize,
    logins: Vec<LoginSample>,
    errors: Vec<String>,
    wall: f64,
    server: Vec<ServerSample>,
    cpu: cpu::Cpu,
}

struct LoginSample {
    id: u64,
    total: f64,
    reqs: Vec<(&'static str, f64)>,
}

#[tokio::main]
async fn main() {
    let args = args();
    let per_slot = |n: usize| args.min_logins.div_ceil(n).max(args.logins_per_user);
    let accounts_per_slot = |n: usize| per_slot(n).div_ceil(args.logins_per_user);
    let pool = args
        .levels
        .iter()
        .map(|&n| n * accounts_per_slot(n))
        .max()
        .unwrap_or(1)
        + 2;

    println!("# Load run: login on loopback (local gateway + LocalStack)\n");
    println!(
        "- machine: nproc {}, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu::cpu_model()
    );
    println!(
        "- build: {}",
        if cfg!(debug_assertions) {
            "DEBUG (use --release for figures)"
        } else {
            "release"
        }
    );
    println!("- levels {:?}, each user ≤ {} logins per level, ≥ {} logins per level; {} users registered \
        first", args.levels, args.logins_per_user, args.min_logins, pool);

    // The gateway: LocalStack, our own table, instrumented App.
    e2e::ensure_infra().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let clock = Arc::new(OffsetClock::default());
    let mut config = e2e::test_config(&base);
    config.table_name = args.table.clone();
    // The global SMS budget (an hourly counter every SMS increments) stays in the path; it
    // is raised so that a level's SMS never exhaust it.
    config.sms_global_hourly_budget = 1_000_000;
    // Its own outbox queue, delivered by the gateway's poller (started below).
    e2e::own_outbox_queue(&mut config).await;
    let sdk = engine::app::sdk_config(&config).await;
    store::dynamo::ensure_table(&aws_sdk_dynamodb::Client::new(&sdk), &config.table_name)
        .await
        .unwrap();
    let tap = Arc::new(Tap::default());
    let app: &'static App = Box::leak(Box::new(timing::instrument(
        App::aws(config, clock.clone()).await,
    )));
    // The consumer's sender is timed and tapped: what the steps post reaches SNS and SES
    // through it, so the codes and links are read from the tap.
    let sender = timing::tapped_sender(
        Arc::new(local_gateway::aws_sender(&app.config).await),
        tap.clone(),
    );
    local_gateway::outbox::spawn(local_gateway::Consumer {
        app: app.clone(),
        sender: sender.clone(),
    });
    let recorder = Arc::new(Recorder::default());
    let gw = local_gateway::Gateway {
        app,
        sender,
        clock: clock.clone(),
        aws_endpoint: e2e::endpoint(),
        region: e2e::region(),
        simulated_clients: true,
        edge: local_gateway::edge::Edge::default(),
    };
    let edge = gw.edge.clone();
    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/site");
    let rec = recorder.clone();
    let router =
        local_gateway::router(gw, site).layer(axum::middleware::from_fn(move |req, next| {
            timing::measure(rec.clone(), req, next)
        }));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let portal = Portal {
        base: base.clone(),
        app,
        clock: clock.clone(),
        client: Portal::browser(),
        // No execute-api listener here: the load goes through CloudFront only.
        execute_api: String::new(),
        edge,
    };

    // Registration (not measured).
    let t = Instant::now();
    let users = register_all(&portal, &tap, pool, args.register_concurrency).await;
    println!(
        "- registered {} users in {:.1} s (not measured)",
        users.len(),
        t.elapsed().as_secs_f64()
    );

    // argon2id alone, serially, at the product's parameters: the reference for the share
    // of POST /accesso spent verifying the password.
    let hash = domain::passwords::hash(&domain::Password::parse(PASSWORD, &[]).unwrap());
    let mut alone = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        assert!(domain::passwords::verify(&hash, PASSWORD));
        alone.push(t.elapsed().as_secs_f64());
    }
    let argon2_alone = median(&alone);
    println!(
        "- argon2id verify alone (m={} KiB, t={}, p={}), median of 15: {} ms",
        domain::passwords::M_COST_KIB,
        domain::passwords::T_COST,
        domain::passwords::P_COST,
        ms(argon2_alone)
    );

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(512)
        .build()
        .unwrap();
    let ids = Arc::new(AtomicU64::new(0));
    let ls_session = cpu::localstack_sessions();
    if ls_session.is_none() {
        println!("- (LocalStack processes not found in /proc: their CPU is not reported)");
    }

    // Warm-up (discarded): connections, DynamoDB Local's JIT.
    clock.advance(3700);
    let warm = users[..2].to_vec();
    let _ = run_level(&client, &base, &tap, &ids, &[warm], 2, &recorder, None).await;

    let mut levels: Vec<Level> = Vec::new();
    let mut best = 0.0f64;
    let mut saturated_at = None;
    let mut flat = 0;
    for &n in &args.levels {
        clock.advance(3700); // a new hour: SMS and login windows start over
        let slots: Vec<Vec<User>> = (0..n)
            .map(|i| {
                (0..accounts_per_slot(n))
                    .map(|k| users[2 + i + k * n].clone())
                    .collect()
            })
            .collect();
        let level = run_level(
            &client,
            &base,
            &tap,
            &ids,
            &slots,
            per_slot(n),
            &recorder,
            ls_session.as_ref(),
        )
        .await;
        let thr = level.logins.len() as f64 / level.wall;
        let errs = level.errors.len();
        eprintln!(
            "N={n}: {} logins in {:.1} s = {:.1}/s, {} errors",
            level.logins.len(),
            level.wall,
            thr,
            errs
        );
        levels.push(level);
        if errs > 0 {
            println!("\nStopped: errors at N={n}.");
            break;
        }
        if thr > best * 1.05 {
            best = thr;
            flat = 0;
        } else {
            flat += 1;
            if flat == 2 && saturated_at.is_none() {
                saturated_at = Some(n);
            }
            if flat >= 2 && !args.keep_going {
                println!("\nStopped: throughput has not risen over the best level for two levels (saturated).");
                break;
            }
        }
    }
    if let (Some(n), true) = (saturated_at, args.keep_going) {
        println!("\nThroughput stopped rising (no level 5% above the best for two levels) by N={n}; best {best:.1} \
            logins/s.");
    }
    report(&levels, argon2_alone);
}

/// Registers `count` users, each on its own active line, `conc` at a time.
async fn register_all(portal: &Portal, tap: &Arc<Tap>, count: usize, conc: usize) -> Vec<User> {
    use futures::StreamExt;
    let run = std::process::id();
    let users: Vec<User> = futures::stream::iter(0..count)
        .map(|i| {
            let tap = tap.clone();
            let p = portal.as_browser(Portal::browser());
            async move {
                let number = e2e::random_number();
                p.add_line(&number, ENTE, ENTE_NAME, true).await;
                let email = format!("carico.{run}.{i}.{}@example.it", rand_suffix());
                register(&p, &tap, &number, &email).await;
                User {
                    number,
                    username: email,
                    ip: format!("10.{}.{}.{}", 100 + i / 62500, (i / 250) % 250, i % 250 + 1),
                }
            }
        })
        .buffer_unordered(conc)
        .collect()
        .await;
    users
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Instant::now().elapsed().as_nanos() as u64);
    h.finish() as u32 % 1_000_000
}

/// The registration of e2e::register, with the codes and the link read from the tap.
async fn register(p: &Portal, tap: &Tap, number: &str, email: &str) {
    let page = e2e::register::step1(p, number).await;
    assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
    let code = tap.take_code(number).expect("registration SMS");
    let page = p.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(page.path, "/registrazione/dati", "{}", page.text());
    let page = p
        .submit(
            &page,
            "nome",
            &[
                ("nome", "Mario"),
                ("cognome", "Rossi"),
                ("cf_personale", e2e::register::CF),
            ],
        )
        .await;
    assert_eq!(page.path, "/registrazione/email", "{}", page.text());
    let page = p.submit(&page, "email", &[("email", email)]).await;
    let page = p.submit(&page, "azione", &[]).await;
    assert!(
        page.contains("Ti abbiamo inviato una email"),
        "{}",
        page.text()
    );
    let link = tap.take_link(email).expect("confirmation email");
    let page = e2e::register::complete(p, &link).await;
    assert!(
        page.contains("Richiesta inviata con successo"),
        "{}",
        page.text()
    );
}

#[allow(clippy::too_many_arguments)]
async fn run_level(
    client: &reqwest::Client,
    base: &str,
    tap: &Arc<Tap>,
    ids: &Arc<AtomicU64>,
    slots: &[Vec<User>],
    per_slot: usize,
    recorder: &Recorder,
    ls_session: Option<&cpu::Sessions>,
) -> Level {
    recorder.drain();
    let cpu0 = cpu::snapshot(ls_session);
    let t0 = Instant::now();
    let tasks: Vec<_> = slots
        .iter()
        .map(|accounts| {
            let (client, base, tap, ids, accounts) = (
                client.clone(),
                base.to_owned(),
                tap.clone(),
                ids.clone(),
                accounts.clone(),
            );
            tokio::spawn(async move {
                let mut out = Vec::new();
                for k in 0..per_slot {
                    let user = &accounts[k % accounts.len()];
                    let id = ids.fetch_add(1, Ordering::Relaxed);
                    out.push(login(&client, &base, &tap, user, id).await);
                }
                out
            })
        })
        .collect();
    let mut logins = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        for r in t.await.unwrap() {
            match r {
                Ok(s) => logins.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu::snapshot(ls_session) - cpu0;
    Level {
        n: slots.len(),
        logins,
        errors,
        wall,
        server: recorder.drain(),
        cpu,
    }
}

type Got = (u16, Option<String>, String);

/// One request of a login: the user's address, the login's id (for the server-side
/// record), the cookies so far; timed from send to the last byte of the body.
#[allow(clippy::too_many_arguments)]
async fn send(
    client: &reqwest::Client,
    base: &str,
    user: &User,
    id: u64,
    kind: &'static str,
    form: Option<Vec<(&str, &str)>>,
    jar: &mut BTreeMap<String, String>,
    reqs: &mut Vec<(&'static str, f64)>,
) -> Result<Got, String> {
    let (method, path) = kind.split_once(' ').unwrap();
    let url = format!("{base}{path}");
    let mut rb = if method == "POST" {
        client.post(url).form(&form.unwrap_or_default())
    } else {
        client.get(url)
    };
    rb = rb
        .header(local_gateway::SIMULATED_CLIENT_HEADER, &user.ip)
        .header("x-load-login", id.to_string());
    if !jar.is_empty() {
        rb = rb.header(
            "cookie",
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    let t = Instant::now();
    let resp = rb
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| format!("{kind}: {e}"))?;
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    for c in resp.headers().get_all("set-cookie") {
        let c = c.to_str().unwrap_or_default();
        if let Some((k, v)) = c.split(';').next().and_then(|kv| kv.split_once('=')) {
            if v.is_empty() || c.to_ascii_lowercase().contains("max-age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
    }
    let body = resp
        .text()
        .await
        .map_err(|e| format!("{kind}: body: {e}"))?;
    reqs.push((kind, t.elapsed().as_secs_f64()));
    Ok((status, location, body))
}

fn expect(kind: &str, got: Got, status: u16, location: Option<&str>) -> Result<String, String> {
    let (s, loc, body) = got;
    if s != status || loc.as_deref() != location {
        let snippet: String = body
            .split("<main")
            .nth(1)
            .unwrap_or(&body)
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        return Err(format!(
            "{kind}: HTTP {s} location {loc:?} (expected {status} {location:?}): {snippet}"
        ));
    }
    Ok(body)
}

/// One full login as a browser does it (fresh cookies, the user's own address).
async fn login(
    client: &reqwest::Client,
    base: &str,
    tap: &Tap,
    user: &User,
    id: u64,
) -> Result<LoginSample, String> {
    let start = Instant::now();
    let mut jar = BTreeMap::new();
    let mut reqs = Vec::with_capacity(5);
    let (j, r) = (&mut jar, &mut reqs);
    expect(
        "GET /accesso",
        send(client, base, user, id, "GET /accesso", None, j, r).await?,
        200,
        None,
    )?;
    let form = vec![
        ("next", "/area-clienti"),
        ("username", user.username.as_str()),
        ("password", PASSWORD),
    ];
    expect(
        "POST /accesso",
        send(client, base, user, id, "POST /accesso", Some(form), j, r).await?,
        303,
        Some("/accesso/codice"),
    )?;
    let code = tap.take_code(&user.number).ok_or("no SMS code was sent")?;
    expect(
        "GET /accesso/codice",
        send(client, base, user, id, "GET /accesso/codice", None, j, r).await?,
        200,
        None,
    )?;
    let form = vec![("codice", code.as_str())];
    expect(
        "POST /accesso/codice",
        send(
            client,
            base,
            user,
            id,
            "POST /accesso/codice",
            Some(form),
            j,
            r,
        )
        .await?,
        303,
        Some("/area-clienti"),
    )?;
    let home = expect(
        "GET /area-clienti",
        send(client, base, user, id, "GET /area-clienti", None, j, r).await?,
        200,
        None,
    )?;
    if !home.contains("Mario Rossi") {
        return Err("GET /area-clienti: not the private home".into());
    }
    Ok(LoginSample {
        id,
        total: start.elapsed().as_secs_f64(),
        reqs,
    })
}

fn report(levels: &[Level], argon2_alone: f64) {
    println!("\n## Throughput and latency per N\n");
    println!("Latency in ms as p50 / p95 / p99; a login is its 5 requests plus reading the code from the tap.\n");
    println!("| N | logins | errors | wall s | logins/s | login latency | request latency (all 5 kinds) |");
    println!("| ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for l in levels {
        let lat: Vec<f64> = l.logins.iter().map(|s| s.total).collect();
        let req: Vec<f64> = l
            .logins
            .iter()
            .flat_map(|s| s.reqs.iter().map(|r| r.1))
            .collect();
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {} | {} |",
            l.n,
            l.logins.len(),
            l.errors.len(),
            l.wall,
            l.logins.len() as f64 / l.wall,
            ppp(&lat),
            ppp(&req)
        );
    }

    println!("\n## Latency per request kind (client side, ms, p50 / p95 / p99)\n");
    println!("| N | {} |", KINDS.join(" | "));
    println!("| ---: |{}", " --- |".repeat(KINDS.len()));
    for l in levels {
        let cols: Vec<String> = KINDS
            .iter()
            .map(|k| {
                ppp(&l
                    .logins
                    .iter()
                    .flat_map(|s| s.reqs.iter().filter(|r| r.0 == *k).map(|r| r.1))
                    .collect::<Vec<_>>())
            })
            .collect();
        println!("| {} | {} |", l.n, cols.join(" | "));
    }

    println!("\n## Where a login's time goes (mean ms per login; means add up)\n");
    println!("client = what the user waits; handlers = inside the gateway's route handlers; DynamoDB / SNS = inside \
        AWS calls (the emulator); own code = handlers − AWS, of which argon2id (the verification as POST /accesso \
        waits for it; alone, serially: {} ms); outside = client − handlers (HTTP stack, load client, waiting for a \
        core). Own share = own code / handlers.\n", ms(argon2_alone));
    println!("| N | client | handlers | DynamoDB | SNS | own code | of which argon2id | own code w/o argon2id | \
        outside | own share | AWS calls / login |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for l in levels {
        let by_login = group(&l.server);
        let ok: Vec<&LoginSample> = l.logins.iter().collect();
        let mut client = Vec::new();
        let mut handlers = Vec::new();
        let mut ddb = Vec::new();
        let mut sns = Vec::new();
        let mut argon = Vec::new();
        let mut calls = Vec::new();
        for s in &ok {
            let Some(reqs) = by_login.get(&s.id) else {
                continue;
            };
            client.push(s.total);
            handlers.push(reqs.iter().map(|r| r.total_s()).sum::<f64>());
            ddb.push(
                reqs.iter()
                    .map(|r| r.aws_s(|c| c.is_dynamodb()))
                    .sum::<f64>(),
            );
            sns.push(
                reqs.iter()
                    .map(|r| r.aws_s(|c| !c.is_dynamodb()))
                    .sum::<f64>(),
            );
            argon.push(reqs.iter().filter_map(|r| r.argon2_s()).sum::<f64>());
            calls.push(reqs.iter().map(|r| r.calls.len() as f64).sum::<f64>());
        }
        let (c, h, d, s, a) = (
            mean(&client),
            mean(&handlers),
            mean(&ddb),
            mean(&sns),
            mean(&argon),
        );
        let own = h - d - s;
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0}% | {:.1} |",
            l.n,
            ms(c),
            ms(h),
            ms(d),
            ms(s),
            ms(own),
            ms(a),
            ms(own - a),
            ms(c - h),
            100.0 * own / h,
            mean(&calls)
        );
    }

    println!("\n## Per request kind: handler time split (median ms over the level's requests)\n");
    println!("| N | request | handler | AWS | own code | AWS calls |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    for l in levels {
        for k in KINDS {
            let rs: Vec<&ServerSample> = l
                .server
                .iter()
                .filter(|r| r.kind == k && r.login.is_some())
                .collect();
            let h: Vec<f64> = rs.iter().map(|r| r.total_s()).collect();
            let a: Vec<f64> = rs.iter().map(|r| r.aws_s(|_| true)).collect();
            let o: Vec<f64> = rs.iter().map(|r| r.total_s() - r.aws_s(|_| true)).collect();
            let n: Vec<f64> = rs.iter().map(|r| r.calls.len() as f64).collect();
            println!(
                "| {} | {} | {} | {} | {} | {:.1} |",
                l.n,
                k,
                ms(median(&h)),
                ms(median(&a)),
                ms(median(&o)),
                mean(&n)
            );
        }
    }

    println!(
        "\n## CPU used during each level (ms of CPU per login; the machine has {} cores)\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("ours = this process (load client + gateway + handlers + AWS SDK clients + argon2id); ours w/o argon2id \
        = ours − one serial verification ({} ms); LocalStack = its Python gateway / DynamoDB Local JVM; other = the \
        rest of the machine (other work on a shared box). busy = machine CPU / (wall × cores); LocalStack Python, \
        cores = its CPU seconds per second of wall time (its gateway runs Python code under one GIL: about 1 core at \
        most).\n", ms(argon2_alone));
    println!("| N | ours | ours w/o argon2id (est.) | LocalStack Python | DynamoDB Local (JVM) | emulator / ours | \
        other | machine busy | LocalStack Python, cores | busiest other processes (CPU s in the level) |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    for l in levels {
        let n = l.logins.len().max(1) as f64;
        let c = &l.cpu;
        let other = c.machine_busy - c.ours - c.localstack_python - c.localstack_java;
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {} | {:.0}% | {:.2} | {} |",
            l.n,
            ms(c.ours / n),
            ms(c.ours / n - argon2_alone),
            ms(c.localstack_python / n),
            ms(c.localstack_java / n),
            (c.localstack_python + c.localstack_java) / c.ours,
            ms(other / n),
            100.0 * c.machine_busy / (l.wall * cores),
            c.localstack_python / l.wall,
            c.top_others(3)
        );
    }

    let errs: Vec<&String> = levels.iter().flat_map(|l| l.errors.iter()).collect();
    if !errs.is_empty() {
        println!("\n## Errors ({} in all; first 5)\n", errs.len());
        let mut counts: HashMap<String, usize> = HashMap::new();
        for e in &errs {
            *counts.entry(e.chars().take(60).collect()).or_default() += 1;
        }
        for (e, n) in counts {
            println!("- {n} × {e}…");
        }
        for e in errs.iter().take(5) {
            println!("- {e}");
        }
    }
}

fn group(samples: &[ServerSample]) -> HashMap<u64, Vec<&ServerSample>> {
    let mut m: HashMap<u64, Vec<&ServerSample>> = HashMap::new();
    for s in samples {
        if let Some(id) = s.login {
            m.entry(id).or_default().push(s);
        }
    }
    m
}
