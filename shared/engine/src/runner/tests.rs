//! The runner's own guarantees: a guess counted before its decision (even one that
//! refuses), and a flow's pages gated by its state on the cookie's state and after a reload.

use super::*;
use crate::config::Config;
use crate::step::Count;
use crate::{create_flow_op, flow_cookie, Guess};
use domain::OtpCode;
use store::otp::{self, Purpose};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct No;
impl Refusal for No {
    fn reply(&self) -> Reply {
        Reply::Redirect("/no".into())
    }
}

/// A code step that always refuses: it counts its guess (`pre_commit`) when the code is
/// well-formed, and records what it was given.
struct Refusing {
    code: String,
    seen: std::sync::Mutex<Vec<bool>>,
}

impl Step for Refusing {
    type Flow = ();
    type Refusal = No;
    type Facts = Option<Count>;

    fn pre_commit(&self, _: &App, _: &()) -> Option<Guess> {
        OtpCode::parse(&self.code).ok()?;
        Some(Guess {
            purpose: Purpose::Login,
            subject: "acc".into(),
        })
    }

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &(),
        counted: Option<Count>,
        _: Attempt,
    ) -> Result<Result<Option<Count>, Outcome<No>>, WebError> {
        Ok(Ok(counted))
    }

    fn decide(&self, _: &App, _: &Ctx, _: (), counted: Option<Count>, _: Attempt) -> Outcome<No> {
        self.seen
            .lock()
            .unwrap()
            .push(counted.is_some_and(|c| c.is_ok()));
        Outcome::error(422, "codice", "no")
    }
}

async fn attempts(app: &App) -> Option<i64> {
    let item = app
        .store
        .get(&otp::code_key(Purpose::Login, "acc"))
        .await
        .unwrap();
    item.and_then(|i| i.n("attempts"))
}

#[tokio::test]
async fn a_guess_is_counted_before_its_decision_even_one_that_refuses() {
    let app = App::in_memory(Config::for_tests()).0;
    let code = OtpCode::generate();
    let issue = otp::issue_op(
        app.keys().current(),
        Purpose::Login,
        "acc",
        &code,
        app.now(),
        None,
    );
    app.store.transact(vec![issue]).await.unwrap();
    let ctx = Ctx::for_tests("/");
    let step = Refusing {
        code: "123456".into(),
        seen: Default::default(),
    };
    for n in 1..=2 {
        let answer = run(&app, &ctx, &step).await.unwrap();
        assert!(matches!(answer.reply, Reply::Form(422, _)), "refused");
        assert_eq!(attempts(&app).await, Some(n), "counted though refused");
    }
    assert_eq!(
        *step.seen.lock().unwrap(),
        [true, true],
        "decide saw the count"
    );
    // A malformed code is refused without a count.
    let malformed = Refusing {
        code: "12".into(),
        seen: Default::default(),
    };
    run(&app, &ctx, &malformed).await.unwrap();
    assert_eq!(attempts(&app).await, Some(2));
    assert_eq!(*malformed.seen.lock().unwrap(), [false]);
}

/// A flow whose state is the one page it allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Paged(u8);

impl Flow for Paged {
    const KIND: &'static str = "PAGED";
    const COOKIE: &'static str = "paged";
    const TTL_SECS: i64 = 600;
    type Page = u8;
    fn gone() -> String {
        "/inizio".into()
    }
    fn allows(&self, page: u8) -> bool {
        self.0 == page
    }
    fn home(&self) -> String {
        format!("/pagina-{}", self.0)
    }
}

/// The step of page `page`: its first decision is found stale (the engine reloads the flow),
/// the next one moves on.
struct OnPage {
    page: u8,
    decided: std::sync::Mutex<Vec<Attempt>>,
}

impl Step for OnPage {
    type Flow = Carried<Paged>;
    type Refusal = No;
    type Facts = ();

    fn page(&self) -> Option<u8> {
        Some(self.page)
    }

    async fn load(
        &self,
        _: &App,
        _: &Ctx,
        _: &Carried<Paged>,
        _: Option<Count>,
        _: Attempt,
    ) -> Result<Result<(), Outcome<No>>, WebError> {
        Ok(Ok(()))
    }

    fn decide(&self, _: &App, _: &Ctx, _: Carried<Paged>, _: (), attempt: Attempt) -> Outcome<No> {
        self.decided.lock().unwrap().push(attempt);
        match attempt.again {
            false => Outcome::stale(),
            true => Outcome::redirect("/avanti"),
        }
    }
}

fn on(page: u8) -> OnPage {
    OnPage {
        page,
        decided: Default::default(),
    }
}

/// The request carrying `data` as version `version` of flow `id`.
fn carrying(app: &App, version: i64, data: &Paged) -> Ctx {
    let set = flow_cookie(app, "id", version, data);
    let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
    Ctx::for_tests("/").with_cookie(Paged::COOKIE, value)
}

#[tokio::test]
async fn a_flows_pages_are_gated_by_its_state_before_and_after_a_reload() {
    let app = App::in_memory(Config::for_tests()).0;
    let now = app.now();
    app.store
        .transact(vec![create_flow_op("id", &Paged(1), now)])
        .await
        .unwrap();
    let ctx = carrying(&app, 1, &Paged(1));
    // Without a flow: to its first page.
    let none = run(&app, &Ctx::for_tests("/"), &on(1)).await.unwrap();
    assert_eq!(crate::tests::location(&none), "/inizio");
    // The cookie's state does not allow the page: to the state's page, nothing decided.
    let step = on(2);
    let wrong = run(&app, &ctx, &step).await.unwrap();
    assert_eq!(crate::tests::location(&wrong), "/pagina-1");
    assert!(wrong.cookies.is_empty() && step.decided.lock().unwrap().is_empty());
    // Allowed, decided again on the table's flow (the same version: not moved).
    let step = on(1);
    let done = run(&app, &ctx, &step).await.unwrap();
    assert_eq!(crate::tests::location(&done), "/avanti");
    let moved = Attempt {
        again: true,
        moved: false,
    };
    assert_eq!(*step.decided.lock().unwrap(), [Attempt::default(), moved]);
    // Another request moved the flow to page 3: the reload sends this one there, with a
    // cookie that carries the flow as the table has it.
    let carried = Carried {
        id: "id".to_owned(),
        version: 1,
        data: Paged(1),
    };
    app.store
        .transact(vec![carried.next_op(&Paged(3), now)])
        .await
        .unwrap();
    let step = on(1);
    let elsewhere = run(&app, &ctx, &step).await.unwrap();
    assert_eq!(crate::tests::location(&elsewhere), "/pagina-3");
    assert_eq!(elsewhere.cookies.len(), 1, "{:?}", elsewhere.cookies);
    assert_eq!(step.decided.lock().unwrap().len(), 1);
}
