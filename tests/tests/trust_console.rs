//! The moderation console in a real browser (headless Chromium over WebDriver) against the
//! real app: a moderator signs in, works a queue of three reported ads by keyboard (one
//! dismissed, one hidden: gone from search, its owner emailed; one seller banned); a second
//! moderator cannot decide an item the first holds; a form without its session's CSRF token
//! is refused. Screenshots of the queue and of an item page go to target/test-artifacts.

use reqwest::header::{COOKIE, LOCATION};
use serde_json::json;
use souk_tests::browser::{artifacts_dir, Browser};
use souk_tests::console::{hidden_field, make_moderator, Console};
use souk_tests::{car_ad, Backend, TestApp, PASSWORD};

#[tokio::test]
async fn a_moderator_works_the_queue_by_keyboard_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.user("mod@example.dz").await;
    app.make_admin("mod@example.dz");
    app.user("mod2@example.dz").await;
    app.make_admin("mod2@example.dz");
    let reporter = app.user("reporter@example.dz").await;
    // Three sellers, one reported ad each, reported in this order (the queue's order); then
    // two more, decided together at the end.
    let mut ads = Vec::new();
    for (i, seller) in ["dismissed", "hidden", "banned", "marked", "marked2"]
        .iter()
        .enumerate()
    {
        let token = app.user(&format!("{seller}@example.dz")).await;
        let model = if i < 3 { "Clio" } else { "Golf" };
        let ad = app
            .create_listing(
                &token,
                car_ad(json!({"title": format!("{model} {seller} {i} bon état")})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let res = app
            .call(
                reqwest::Method::POST,
                &format!("/v1/listings/{ad}/report"),
                Some(&reporter),
                Some(json!({"reason": "scam"})),
            )
            .await;
        assert_eq!(res.status(), 201);
        ads.push(ad);
    }
    app.settle().await;
    assert_eq!(app.search_ids("q=clio").await.len(), 3);

    // Sign in through the form; the queue shows the three ads, the first one selected.
    browser.goto(&app.url("/mod/language/fr")).await;
    browser.goto(&app.url("/mod/login")).await;
    browser
        .type_into("input[name=email]", "mod@example.dz")
        .await;
    browser.type_into("input[name=password]", PASSWORD).await;
    browser.click("form.signin button").await;
    browser.wait_for_url("/mod/").await;
    let queue = browser.source().await;
    for ad in &ads {
        assert!(
            queue.contains(&format!("/mod/listings/{ad}")),
            "ad {ad} in the queue"
        );
    }
    assert!(
        queue.contains("class=\"item selected\""),
        "the first row is selected"
    );
    let shots = artifacts_dir();
    browser.screenshot(&shots.join("console-queue.png")).await;

    // Enter opens the first ad; its page shows the report and the seller's file; d dismisses.
    browser.press("\u{E007}").await;
    browser
        .wait_for_url(&format!("/mod/listings/{}", ads[0]))
        .await;
    let page = browser.source().await;
    assert!(
        page.contains("scam") && page.contains("Ancienneté du compte"),
        "evidence shown"
    );
    browser.screenshot(&shots.join("console-item.png")).await;

    // While the first moderator holds it, the second sees it taken and cannot decide.
    let second = Console::sign_in(&app, "mod2@example.dz").await;
    let (status, taken) = second.get(&format!("/mod/listings/{}", ads[0])).await;
    assert_eq!(status, 200);
    assert!(
        taken.contains("id=\"taken\"") && !taken.contains("id=\"decide\""),
        "shown taken"
    );
    let csrf = hidden_field(&second.get("/mod/").await.1, "csrf");
    let res = second
        .post(
            &format!("/mod/listings/{}/decide", ads[0]),
            &[("csrf", &csrf), ("decision", "hide"), ("template", "scam")],
        )
        .await;
    let status = res.status();
    assert_eq!(
        status,
        409,
        "a claimed item is not the second moderator's: {}",
        res.text().await.unwrap()
    );
    // And a form without the session's token is refused, whoever holds the item.
    let res = second
        .post(
            &format!("/mod/listings/{}/decide", ads[1]),
            &[("decision", "hide"), ("template", "scam")],
        )
        .await;
    assert_eq!(res.status(), 403, "no CSRF token");
    let res = second
        .post(
            &format!("/mod/listings/{}/decide", ads[1]),
            &[
                ("csrf", "forged"),
                ("decision", "hide"),
                ("template", "scam"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403, "a forged CSRF token");

    browser.press("d").await;
    browser.wait_for_url("/mod/").await;
    let queue = browser.source().await;
    assert!(
        !queue.contains(&format!("/mod/listings/{}\"", ads[0])),
        "dismissed: off the queue"
    );

    // The next ad: Enter, then h hides it with the reason picked (scam): gone from search,
    // its owner emailed the reason in their language.
    browser.press("\u{E007}").await;
    browser
        .wait_for_url(&format!("/mod/listings/{}", ads[1]))
        .await;
    browser.press("h").await;
    browser.wait_for_url("/mod/").await;
    app.wait_for_email("hidden@example.dz", "Annonce frauduleuse")
        .await;
    app.settle().await;
    let found = app.search_ids("q=clio").await;
    assert!(
        !found.contains(&ads[1]),
        "a hidden ad leaves search: {found:?}"
    );
    assert!(found.contains(&ads[0]), "a dismissed one stays");

    // The last: b bans its seller, for the 7 days picked: every ad of theirs hidden, their
    // login refused. A ban asks first; answered Cancel, nothing happens.
    browser.press("\u{E007}").await;
    browser
        .wait_for_url(&format!("/mod/listings/{}", ads[2]))
        .await;
    browser.click("select[name=days] option[value='7']").await;
    browser.press("b").await;
    assert!(
        browser.dialog_text().await.contains("Bannir ce compte"),
        "the ban asks first"
    );
    browser.answer_dialog(false).await;
    let banned_signs_in = || {
        app.call(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "banned@example.dz", "password": PASSWORD})),
        )
    };
    let res = banned_signs_in().await;
    assert_eq!(res.status(), 200, "a ban answered Cancel bans nobody");
    assert!(browser
        .url()
        .await
        .ends_with(&format!("/mod/listings/{}", ads[2])));
    browser.press("b").await;
    browser.dialog_text().await;
    browser.answer_dialog(true).await;
    browser.wait_for_url("/mod/").await;
    let res = banned_signs_in().await;
    assert_eq!(res.status(), 403, "the banned seller cannot sign in");
    let told = res.text().await.unwrap();
    let week = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("until %Y-%m-%d")
        .to_string();
    assert!(told.contains(&week), "banned for the 7 days picked: {told}");
    app.settle().await;
    assert!(!app.search_ids("q=clio").await.contains(&ads[2]));

    // The two left: x marks each row, H hides the marked ones at once.
    let queue = browser.source().await;
    let rows: Vec<usize> = [ads[3], ads[4]]
        .iter()
        .map(|id| queue.find(&format!("value=\"{id}\"")).expect("row"))
        .collect();
    assert!(rows[0] < rows[1], "oldest first");
    // The banned seller's ad, hidden by the ban and still reported, comes first.
    browser.press("j").await;
    browser.press("x").await;
    browser.press("j").await;
    browser.press("x").await;
    browser.press("H").await;
    browser.wait_for_url("/mod/?done=2&skipped=0").await;
    app.settle().await;
    assert!(app.search_ids("q=golf").await.is_empty(), "both hidden");
    app.wait_for_email("marked2@example.dz", "masqué").await;

    // Every decision is in the log, with its moderator.
    let (_, log) = second.get("/mod/log").await;
    for action in ["dismiss", "hide", "ban"] {
        assert!(
            log.contains(&format!("<td>{action}</td>")),
            "{action} logged"
        );
    }
    // Signed out, the session is gone.
    let csrf = hidden_field(&second.get("/mod/").await.1, "csrf");
    let res = second.post("/mod/logout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 303);
    let res = second
        .client
        .get(app.url("/mod/"))
        .header(COOKIE, &second.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/mod/login");
}

#[tokio::test]
async fn an_appeal_reaches_another_moderator_who_grants_or_denies_it_and_the_appellant_hears() {
    souk_tests::each_backend(|app| async move { appeals_on(&app).await }).await;
}

async fn appeals_on(app: &TestApp) {
    let first = app.user("first@example.dz").await;
    make_moderator(app, "first@example.dz");
    app.user("second@example.dz").await;
    make_moderator(app, "second@example.dz");
    let owner = app.user("owner@example.dz").await;
    app.user("banned@example.dz").await;
    let banned_id = app
        .user_id(
            app.login("banned@example.dz").await["access_token"]
                .as_str()
                .unwrap(),
        )
        .await;
    let ad = app
        .create_listing(&owner, car_ad(json!({"title": "Clio appel bon état"})))
        .await["id"]
        .as_i64()
        .unwrap();
    let reason = json!({"reason": "Annonce frauduleuse signalée"});
    let res = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/mod/listings/{ad}/hide"),
            Some(&first),
            Some(reason.clone()),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/mod/users/{banned_id}/ban"),
            Some(&first),
            Some(reason),
        )
        .await;
    assert_eq!(res.status(), 200);

    // The owner appeals once; a second appeal of the same decision is refused.
    let appeal = json!({"message": "La voiture est à moi, carte grise à mon nom."});
    let res = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/listings/{ad}/appeal"),
            Some(&owner),
            Some(appeal.clone()),
        )
        .await;
    assert_eq!(res.status(), 201);
    let listing_appeal = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/listings/{ad}/appeal"),
            Some(&owner),
            Some(appeal),
        )
        .await;
    assert_eq!(res.status(), 409);
    // The banned account appeals with its password, which it must know.
    let ban = |password: &str| {
        json!({"email": "banned@example.dz", "password": password,
        "message": "Je n'ai jamais arnaqué personne, vérifiez mes ventes."})
    };
    let res = app
        .call(
            reqwest::Method::POST,
            "/v1/auth/appeal",
            None,
            Some(ban("wrong password!")),
        )
        .await;
    assert_eq!(res.status(), 401);
    let res = app
        .call(
            reqwest::Method::POST,
            "/v1/auth/appeal",
            None,
            Some(ban(PASSWORD)),
        )
        .await;
    assert_eq!(res.status(), 201);
    let ban_appeal = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();

    // The moderator who decided cannot review their own decision.
    let decider = Console::sign_in(app, "first@example.dz").await;
    let (_, queue) = decider.get("/mod/").await;
    assert!(
        queue.contains(&format!("/mod/appeals/{listing_appeal}")),
        "the appeal is in the queue"
    );
    let (status, page) = decider.get(&format!("/mod/appeals/{listing_appeal}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Annonce frauduleuse signalée"),
        "the decision appealed is shown"
    );
    let csrf = hidden_field(&page, "csrf");
    let res = decider
        .post(
            &format!("/mod/appeals/{listing_appeal}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "grant"),
                ("answer", "Je me suis trompé"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403, "no review of one's own decision");
    let tokenless = decider
        .post(
            &format!("/mod/appeals/{listing_appeal}/decide"),
            &[("decision", "grant"), ("answer", "Je me suis trompé")],
        )
        .await;
    assert_eq!(tokenless.status(), 403, "nor without the form's token");
    drop(decider);
    // Let the claim go as time would.
    app.sql("DELETE FROM moderation_claims");

    // Another moderator grants the ad's appeal: the ad is back in search, the owner emailed.
    let reviewer = Console::sign_in(app, "second@example.dz").await;
    let (_, page) = reviewer
        .get(&format!("/mod/appeals/{listing_appeal}"))
        .await;
    let csrf = hidden_field(&page, "csrf");
    let res = reviewer
        .post(
            &format!("/mod/appeals/{listing_appeal}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "grant"),
                ("answer", "Carte grise vérifiée, annonce rétablie"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mail = app
        .wait_for_email("owner@example.dz", "Carte grise vérifiée")
        .await;
    assert_eq!(mail.subject, "Votre recours est accepté");
    app.settle().await;
    assert!(
        app.search_ids("q=clio").await.contains(&ad),
        "the ad is back"
    );
    // Decided is decided: a second decision changes nothing.
    let (_, page) = reviewer
        .get(&format!("/mod/appeals/{listing_appeal}"))
        .await;
    assert!(
        !page.contains("id=\"decide\""),
        "no decision form on a decided appeal"
    );

    // The ban's appeal is denied: still banned, told so.
    let (_, page) = reviewer.get(&format!("/mod/appeals/{ban_appeal}")).await;
    let csrf = hidden_field(&page, "csrf");
    let res = reviewer
        .post(
            &format!("/mod/appeals/{ban_appeal}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "deny"),
                ("answer", "Plusieurs arnaques avérées"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let mail = app
        .wait_for_email("banned@example.dz", "Plusieurs arnaques avérées")
        .await;
    assert_eq!(mail.subject, "Votre recours est rejeté");
    let res = app
        .call(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "banned@example.dz", "password": PASSWORD})),
        )
        .await;
    assert_eq!(res.status(), 403, "still banned");
    let (_, log) = reviewer.get("/mod/log").await;
    assert!(
        log.contains("appeal_denied") && log.contains("restore"),
        "both in the log"
    );
}

#[tokio::test]
async fn a_reported_thread_is_worked_in_the_console_and_its_scammer_banned() {
    souk_tests::each_backend(|app| async move {
        app.user("mod@example.dz").await;
        make_moderator(&app, "mod@example.dz");
        let seller = app.user("seller@example.dz").await;
        let scammer = app.user("scammer@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await["id"]
            .as_i64()
            .unwrap();
        let thread = app
            .contact(
                &scammer,
                ad,
                json!({"message": "Salam, je paie par mandat d'avance.", "name": "Karim"}),
            )
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap();
        let (id, message) = (
            thread["id"].as_i64().unwrap(),
            thread["messages"][0]["id"].as_i64().unwrap(),
        );
        // A photo in the thread: a moderator sees it only once the thread is reported.
        let res = app
            .send_photo(&scammer, id, souk_tests::images::jpeg(400, 300))
            .await;
        assert_eq!(res.status(), 201);
        let photo_api_url = res.json::<serde_json::Value>().await.unwrap()["photo"]["large_url"]
            .as_str()
            .expect("photo url")
            .to_string();
        let photo_console_url = photo_api_url.replace(
            &format!("/v1/conversations/{id}/"),
            &format!("/mod/threads/{id}/"),
        );
        let console = Console::sign_in(&app, "mod@example.dz").await;
        assert_eq!(
            console.get(&photo_console_url).await.0,
            404,
            "not before the thread is reported"
        );
        let res = app
            .call(
                reqwest::Method::POST,
                &format!("/v1/conversations/{id}/reports"),
                Some(&seller),
                Some(json!({"reason": "scam", "message_id": message})),
            )
            .await;
        assert!(res.status().is_success(), "{}", res.status());

        let (_, queue) = console.get("/mod/").await;
        assert!(
            queue.contains(&format!("/mod/threads/{id}")),
            "the thread is in the queue"
        );
        let (status, page) = console.get(&format!("/mod/threads/{id}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("mandat d&#39;avance") || page.contains("mandat d'avance"),
            "the messages are shown"
        );
        assert!(
            page.contains("class=\"message reported\""),
            "the reported message is marked"
        );
        assert!(
            page.contains(&photo_console_url.replace("/large.jpg", "/thumb.jpg")),
            "the photo is shown"
        );
        let res = console
            .client
            .get(app.url(&photo_console_url))
            .header(reqwest::header::COOKIE, &console.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert!(
            res.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]),
            "a JPEG"
        );
        let csrf = hidden_field(&page, "csrf");
        let res = console
            .post(
                &format!("/mod/threads/{id}/decide"),
                &[("csrf", &csrf), ("decision", "ban"), ("template", "scam")],
            )
            .await;
        assert_eq!(res.status(), 303);
        // The scammer is banned (not the seller who reported), the thread leaves the queue.
        let login = |email: &'static str| {
            app.call(
                reqwest::Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
        };
        assert_eq!(login("scammer@example.dz").await.status(), 403);
        assert_eq!(login("seller@example.dz").await.status(), 200);
        let (_, queue) = console.get("/mod/").await;
        assert!(!queue.contains(&format!("/mod/threads/{id}\"")), "resolved");
        let (_, log) = console.get("/mod/log").await;
        assert!(log.contains("resolve_thread") && log.contains("<td>ban</td>"));
    })
    .await;
}

#[tokio::test]
async fn an_admin_gives_roles_and_credits_from_the_console_and_a_moderator_cannot() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.user("admin@example.dz").await;
    app.make_admin("admin@example.dz");
    app.user("helper@example.dz").await;
    make_moderator(&app, "helper@example.dz");
    let seller = app.user("seller@example.dz").await;
    let seller_id = app.user_id(&seller).await;

    // A moderator is refused the admin page and its forms.
    let helper = Console::sign_in(&app, "helper@example.dz").await;
    assert_eq!(helper.get("/mod/admin").await.0, 403);
    let csrf = hidden_field(&helper.get("/mod/").await.1, "csrf");
    let res = helper
        .post(
            &format!("/mod/admin/users/{seller_id}/role"),
            &[("csrf", &csrf), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 403);

    // The admin finds the seller, makes them a moderator, grants credits once per form.
    let admin = Console::sign_in(&app, "admin@example.dz").await;
    let (status, page) = admin.get("/mod/admin?email=seller%40example.dz").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/mod/admin/users/{seller_id}/role")),
        "found"
    );
    let csrf = hidden_field(&page, "csrf");
    let key = hidden_field(&page, "key");
    let res = admin
        .post(
            &format!("/mod/admin/users/{seller_id}/role"),
            &[("csrf", &csrf), ("role", "moderator")],
        )
        .await;
    assert_eq!(res.status(), 303);
    Console::sign_in(&app, "seller@example.dz").await;
    let before = app.balance(&seller).await;
    for _ in 0..2 {
        let res = admin
            .post(
                &format!("/mod/admin/users/{seller_id}/credits"),
                &[
                    ("csrf", &csrf),
                    ("key", &key),
                    ("amount", "500"),
                    ("reason", "offre de lancement"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
    }
    assert_eq!(
        app.balance(&seller).await,
        before + 500,
        "a double submit grants once"
    );
    let (_, log) = admin.get("/mod/log").await;
    assert!(log.contains("set_role:moderator"));
}
