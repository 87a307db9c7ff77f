//! The foundation against real LocalStack: TTL items, conditional writes, SNS SMS and
//! SES v2 email read back, and the lines import.

use domain::{MobileNumber, OtpCode};
use e2e::{random_email, random_number, Portal};
use notify::{messages, Message};
use store::otp::{self, OtpError, Purpose};
use store::uniqueness::{self, Kind};
use store::{schema, AccountId, Item, Key};

#[tokio::test]
async fn an_expired_otp_item_is_unreadable_even_before_dynamodb_deletes_it() {
    let p = Portal::start().await;
    let store = p.app.store.as_ref();
    let subject = random_number();
    let code = OtpCode::parse("123456").unwrap();
    let now = p.app.now();
    otp::issue(
        store,
        p.app.keys().current(),
        Purpose::Login,
        &subject,
        &code,
        now,
    )
    .await
    .unwrap();
    let key = otp::code_key(Purpose::Login, &subject);
    let raw = store.get(&key).await.unwrap().expect("stored");
    assert_eq!(
        raw.n(schema::TTL_ATTRIBUTE),
        Some(now + otp::TTL_SECS),
        "TTL attribute in epoch seconds"
    );
    assert!(
        raw.s("hash").is_some_and(|h| !h.contains("123456")),
        "stored hashed"
    );
    let later = now + otp::TTL_SECS + 1;
    assert!(
        store.get(&key).await.unwrap().is_some(),
        "DynamoDB has not deleted it yet"
    );
    assert_eq!(
        otp::verify(store, &p.app.secret, Purpose::Login, &subject, &code, later).await,
        Err(OtpError::Expired)
    );
}

#[tokio::test]
async fn a_second_conditional_write_of_the_same_username_fails() {
    let p = Portal::start().await;
    let store = p.app.store.as_ref();
    let name = format!("utente.{}", rand::random::<u32>());
    let now = p.app.now();
    store
        .transact(vec![uniqueness::claim_op(
            Kind::Username,
            &name,
            &AccountId::parse("acc-1").unwrap(),
            &uniqueness::flow_owner("x"),
            &[],
            now,
        )])
        .await
        .unwrap();
    let second = store
        .transact(vec![uniqueness::claim_op(
            Kind::Username,
            &name,
            &AccountId::parse("acc-2").unwrap(),
            &uniqueness::flow_owner("y"),
            &[],
            now,
        )])
        .await;
    assert!(
        matches!(second, Err(store::StoreError::TxCancelled { ref failed }) if failed == &vec![true]),
        "{second:?}"
    );
    assert!(!uniqueness::reserve(
        store,
        Kind::Username,
        &name,
        &uniqueness::flow_owner("z"),
        &[],
        now + 60,
        now
    )
    .await
    .unwrap());
    assert_eq!(
        uniqueness::holder(store, Kind::Username, &name, now)
            .await
            .unwrap()
            .map(|o| o.to_string())
            .as_deref(),
        Some("account:acc-1")
    );
    let k = Key::new(format!("X#{name}"), "X");
    store
        .put(
            &k,
            Item::new().with("a", 1i64),
            Some(store::Cond::NotExists),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .put(&k, Item::new(), Some(store::Cond::NotExists))
            .await,
        Err(store::StoreError::ConditionFailed)
    );
}

#[tokio::test]
async fn an_sms_published_through_sns_is_read_back() {
    let p = Portal::start().await;
    let to = random_number();
    let code = OtpCode::parse("654321").unwrap();
    p.app
        .outbox
        .post(vec![Message::Sms {
            to: MobileNumber::parse(&to).unwrap(),
            text: messages::sms_login_otp(&code),
            expires_at: None,
        }])
        .await
        .unwrap();
    let sms = p.sms_to(&to).await;
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].sender_id, "40134");
    assert!(sms[0]
        .text
        .starts_with("Usa il codice temporaneo 654321 per completare l'accesso"));
}

#[tokio::test]
async fn an_email_sent_through_ses_v2_is_read_back_with_both_parts() {
    let p = Portal::start().await;
    let to = random_email("lettore");
    let msg =
        messages::email_confirmation(&to, "https://esempio.it/registrazione/conferma-email?t=abc");
    p.app
        .outbox
        .post(vec![Message::Email(msg.clone())])
        .await
        .unwrap();
    let mails = p.emails_to(&to).await;
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.subject, msg.subject);
    assert_eq!(m.to, vec![to.clone()]);
    assert_eq!(m.from, "TIM <convenzionemobile8@telecomitalia.it>");
    assert!(m
        .text
        .contains("CONFERMA EMAIL: https://esempio.it/registrazione/conferma-email?t=abc"));
    assert!(m
        .html
        .contains("<a href=\"https://esempio.it/registrazione/conferma-email?t=abc\""));
}

#[tokio::test]
async fn import_lines_imports_good_rows_and_reports_bad_ones() {
    let p = Portal::start().await;
    let (a, b) = (random_number(), random_number());
    let csv = format!(
        "numero;codice_fiscale_ente;ragione_sociale;stato\n{a};00488410010;COMUNE A;attiva\n{b};00488410010;COMUNE \
            A;cessata\n06 123;00488410010;X;attiva\n{a};123;X;attiva\n"
    );
    let r = portale_admin::import_lines::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        &e2e::quick::harness(),
        p.app.now(),
    )
    .await
    .unwrap();
    assert_eq!((r.inserted, r.updated, r.unchanged), (2, 0, 0));
    assert_eq!(
        r.rejected.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        vec![4, 5]
    );
    let line = store::lines::active(p.app.store.as_ref(), &MobileNumber::parse(&a).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(line.ragione_sociale, "COMUNE A");
    assert!(
        store::lines::active(p.app.store.as_ref(), &MobileNumber::parse(&b).unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let again = portale_admin::import_lines::import(
        p.app.store.as_ref(),
        csv.as_bytes(),
        &e2e::quick::harness(),
        p.app.now(),
    )
    .await
    .unwrap();
    assert_eq!((again.inserted, again.unchanged), (0, 2), "idempotent");
}
