//! The confirmation link: it moves the flow to the browser that confirms.

use super::*;

#[test]
fn the_link_moves_the_flow_to_the_browser_that_confirms() {
    let app = app();
    let mut data = at(State::EmailSent, 100);
    let chosen = Reserved {
        value: username("mario.rossi@example.it"),
        until: Some(100),
    };
    data.email_sent(chosen, crypto::token_hash("tok")).unwrap();
    let flow = carried(data);
    let next = flow.data.clone();
    let TxOp::Put { item, .. } = confirm::token_op(&flow, &next, &crypto::token_hash("tok"), 0)
    else {
        panic!()
    };
    let link = confirm_link(&item, &crypto::token_hash("tok")).unwrap();
    assert!(
        confirm_link(&item, &crypto::token_hash("older")).is_none(),
        "only the latest link"
    );
    let o = confirm::confirm(&app, &link, "phone-id");
    assert_eq!(
        shape(&o),
        ["Delete TOKEN#CONFIRM", "Delete FLOW#REG", "Put FLOW#REG"]
    );
    assert_eq!(redirect(&o), "/registrazione/conferma-email");
    let phone = carried_by(&app, &o);
    assert_eq!(
        (phone.id.as_str(), phone.version, phone.data.state),
        ("phone-id", 1, State::EmailConfirmed)
    );
}
