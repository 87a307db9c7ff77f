//! Step 2: the SMS code and its resend.

use super::*;

#[test]
fn step_2_uses_the_code_up_with_the_flow_and_resends_with_the_caps() {
    let app = app();
    let flow = carried(at(State::NumberEntered, 100));
    let consume = TxOp::Delete {
        key: Key::new("OTP#REG#rid", "OTP"),
        cond: Some(Cond::Exists),
    };
    let o = code::verified(&app, flow.clone(), consume, true);
    assert_eq!(shape(&o), ["Put FLOW#REG", "Delete OTP#REG"]);
    assert_eq!(redirect(&o), "/registrazione/dati");
    let mut later = carried(at(State::NumberEntered, 100));
    later.data.code_resent(app.now() - 31).unwrap();
    let o = code::resend(
        &app,
        later,
        Some(&owner("account:a1")),
        &OtpCode::parse("654321").unwrap(),
    );
    assert_eq!(
        shape(&o),
        [
            "Put FLOW#REG",
            "Update RATE#sms-number-reg",
            "Update RATE#sms-global",
            "Put OTP#REG"
        ]
    );
    assert_eq!(redirect(&o), "/registrazione/codice?nuovo=1");
    assert_eq!(
        o.unsent.len(),
        2,
        "the code withdrawn and the flow as it was"
    );
    let TxOp::Put { item, .. } = o.tx.ops().nth(3).unwrap() else {
        panic!()
    };
    assert_eq!(
        store::otp::holder_noted(item)
            .map(|o| o.to_string())
            .as_deref(),
        Some("account:a1"),
        "the note for step 2 survives a resend"
    );
    let o = code::verified(
        &app,
        carried(at(State::OtpVerified, 100)),
        TxOp::Check {
            key: Key::new("X", "Y"),
            cond: Cond::Exists,
        },
        false,
    );
    assert!(
        o.tx.is_empty(),
        "a verified flow moves on without a second transition"
    );
}

#[tokio::test]
async fn step_2_resend_waits_thirty_seconds() {
    let app = app();
    let mut flow = at(State::NumberEntered, 100);
    flow.code_resent(app.now() - 10).unwrap();
    let form = code::Form {
        codice: String::new(),
        azione: "invia-di-nuovo".into(),
    };
    let o = code::decide(
        &app,
        &form,
        carried(flow),
        code::Facts::Resend { holder: None },
    );
    let (status, text) = form_error(&o, "codice");
    assert_eq!(status, 429);
    assert!(text.starts_with("Attendi ancora 2"), "{text}");
}
