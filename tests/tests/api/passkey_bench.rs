//! The gain of issue 24, measured side by side: the server time of a login by password +
//! SMS and of a login by passkey, alternating on the same portal (the in-process gateway
//! on LocalStack), and what 1,000 of each cost. `scripts/bench.sh passkey` runs it with
//! more rounds (`PASSKEY_BENCH_N`, default 5 here) and prints the table BENCHMARKS.md
//! copies; in the suite it checks only that a passkey login takes less server time than
//! one by SMS (the SMS login verifies an argon2id hash; the passkey one an ES256 signature).
//!
//! Server time = the requests' own time, the person's pauses excluded: the SMS login's
//! password POST and code POST (which follows its redirect to the home), the passkey
//! login's options POST and assertion POST (also followed to the home).

use crate::passkey_login::{ceremony, options, post_assertion, with_passkey};
use e2e::register::PASSWORD;
use e2e::Portal;
use std::time::{Duration, Instant};

/// USD: Lambda arm64 per GB-second and per request, SNS SMS to Italy (the template's
/// `SmsPriceUsd`), DynamoDB on demand per million write and read request units.
const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_REQUEST: f64 = 0.000_000_2;
const SMS: f64 = 0.07;
const WRU: f64 = 0.625 / 1e6;
const RRU: f64 = 0.125 / 1e6;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// (requests with their function's memory in GB, write units, read units) of one login.
struct Shape {
    memory_gb: &'static [f64],
    wru: f64,
    rru: f64,
    sms: f64,
}

/// Password POST (login, 512 MB), code POST and home (256 MB): 3 requests; DynamoDB from
/// aws_calls.rs: the transactions' writes at 2 WRU each, the batches' reads at ½ RRU each.
const SMS_LOGIN: Shape = Shape {
    memory_gb: &[0.5, 0.25, 0.25],
    wru: 2.0 * 13.0 + 1.0,
    rru: 0.5 * 11.0,
    sms: 1.0,
};
/// Options POST, assertion POST, home (256 MB each).
const PASSKEY_LOGIN: Shape = Shape {
    memory_gb: &[0.25, 0.25, 0.25],
    wru: 2.0 * 12.0,
    rru: 0.5 * 8.0,
    sms: 0.0,
};

/// USD per 1,000 logins of `shape` taking `server_ms` (split over its requests by memory:
/// every request is charged at least its share, so the larger function is charged for all).
fn cost_per_1000(shape: &Shape, server_ms: f64) -> (f64, f64, f64, f64) {
    let gb = shape.memory_gb.iter().cloned().fold(0.0, f64::max);
    let lambda = 1000.0
        * (server_ms / 1000.0 * gb * LAMBDA_GB_SECOND
            + shape.memory_gb.len() as f64 * LAMBDA_REQUEST);
    let dynamo = 1000.0 * (shape.wru * WRU + shape.rru * RRU);
    let sms = 1000.0 * shape.sms * SMS;
    (lambda, dynamo, sms, lambda + dynamo + sms)
}

#[tokio::test]
async fn a_passkey_login_costs_less_server_time_than_an_sms_login() {
    let rounds: usize = std::env::var("PASSKEY_BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let p = Portal::start().await;
    let mut u = with_passkey(&p).await;
    let (mut by_sms, mut by_passkey) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        // SMS: the password, then (after the person reads the SMS) the code.
        let page = u.b.get("/accesso").await;
        let before = p.sms_to(&u.who.number).await.len();
        let t = Instant::now();
        let code_page =
            u.b.submit(
                &page,
                "username",
                &[("username", &u.who.username), ("password", PASSWORD)],
            )
            .await;
        let mut server = t.elapsed();
        assert_eq!(code_page.path, "/accesso/codice", "{}", code_page.text());
        let sms = p.sms_to_at_least(&u.who.number, before + 1).await;
        let code = e2e::code_in(&sms.last().unwrap().text).unwrap().to_owned();
        let t = Instant::now();
        let home = u.b.submit(&code_page, "codice", &[("codice", &code)]).await;
        server += t.elapsed();
        assert_eq!(home.path, "/area-clienti", "{}", home.text());
        by_sms.push(ms(server));
        u.b.post("/esci", &[]).await;

        // Passkey: the options at page load, then the assertion.
        let t = Instant::now();
        let (_, opts) = options(&u.b).await;
        let mut server = t.elapsed();
        let assertion = u.device.get(&opts).unwrap();
        let t = Instant::now();
        let home = post_assertion(&u.b, &ceremony(&opts), &assertion).await;
        server += t.elapsed();
        assert_eq!(home.path, "/area-clienti", "{}", home.text());
        by_passkey.push(ms(server));
        u.b.post("/esci", &[]).await;
    }
    let (sms_ms, pk_ms) = (median(by_sms), median(by_passkey));
    println!("passkey bench: {rounds} logins each, alternating, server time per login (median):");
    println!("| login | server ms | server s per 1,000 | Lambda $ | DynamoDB $ | SMS $ | total $ per 1,000 |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, shape, t) in [
        ("password + SMS", &SMS_LOGIN, sms_ms),
        ("passkey", &PASSKEY_LOGIN, pk_ms),
    ] {
        let (l, d, s, total) = cost_per_1000(shape, t);
        println!(
            "| {name} | {t:.1} | {:.1} | {l:.4} | {d:.4} | {s:.2} | {total:.2} |",
            t
        );
    }
    assert!(
        pk_ms < sms_ms,
        "a passkey login ({pk_ms:.1} ms) takes less server time than an SMS login ({sms_ms:.1} ms)"
    );
}
