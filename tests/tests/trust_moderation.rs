//! Trust: stores and seller profiles, reports that take a scam down, moderators who ban,
//! content rules at posting time.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::{assert_problem, car_ad, each_backend, problem_fields, TestApp, PASSWORD};

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json body")
}

fn new_store(patch: Value) -> Value {
    let mut base = json!({
        "name": "Auto Prestige Blida",
        "speciality": "vehicles",
        "wilaya": 9,
        "description": "Voitures d'occasion révisées, garantie 3 mois. سيارات مستعملة مضمونة",
        "phone": "0550 11 22 33",
        "opening_hours": "Sam–Jeu 9:00–18:00"
    });
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[tokio::test]
async fn a_seller_opens_a_store_and_its_page_shows_their_ads() {
    each_backend(|app| async move {
        let seller = app.user("prestige@example.dz").await;
        let ad = app.create_listing(&seller, car_ad(json!({"title": "Renault Clio 4 GT Line", "wilaya": 9, "commune": 901}))).await;
        app.create_listing(&seller, car_ad(json!({"title": "Dacia Logan 2016", "wilaya": 9, "commune": 901}))).await;
        let other = app.user("other@example.dz").await;
        app.create_listing(&other, car_ad(json!({"title": "Renault Clio 3 particulier"}))).await;

        let res = app.call(Method::POST, "/v1/stores", Some(&seller), Some(new_store(json!({})))).await;
        assert_eq!(res.status(), 201);
        let store = json_of(res).await;
        assert_eq!(store["slug"], "auto-prestige-blida", "slug made from the name");
        assert_eq!(store["active_ads"], 2);
        assert_eq!(store["speciality"]["slug"], "vehicles");
        assert!(store.to_string().find("prestige@example.dz").is_none());

        // One store per account, unique slugs, reserved words, field errors all at once.
        assert_problem(app.call(Method::POST, "/v1/stores", Some(&seller), Some(new_store(json!({"slug": "second"})))).await, 409, "store_exists").await;
        assert_problem(app.call(Method::POST, "/v1/stores", Some(&other), Some(new_store(json!({"slug": "Auto Prestige BLIDA"})))).await, 409, "slug_taken").await;
        let body = assert_problem(
            app.call(Method::POST, "/v1/stores", Some(&other), Some(new_store(json!({"slug": "admin", "speciality": "cars", "wilaya": 99, "description": "short"})))).await,
            422,
            "validation",
        )
        .await;
        let mut fields = problem_fields(&body);
        fields.sort();
        assert_eq!(fields, vec!["description", "slug", "speciality", "wilaya"]);

        // The public page, its logo through the photo pipeline, owner-only edits.
        let page = json_of(app.get("/v1/stores/auto-prestige-blida").await).await;
        assert_eq!(page["owner"]["display_name"], "Test User");
        let form = Form::new().part("photo", Part::bytes(souk_tests::images::png(300, 200)).file_name("logo.png"));
        let res = app.client.post(app.url("/v1/stores/auto-prestige-blida/logo")).bearer_auth(&seller).multipart(form).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let logo = json_of(res).await["logo_url"].as_str().unwrap().to_string();
        assert_eq!(app.get(&logo).await.status(), 200);
        assert_problem(
            app.call(Method::PATCH, "/v1/stores/auto-prestige-blida", Some(&other), Some(json!({"name": "Hijacked"}))).await,
            403,
            "forbidden",
        )
        .await;
        let edited = json_of(app.call(Method::PATCH, "/v1/stores/auto-prestige-blida", Some(&seller), Some(json!({"name": "Auto Prestige"}))).await).await;
        assert_eq!(edited["name"], "Auto Prestige");
        assert_eq!(edited["slug"], "auto-prestige-blida", "the slug stays");

        // The store's ads carry it in search and reads; searching within the store.
        let (found, _) = app
            .search_until("q=clio&facets=false", Duration::from_secs(5), |b| {
                b["items"].as_array().is_some_and(|items| items.iter().any(|h| h["store"]["name"] == "Auto Prestige"))
            })
            .await;
        assert_eq!(found["total"], 2, "both Clios found, one from the store");
        let read = json_of(app.get(&format!("/v1/listings/{}", ad["id"])).await).await;
        assert_eq!(read["store"]["slug"], "auto-prestige-blida");
        let within = json_of(app.get("/v1/stores/auto-prestige-blida/listings?q=clio").await).await;
        assert_eq!(within["total"], 1);
        assert_eq!(within["items"][0]["id"], ad["id"]);
        let all = json_of(app.get("/v1/stores/auto-prestige-blida/listings").await).await;
        assert_eq!(all["total"], 2);
        assert_eq!(app.get("/v1/stores/nope-nope/listings").await.status(), 404);

        // The seller's public profile: no email; the phone only once published.
        let uid = read["seller"]["id"].as_i64().unwrap();
        let profile = json_of(app.get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(profile["active_ads"], 2);
        assert_eq!(profile["store"]["slug"], "auto-prestige-blida");
        assert_eq!(profile["email_verified"], true);
        assert_eq!(profile["phone"], Value::Null);
        assert!(!profile.to_string().contains("prestige@example.dz"));
        app.call(Method::PATCH, "/v1/me", Some(&seller), Some(json!({"phone_public": true, "wilaya": 9}))).await;
        let profile = json_of(app.get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(profile["phone"], Value::Null, "published but not confirmed: not shown");
        app.confirm_phone("prestige@example.dz");
        let profile = json_of(app.get(&format!("/v1/users/{uid}")).await).await;
        assert_eq!(profile["phone"], "+213551234567");
        assert_eq!(profile["wilaya"]["id"], 9);
    })
    .await;
}

#[tokio::test]
async fn three_reports_take_a_scam_down_and_a_moderator_bans_its_seller() {
    each_backend(|app| async move {
        let scammer = app.user("scammer@example.dz").await;
        let refresh = app.login("scammer@example.dz").await["refresh_token"]
            .as_str()
            .unwrap()
            .to_string();
        let scam = app
            .create_listing(
                &scammer,
                car_ad(json!({"title": "iPhone 15 Pro Max neuf prix choc"})),
            )
            .await;
        let other_ad = app
            .create_listing(&scammer, car_ad(json!({"title": "Golf 8 presque neuve"})))
            .await;
        let id = scam["id"].as_i64().unwrap();
        app.search_until("q=iphone&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 1
        })
        .await;

        let report = |token: String, reason: &'static str| {
            let app = &app;
            async move {
                app.call(
                    Method::POST,
                    &format!("/v1/listings/{id}/report"),
                    Some(&token),
                    Some(json!({"reason": reason, "comment": "demande un acompte par CCP"})),
                )
                .await
            }
        };
        // Established accounts: a report weighs by its reporter (see accounts_abuse.rs).
        let u1 = app.seasoned_user("r1@example.dz").await;
        let u2 = app.seasoned_user("r2@example.dz").await;
        let u3 = app.seasoned_user("r3@example.dz").await;
        assert_eq!(report(u1.clone(), "scam").await.status(), 201);
        assert_problem(report(u1.clone(), "scam").await, 409, "already_reported").await;
        assert_problem(report(scammer.clone(), "scam").await, 409, "own_listing").await;
        assert_problem(report(u2.clone(), "spam-ish").await, 422, "validation").await;
        assert_eq!(report(u2.clone(), "scam").await.status(), 201);
        // Two distinct reporters: still up.
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 200);
        assert_eq!(report(u3.clone(), "prohibited").await.status(), 201);
        // The third takes it down: out of search and reads at once.
        app.search_until("q=iphone&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 0
        })
        .await;
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 404);
        let mine = json_of(
            app.call(Method::GET, "/v1/me/listings", Some(&scammer), None)
                .await,
        )
        .await;
        assert!(mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == id && l["hidden"] == true));

        // The queue is for moderators only.
        assert_problem(
            app.call(Method::GET, "/v1/mod/reports", Some(&u1), None)
                .await,
            403,
            "forbidden",
        )
        .await;
        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        let queue = json_of(
            app.call(Method::GET, "/v1/mod/reports", Some(&moderator), None)
                .await,
        )
        .await;
        assert_eq!(queue.as_array().unwrap().len(), 1);
        assert_eq!(queue[0]["listing_id"], id);
        assert_eq!(queue[0]["reports"].as_array().unwrap().len(), 3);
        assert_eq!(queue[0]["hidden"], true);
        let scams = json_of(
            app.call(
                Method::GET,
                "/v1/mod/reports?reason=prohibited",
                Some(&moderator),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(scams[0]["reports"].as_array().unwrap().len(), 1);

        // The ban: every ad hidden, sessions revoked, login refused with a clear type.
        let seller_id = queue[0]["seller_id"].as_i64().unwrap();
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{seller_id}/ban"),
                Some(&moderator),
                Some(json!({"reason": "arnaque à l'acompte"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            app.get(&format!("/v1/listings/{}", other_ad["id"]))
                .await
                .status(),
            404
        );
        let res = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": refresh})),
            )
            .await;
        assert_eq!(res.status(), 401, "the refresh token stopped working");
        let res = app
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": "scammer@example.dz", "password": PASSWORD})),
            )
            .await;
        let body = assert_problem(res, 403, "account_banned").await;
        assert!(body["detail"].as_str().unwrap().contains("acompte"));
        // An access token issued before the ban is refused: the ban ended its session (the
        // login above tells the reason).
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&scammer),
                Some(car_ad(json!({}))),
            )
            .await;
        assert_problem(res, 401, "token_revoked").await;
        // Moderators cannot ban each other; nobody bans themselves.
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{}/ban", queue_mod_id(&app, "mod@example.dz")),
                Some(&moderator),
                Some(json!({"reason": "testing"})),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;

        // Unban: the ads the ban hid come back; the one hidden by reports stays hidden.
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/users/{seller_id}/unban"),
                Some(&moderator),
                Some(json!({"reason": "appeal accepted"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            app.get(&format!("/v1/listings/{}", other_ad["id"]))
                .await
                .status(),
            200
        );
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 404);

        // Everything is in the audit log, newest first, with who and why.
        let log = json_of(
            app.call(Method::GET, "/v1/mod/log", Some(&moderator), None)
                .await,
        )
        .await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["unban", "ban", "set_role:moderator", "hide"],
            "{actions:?}"
        );
        assert_eq!(log[1]["reason"], "arnaque à l'acompte");
        assert_eq!(log[1]["moderator_id"], queue_mod_id(&app, "mod@example.dz"));
        assert_eq!(log[3]["moderator_id"], Value::Null, "hidden automatically");
    })
    .await;
}

