//! "Le linee del tuo Ente" (`/area-clienti/linee`, issue 15 item 8): the referente sees
//! the entity's lines, searches by number, pages through them; a user who is no referente
//! and a visitor who is not signed in are sent elsewhere; the page's DynamoDB calls.

use domain::MobileNumber;
use e2e::counting::Counts;
use e2e::quick::{self, Holder};
use e2e::sign_in;
use e2e::{Page, Portal};
use scraper::Selector;
use std::sync::Arc;
use store::lines::Profile;

const PATH: &str = "/area-clienti/linee";

/// The rows of the table: (number as shown, status, profile).
fn rows(page: &Page) -> Vec<(String, String, String)> {
    let doc = page.doc();
    let tr = Selector::parse("table tbody tr").unwrap();
    let td = Selector::parse("td").unwrap();
    doc.select(&tr)
        .map(|r| {
            let cells: Vec<String> = r
                .select(&td)
                .map(|c| c.text().collect::<String>().trim().to_owned())
                .collect();
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

/// The `href` of the link whose text is `text`, if the page has one.
fn link(page: &Page, text: &str) -> Option<String> {
    let doc = page.doc();
    let a = Selector::parse("a").unwrap();
    doc.select(&a)
        .find(|e| e.text().collect::<String>().trim() == text)
        .and_then(|e| e.value().attr("href").map(str::to_owned))
}

/// An entity with a signed-in referente and `others` more lines (consecutive numbers), the
/// second of them ceased. Returns the referente and the other numbers.
async fn entity_with_lines(p: &Portal, others: usize) -> (Holder, Vec<String>) {
    let entity = quick::random_entity();
    let referente = quick::account(p, &entity, Profile::Referente).await;
    let base = 3_330_000_000u64 + u64::from(rand::random::<u16>() % 9_999) * 1000;
    let mut numbers = Vec::new();
    for i in 0..others {
        let n = format!("+39{}", base + i as u64);
        quick::line(p, &n, &entity, i != 1, Profile::Utente).await;
        numbers.push(n);
    }
    let home = sign_in::holder(p, &referente).await;
    assert_eq!(home.path, "/area-clienti", "{}", home.text());
    assert!(
        home.html.contains("href=\"/area-clienti/linee\"") && home.contains("Referente dell'Ente"),
        "the referente's home leads to the entity's lines: {}",
        home.text()
    );
    (referente, numbers)
}

fn pretty(e164: &str) -> String {
    MobileNumber::parse(e164).unwrap().pretty()
}

#[tokio::test]
async fn a_referente_sees_the_entity_lines_page_by_page() {
    let p = Portal::start().await;
    let (referente, numbers) = entity_with_lines(&p, 44).await;

    let first = p.get(PATH).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let h1 = Selector::parse("h1").unwrap();
    let doc = first.doc();
    assert_eq!(
        doc.select(&h1).next().unwrap().text().collect::<String>(),
        "Le linee del tuo Ente"
    );
    assert!(first.html.contains("lang=\"it\""));
    let shown = rows(&first);
    assert_eq!(shown.len(), 20, "20 per page");
    // The referente's own number and the others, in number order.
    let mut all: Vec<String> = numbers.iter().chain([&referente.number]).cloned().collect();
    all.sort();
    let expected: Vec<String> = all.iter().map(|n| pretty(n)).collect();
    assert_eq!(
        shown.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        expected[..20]
    );
    let ceased = shown.iter().find(|r| r.0 == pretty(&numbers[1])).unwrap();
    assert_eq!(ceased.1, "Cessata");
    assert!(shown.iter().filter(|r| r.1 == "Attiva").count() == 19);
    assert!(link(&first, "Prima pagina").is_none());

    let next = link(&first, "Pagina successiva").expect("a next page");
    let second = p.get(&next).await;
    assert_eq!(second.status, 200);
    let shown2 = rows(&second);
    assert_eq!(
        shown2.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        expected[20..40]
    );
    let back = link(&second, "Pagina precedente").expect("the page before");
    assert_eq!(
        rows(&p.get(&back).await),
        shown,
        "from the second page, back to the first"
    );
    let third = p
        .get(&link(&second, "Pagina successiva").expect("a third page"))
        .await;
    assert_eq!(
        rows(&third).iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        expected[40..]
    );
    assert!(link(&third, "Pagina successiva").is_none(), "the last page");
    let back = link(&third, "Pagina precedente").expect("the page before");
    assert_eq!(
        rows(&p.get(&back).await),
        shown2,
        "from the third page, back to the second"
    );
    let back = link(&third, "Prima pagina").expect("back to the first page");
    assert_eq!(rows(&p.get(&back).await), shown);
}

#[tokio::test]
async fn the_search_by_number_keeps_what_was_typed_and_explains_a_bad_number() {
    let p = Portal::start().await;
    let (_, numbers) = entity_with_lines(&p, 3).await;
    let page = p.get(PATH).await;

    // The first digits of one number (as people type them, with spaces).
    let national = MobileNumber::parse(&numbers[2]).unwrap().national();
    let typed = format!("{} {}", &national[..3], &national[3..]);
    let found = p.submit(&page, "numero", &[("numero", &typed)]).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.input_value("numero").as_deref(), Some(typed.as_str()));
    assert_eq!(
        rows(&found).iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
        [pretty(&numbers[2])]
    );
    assert!(link(&found, "Mostra tutte le linee").is_some());

    let prefix = &national[..7];
    let some = p.submit(&page, "numero", &[("numero", prefix)]).await;
    let want: Vec<String> = numbers.iter().map(|n| pretty(n)).collect();
    assert_eq!(
        rows(&some).into_iter().map(|r| r.0).collect::<Vec<_>>(),
        want,
        "the three numbers share their first seven digits"
    );

    let none = p.submit(&page, "numero", &[("numero", "399")]).await;
    assert_eq!(none.status, 200);
    assert!(none.contains("Nessuna linea dell'Ente corrisponde al numero cercato."));

    for (bad, says) in [
        ("abc", "Inserisci solo cifre"),
        ("06 1234", "I numeri mobili italiani iniziano con 3"),
    ] {
        let page = p.submit(&page, "numero", &[("numero", bad)]).await;
        assert_eq!(page.status, 422);
        assert_eq!(
            page.input_value("numero").as_deref(),
            Some(bad),
            "kept as typed"
        );
        assert!(
            page.field_error("numero").unwrap().starts_with(says),
            "{}",
            page.text()
        );
        assert!(rows(&page).is_empty());
    }
    let label = Selector::parse("label[for=numero]").unwrap();
    assert_eq!(
        page.doc()
            .select(&label)
            .next()
            .unwrap()
            .text()
            .collect::<String>(),
        "Cerca per numero"
    );
}

#[tokio::test]
async fn a_user_who_is_no_referente_goes_back_to_the_area_and_strangers_to_the_login() {
    let p = Portal::start().await;
    let page = p.get(PATH).await;
    assert_eq!(
        (page.path.as_str(), page.status),
        ("/accesso", 200),
        "not signed in: the login"
    );
    let resp = Portal::browser()
        .get(format!("{}{PATH}", p.base))
        .send()
        .await
        .unwrap();
    // reqwest followed the redirect: the login comes back here.
    assert_eq!(resp.url().query(), Some("next=%2Farea-clienti%2Flinee"));

    let entity = quick::random_entity();
    let user = quick::account(&p, &entity, Profile::Utente).await;
    let home = sign_in::holder(&p, &user).await;
    assert_eq!(home.path, "/area-clienti");
    assert!(
        !home.html.contains("/area-clienti/linee"),
        "no link that leads nowhere"
    );
    let page = p.get(PATH).await;
    assert_eq!(
        page.path, "/area-clienti",
        "a utente has nothing to see here"
    );
    assert!(page.contains("Ciao, Lucia Bianchi"));
}

#[tokio::test]
async fn the_page_costs_three_dynamodb_calls() {
    let counts = Arc::new(Counts::default());
    let p = Portal::start_counting(counts.clone()).await;
    let (_, _) = entity_with_lines(&p, 3).await;
    counts.reset();
    let page = p.get(PATH).await;
    assert_eq!(rows(&page).len(), 4);
    // The session and its account (one batch), the user's line (its profile), one page
    // of the entity's partition.
    assert_eq!(counts.request_path(), ["BatchGetItem", "GetItem", "Query"]);
    counts.reset();
    let page = p.get(&format!("{PATH}?numero=3")).await;
    assert_eq!(rows(&page).len(), 4);
    assert_eq!(counts.dynamodb(), 3);
}
