//! The machine: its states and transitions, the record and its cookie, the funnel.

use super::*;

#[test]
fn the_machine_walks_every_state_and_refuses_out_of_order_steps() {
    let mut r = Registration::start("r".into(), number(), line(), 0);
    assert!(r.completed(aid("acc")).is_err());
    assert!(!r.state.allows(Step::Profile));
    r.otp_verified(true).unwrap();
    assert!(
        r.otp_verified(false).is_err(),
        "a code cannot be verified twice"
    );
    assert!(r.earlier_convenzione());
    let r = at(State::EmailConfirmed, 100);
    assert_eq!(r.state.step(), Step::Password);
    let mut r = at(State::EmailSent, 100);
    let u = username("altro.nome");
    r.email_sent(
        Reserved {
            value: u.clone(),
            until: None,
        },
        "h2".into(),
    )
    .unwrap();
    assert_eq!(
        r.email_confirmed("h1"),
        Err(WrongState(State::EmailSent)),
        "an older link stops working"
    );
    assert_eq!(r.username(), Some(&u));
    let mut r = at(State::EmailConfirmed, 100);
    r.completed(aid("acc")).unwrap();
    assert_eq!((r.state.step(), r.summary_sent()), (Step::Done, true));
}

#[test]
fn a_duplicate_waits_for_prosegui_and_editing_data_moves_back() {
    let mut r = at(State::OtpVerified, 100);
    r.profile_entered(profile(), by_number("old")).unwrap();
    assert_eq!(r.state, State::DuplicateFound);
    assert!(!r.state.allows(Step::Email));
    r.proceed_superseding(None).unwrap();
    assert_eq!(
        (r.state, owners(&r)),
        (State::ProfileEntered, vec!["account:old".to_owned()])
    );
    let mut r = at(State::EmailSent, 100);
    r.profile_entered(profile(), Existing::default()).unwrap();
    assert_eq!(
        (r.state, r.confirm_token_hash.as_deref()),
        (State::ProfileEntered, None)
    );
    let mut r = at(State::EmailSent, 100);
    r.email_not_sent().unwrap();
    assert_eq!(
        r.state,
        State::EmailSaved,
        "an email that never left: AVANTI again"
    );
}

#[test]
fn the_record_serialises_its_domain_types_and_rejects_forged_ones() {
    let r = at(State::EmailSent, 100);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Registration>(&json).unwrap(), r);
    let forged = json.replace("+393331234567", "+390612345678");
    assert!(
        serde_json::from_str::<Registration>(&forged).is_err(),
        "a landline is no MobileNumber"
    );
}

#[test]
fn the_cookie_carries_the_flow_and_only_its_own_kind() {
    let app = app();
    let r = at(State::EmailSaved, 100);
    let value = cookie_value(&app, "id", 4, &r);
    let back: Carried<Registration> = carry::open(&app.keys(), KIND, &value, app.now()).unwrap();
    assert_eq!((back.id.as_str(), back.version, back.data), ("id", 4, r));
    assert!(carry::open::<Registration>(&app.keys(), "LOGIN", &value, app.now()).is_none());
}

#[test]
fn the_funnel_counts_the_first_arrival_at_each_state() {
    use metrics::Metric;
    use State::*;
    assert_eq!(
        reached(NumberEntered, OtpVerified),
        Some(Metric::RegistrationCodeVerified)
    );
    assert_eq!(
        reached(OtpVerified, ProfileEntered),
        Some(Metric::RegistrationProfile)
    );
    assert_eq!(
        reached(OtpVerified, DuplicateFound),
        Some(Metric::RegistrationProfile)
    );
    assert_eq!(
        reached(DuplicateFound, ProfileEntered),
        Some(Metric::RegistrationProsegui)
    );
    assert_eq!(
        reached(EmailSaved, EmailSent),
        Some(Metric::RegistrationEmailSent)
    );
    assert_eq!(
        reached(EmailConfirmed, Completed),
        Some(Metric::RegistrationCompleted)
    );
    // Editing earlier data, a new link, a resent code: not a step further.
    assert_eq!(reached(EmailSent, ProfileEntered), None);
    assert_eq!(reached(EmailSent, EmailSent), None);
    assert_eq!(reached(NumberEntered, NumberEntered), None);
    assert_eq!(reached(ProfileEntered, EmailSaved), None);
}