fn queue_mod_id(app: &TestApp, email: &str) -> i64 {
    let mut conn = app.store();
    souk_store::users::find_user_by_email(&mut conn, email)
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn a_moderator_hides_an_ad_with_a_reason_the_owner_is_told_and_can_be_restored() {
    each_backend(|app| async move {
        let seller = app.user_speaking("owner@example.dz", "fr").await;
        let ad = app
            .create_listing(
                &seller,
                car_ad(json!({"title": "Toyota Hilux double cabine"})),
            )
            .await;
        let id = ad["id"].as_i64().unwrap();
        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        assert_problem(
            app.call(
                Method::POST,
                &format!("/v1/mod/listings/{id}/hide"),
                Some(&moderator),
                Some(json!({"reason": "x"})),
            )
            .await,
            422,
            "validation",
        )
        .await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/listings/{id}/hide"),
                Some(&moderator),
                Some(json!({"reason": "Photos volées sur un autre site"})),
            )
            .await;
        assert_eq!(json_of(res).await["in_effect"], true);
        app.search_until("q=hilux&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 0
        })
        .await;
        let mail = app
            .wait_for_email("owner@example.dz", "Photos volées")
            .await;
        assert!(mail.subject.contains("masquée"), "{}", mail.subject);
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/listings/{id}/restore"),
                Some(&moderator),
                Some(json!({"reason": "Le vendeur a prouvé qu'il est l'auteur"})),
            )
            .await;
        assert_eq!(json_of(res).await["in_effect"], false);
        app.search_until("q=hilux&facets=false", Duration::from_secs(5), |b| {
            b["total"] == 1
        })
        .await;
        assert_eq!(
            app.call(
                Method::POST,
                &format!("/v1/mod/listings/{id}/explode"),
                Some(&moderator),
                Some(json!({"reason": "nope"}))
            )
            .await
            .status(),
            404
        );
    })
    .await;
}

