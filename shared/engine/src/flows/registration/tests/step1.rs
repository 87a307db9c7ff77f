//! Step 1: the number (the slider burnt, the caps charged, the flow started).

use super::*;

fn step1_form(app: &App, numero: &str, slider: &str) -> number::Form {
    number::Form {
        numero: numero.into(),
        challenge: challenge::issue(app.keys().current(), app.now() - 3),
        conferma: slider.into(),
        pow: String::new(),
    }
}

fn active(number: &MobileNumber) -> Option<lines::Line> {
    Some(lines::Line {
        number: number.clone(),
        entity_cf: line().entity_cf,
        ragione_sociale: line().ragione_sociale,
        active: true,
        profile: store::lines::Profile::Utente,
    })
}

fn fresh() -> number::Fresh {
    number::Fresh {
        flow_id: "new-flow".into(),
        rid: "new-rid".into(),
        code: OtpCode::parse("123456").unwrap(),
    }
}

#[test]
fn step_1_burns_the_slider_charges_the_caps_and_starts_the_flow_in_one_transaction() {
    let app = app();
    let (n, passed) = checked(&app, &step1_form(&app, "333 123 4567", "100"));
    let facts = number::Facts {
        line: active(&n),
        ..Default::default()
    };
    let o = number::decide(&app, n.clone(), &passed, facts, "198.51.100.7", fresh());
    assert_eq!(
        shape(&o),
        [
            "Put CHALLENGE",
            "Update RATE#reg-ip-nopow",
            "Update RATE#sms-number-reg",
            "Update RATE#sms-global",
            "Put OTP#REG",
            "Put FLOW#REG",
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/codice");
    assert!(
        matches!(&o.effects[..], [Effect::Sms { to, text, .. }] if *to == n && text.contains("123456"))
    );
    assert_eq!(
        (o.unsent.len(), o.cookies.len()),
        (1, 1),
        "the code withdrawn if the SMS fails"
    );
}

#[test]
fn step_1_writes_alike_whether_or_not_the_number_has_an_account() {
    let app = app();
    let run = |holder: Option<&str>| {
        let (n, passed) = checked(&app, &step1_form(&app, "3331234567", "100"));
        let facts = number::Facts {
            line: active(&n),
            holder: holder.map(owner),
            sms_full: None,
        };
        let o = number::decide(&app, n, &passed, facts, "198.51.100.7", fresh());
        // The cookie is sealed with a fresh nonce each time: compare its length and what
        // it carries.
        let carried = (o.cookies[0].len(), carried_by(&app, &o));
        (
            writes(&o)
                .into_iter()
                .filter(|w| !w.contains("CHALLENGE"))
                .collect::<Vec<_>>(),
            carried,
        )
    };
    assert_eq!(
        run(Some("account:a1")),
        run(None),
        "same writes, same cookie"
    );
}

#[test]
fn step_1_refusals_still_count_against_the_client() {
    let app = app();
    let (n, passed) = checked(&app, &step1_form(&app, "3331234567", "100"));
    let o = number::decide(
        &app,
        n.clone(),
        &passed,
        number::Facts::default(),
        "c",
        fresh(),
    );
    assert_eq!(form_error(&o, "numero").0, 422);
    assert_eq!(
        shape(&o),
        ["Put CHALLENGE", "Update RATE#reg-ip-nopow"],
        "not a line: charged"
    );
    let facts = number::Facts {
        line: active(&n),
        holder: None,
        sms_full: Some(crate::sms::SendRefused::NumberCap),
    };
    let o = number::decide(&app, n, &passed, facts, "c", fresh());
    assert_eq!(
        form_error(&o, "numero"),
        (
            429,
            "Hai richiesto troppi codici per questo numero nell'ultima ora. Riprova più tardi."
        )
    );
    assert_eq!(o.tx.ops().count(), 2);
    let Err(bad) = number::check(&app, &step1_form(&app, "06 1234567", "100")) else {
        panic!("a landline")
    };
    assert_eq!(
        shape(&bad),
        ["Put CHALLENGE"],
        "the slider is used up by a bad number too"
    );
    let Err(half) = number::check(&app, &step1_form(&app, "3331234567", "50")) else {
        panic!("the slider halfway")
    };
    assert!(half.tx.is_empty());
}

#[tokio::test]
async fn a_challenge_serves_one_submission() {
    let app = app();
    let store = MemoryStore::new();
    let form = step1_form(&app, "3331234567", "100");
    for expected in [Ok(()), Err(Failed::Refused(Refusal::ChallengeUsed(None)))] {
        let (n, passed) = checked(&app, &form);
        let o = number::decide(&app, n, &passed, number::Facts::default(), "c", fresh());
        assert_eq!(commit(&store, o).await, expected);
    }
}
