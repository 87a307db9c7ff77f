//! AWS calls per flow, counted at the clients' boundary (one Store call = one DynamoDB
//! API call; one SMS = one SNS Publish; one email = one SES SendEmail) through full flows
//! on LocalStack. Fails if a flow needs more calls than its budget (issue #8): the counts
//! printed here are the ones BENCHMARKS.md turns into a cost.

use e2e::counting::{counting, Counts};
use e2e::register::*;
use e2e::{random_email, random_number, Portal};
use std::sync::Arc;

struct Budget {
    dynamodb: usize,
    sns: usize,
    ses: usize,
}

fn check(flow: &str, counts: &Counts, budget: Budget) {
    println!(
        "{flow}: DynamoDB {} · SNS {} · SES {} · {:?}",
        counts.dynamodb(),
        counts.sns(),
        counts.ses(),
        counts.snapshot()
    );
    assert!(
        counts.dynamodb() <= budget.dynamodb,
        "{flow}: {} DynamoDB calls > budget {}",
        counts.dynamodb(),
        budget.dynamodb
    );
    assert_eq!(counts.sns(), budget.sns, "{flow}: one SNS call per SMS");
    assert_eq!(counts.ses(), budget.ses, "{flow}: one SES call per email");
}

#[tokio::test]
async fn aws_calls_per_flow_stay_within_budget() {
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    let p = Portal::start_with(move |app| counting(app, c)).await;
    let number = random_number();
    p.add_line(&number, ENTE, ENTE_NAME, true).await;
    let email = random_email("conteggio");

    counts.reset();
    register(&p, &number, &email).await;
    // Pages shown along the way (GETs) are part of the flow as a user runs it.
    check(
        "registrazione",
        &counts,
        Budget {
            dynamodb: REGISTRATION_DYNAMODB,
            sns: 1,
            ses: 2,
        },
    );

    let b = p.as_browser(Portal::browser());
    let page = b.get("/accesso").await;
    counts.reset();
    let page = b
        .submit(
            &page,
            "username",
            &[("username", &email), ("password", PASSWORD)],
        )
        .await;
    let code = b.last_code(&number).await;
    let home = b.submit(&page, "codice", &[("codice", &code)]).await;
    assert_eq!(home.path, "/area-clienti");
    check(
        "accesso",
        &counts,
        Budget {
            dynamodb: LOGIN_DYNAMODB,
            sns: 1,
            ses: 0,
        },
    );

    for (mode, fields, sns, ses) in [
        (
            "username",
            vec![
                ("numero", number.as_str()),
                ("cf_personale", cf_for(&number)),
            ],
            1,
            1,
        ),
        ("password", vec![("username", email.as_str())], 0, 1),
        (
            "entrambe",
            vec![
                ("numero", number.as_str()),
                ("cf_personale", cf_for(&number)),
            ],
            1,
            0,
        ),
    ] {
        p.clock.advance(31);
        let r = p.as_browser(Portal::browser());
        let page = r.get(&format!("/recupero?modalita={mode}")).await;
        counts.reset();
        let page = r.submit(&page, "modalita", &fields).await;
        let (sns, ses) = if mode == "entrambe" {
            let code = r.last_code(&number).await;
            r.submit(&page, "codice", &[("codice", &code)]).await;
            (sns, ses + 1)
        } else {
            (sns, ses)
        };
        check(
            &format!("recupero {mode}"),
            &counts,
            Budget {
                dynamodb: RECOVERY_DYNAMODB,
                sns,
                ses,
            },
        );
    }
}

/// Registration step 1 makes the same AWS calls, in the same order, for a number that
/// already has an account and for one that has none (issue 14): one read (the line, the
/// number's claim and its SMS counters together), one transaction, one SMS.
#[tokio::test]
async fn registration_step_one_calls_alike_for_registered_and_new_numbers() {
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    let p = Portal::start_with(move |app| counting(app, c)).await;
    let (registered, fresh) = (random_number(), random_number());
    for n in [&registered, &fresh] {
        p.add_line(n, ENTE, ENTE_NAME, true).await;
    }
    let email = random_email("sequenza");
    register(&p.as_browser(Portal::browser()), &registered, &email).await;
    p.clock.advance(31);
    let mut sequences = Vec::new();
    for n in [&registered, &fresh] {
        let b = p.as_browser(Portal::browser());
        counts.reset();
        let page = step1(&b, n).await;
        assert_eq!(page.path, "/registrazione/codice", "{}", page.text());
        sequences.push(counts.sequence());
    }
    println!("step 1: {:?}", sequences[0]);
    assert_eq!(sequences[0], sequences[1], "registered vs new number");
    assert_eq!(
        sequences[0],
        ["BatchGetItem", "TransactWriteItems", "Publish"]
    );
}

/// Today's counts, as ceilings: the test fails if a change makes a flow need more calls.
/// The registration meets the budget of 12 DynamoDB calls (issue 14, the step
/// engine): every page it shows reads its state from the signed cookie, and each POST is
/// at most one read of its facts and one transaction with its counters (the code's guess is
/// counted before it, and the link's button reads its token).
const REGISTRATION_DYNAMODB: usize = 12;
const LOGIN_DYNAMODB: usize = 24;
const RECOVERY_DYNAMODB: usize = 17;