#[tokio::test]
async fn contact_details_in_titles_and_banned_words_are_refused_at_posting() {
    each_backend(|app| async move {
        let seller = app.user("rules@example.dz").await;
        for (title, code) in [
            ("Clio 4 appelez le 0551 23 45 67", "contact_in_title"),
            ("Golf 7 écrire à vendeur@gmail.com", "contact_in_title"),
            ("Vente zatla bonne qualité", "banned_word"),
        ] {
            let res = app
                .call(
                    Method::POST,
                    "/v1/listings",
                    Some(&seller),
                    Some(car_ad(json!({"title": title}))),
                )
                .await;
            let body = assert_problem(res, 422, "validation").await;
            assert_eq!(body["errors"][0]["field"], "title", "{title}: {body}");
            assert_eq!(body["errors"][0]["code"], code, "{title}: {body}");
        }
        let res = app
            .call(
                Method::POST,
                "/v1/listings",
                Some(&seller),
                Some(car_ad(
                    json!({"description": "Très bon état. Aussi: كوكايين à vendre, contactez-moi"}),
                )),
            )
            .await;
        let body = assert_problem(res, 422, "validation").await;
        assert_eq!(body["errors"][0]["field"], "description");
        // Ordinary ads with numbers pass.
        app.create_listing(
            &seller,
            car_ad(json!({"title": "Peugeot 208 2019 85000 km"})),
        )
        .await;
        let ad = app.create_listing(&seller, car_ad(json!({}))).await;
        let res = app
            .call(
                Method::PATCH,
                &format!("/v1/listings/{}", ad["id"]),
                Some(&seller),
                Some(json!({"title": "Appelez 0661123456"})),
            )
            .await;
        assert_problem(res, 422, "validation").await;
    })
    .await;
}

#[tokio::test]
async fn hidden_ads_stay_hidden_for_a_banned_seller_and_out_of_favourites() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let ad = app
            .create_listing(&seller, car_ad(json!({"title": "Scooter Vespa 2020"})))
            .await;
        let id = ad["id"].as_i64().unwrap();
        let fan = app.user("fan@example.dz").await;
        let res = app
            .call(
                Method::PUT,
                &format!("/v1/me/favorites/{id}"),
                Some(&fan),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        let favs = json_of(
            app.call(Method::GET, "/v1/me/favorites", Some(&fan), None)
                .await,
        )
        .await;
        assert_eq!(favs["total"], 1, "in favourites while shown");

        // Unconfirmed throwaway accounts do not count towards hiding.
        for i in 0..3 {
            let email = format!("throwaway{i}@example.dz");
            app.register(&email, None).await;
            let t = app.login(&email).await["access_token"]
                .as_str()
                .unwrap()
                .to_string();
            let res = app
                .call(
                    Method::POST,
                    &format!("/v1/listings/{id}/report"),
                    Some(&t),
                    Some(json!({"reason": "scam"})),
                )
                .await;
            assert_eq!(res.status(), 201);
        }
        assert_eq!(
            app.get(&format!("/v1/listings/{id}")).await.status(),
            200,
            "still up"
        );

        let moderator = app.user("mod@example.dz").await;
        app.make_moderator("mod@example.dz");
        let hide = json!({"reason": "annonce frauduleuse"});
        app.call(
            Method::POST,
            &format!("/v1/mod/listings/{id}/hide"),
            Some(&moderator),
            Some(hide),
        )
        .await;
        let favs = json_of(
            app.call(Method::GET, "/v1/me/favorites", Some(&fan), None)
                .await,
        )
        .await;
        assert_eq!(favs["total"], 0, "a hidden ad leaves favourites");

        // The seller is banned; restoring the ad must not put a banned seller's ad back.
        let seller_id = json_of(app.call(Method::GET, "/v1/me", Some(&seller), None).await).await
            ["id"]
            .as_i64()
            .unwrap();
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{seller_id}/ban"),
            Some(&moderator),
            Some(json!({"reason": "fraude répétée"})),
        )
        .await;
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/listings/{id}/restore"),
                Some(&moderator),
                Some(json!({"reason": "erreur de modération"})),
            )
            .await;
        assert_eq!(
            json_of(res).await["in_effect"],
            true,
            "still hidden while the seller is banned"
        );
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 404);
        // Banned: the access token issued before cannot edit or delete either.
        let res = app
            .call(
                Method::DELETE,
                &format!("/v1/listings/{id}"),
                Some(&seller),
                None,
            )
            .await;
        assert_problem(res, 401, "token_revoked").await;
        // The unban brings it back (the ban now owns its hiding).
        app.call(
            Method::POST,
            &format!("/v1/mod/users/{seller_id}/unban"),
            Some(&moderator),
            Some(json!({"reason": "appel accepté"})),
        )
        .await;
        assert_eq!(app.get(&format!("/v1/listings/{id}")).await.status(), 200);
    })
    .await;
}
