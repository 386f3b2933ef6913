//! Trust signals end to end: the worker's checks flag copied photos and texts, scam phrases and
//! bait prices with their evidence in the moderation queue; enough of them hide an ad until a
//! moderator decides; reposting one's own photo is refused.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use souk_tests::images::{copied, scene, to_jpeg};
use souk_tests::{assert_problem, car_ad, each_backend, TestApp};

async fn upload(app: &TestApp, token: &str, listing: i64, bytes: Vec<u8>) -> reqwest::Response {
    app.upload_photo(token, listing, bytes).await
}

async fn queue(app: &TestApp, moderator: &str) -> Vec<Value> {
    let res = app
        .call(Method::GET, "/v1/mod/reports", Some(moderator), None)
        .await;
    assert_eq!(res.status(), 200);
    res.json::<Value>()
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// The queue entry of `listing` once the worker has flagged it with `kind`.
async fn flagged(app: &TestApp, moderator: &str, listing: i64, kind: &str) -> Value {
    for _ in 0..100 {
        let q = queue(app, moderator).await;
        if let Some(entry) = q.iter().find(|e| {
            e["listing_id"] == listing
                && e["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|f| f["kind"] == kind)
        }) {
            return entry.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "listing {listing} never flagged {kind}: {:?}",
        queue(app, moderator).await
    );
}

/// Waits until the worker has no job left (the checks of everything posted so far ran).
async fn checks_done(app: &TestApp) {
    for _ in 0..100 {
        let mut conn = app.store();
        let queued = souk_store::jobs::count_by_status(&mut conn, souk_store::jobs::STATUS_QUEUED)
            .unwrap()
            + souk_store::jobs::count_by_status(&mut conn, souk_store::jobs::STATUS_RUNNING)
                .unwrap();
        if queued == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("jobs still queued");
}

async fn moderator(app: &TestApp) -> String {
    let token = app.user("mod@example.dz").await;
    app.make_moderator("mod@example.dz");
    token
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_photo_copied_from_another_accounts_ad_is_flagged_with_its_evidence() {
    each_backend(|app| async move {
        let owner = app.user("owner@example.dz").await;
        let original = app.create_listing(&owner, car_ad(json!({}))).await;
        let photo = scene(1);
        assert_eq!(upload(&app, &owner, id(&original), to_jpeg(&photo, 90)).await.status(), 201);

        let copier = app.user("copier@example.dz").await;
        let copy = app
            .create_listing(
                &copier,
                car_ad(json!({"title": "Peugeot 208 à vendre urgent", "description": "Voiture en bon état, visible à Oran, contactez moi par message"})),
            )
            .await;
        // Resized, brightened and re-encoded: another file, the same photo.
        assert_eq!(upload(&app, &copier, id(&copy), copied(&photo)).await.status(), 201);
        // A photo of something else is no copy.
        assert_eq!(upload(&app, &copier, id(&copy), to_jpeg(&scene(2), 90)).await.status(), 201);

        let m = moderator(&app).await;
        let entry = flagged(&app, &m, id(&copy), "duplicate_photo").await;
        let flags = entry["flags"].as_array().unwrap();
        assert_eq!(flags.len(), 1, "one copied photo, one flag: {flags:?}");
        assert_eq!(flags[0]["other_listing_id"], id(&original));
        assert!(flags[0]["evidence"]["distance"].as_u64().unwrap() <= 8);
        assert_eq!(entry["flag_score"], 2);
        // One signal alone does not hide an ad, and the original is not the suspect.
        assert_eq!(entry["hidden"], false);
        assert_eq!(app.get(&format!("/v1/listings/{}", id(&copy))).await.status(), 200);
        checks_done(&app).await;
        let q = queue(&app, &m).await;
        assert!(q.iter().all(|e| e["listing_id"] != id(&original)), "{q:?}");
    })
    .await;
}

#[tokio::test]
async fn a_stolen_photo_and_a_request_to_pay_first_hide_the_ad_until_a_moderator_decides() {
    each_backend(|app| async move {
        let owner = app.user("owner@example.dz").await;
        let original = app.create_listing(&owner, car_ad(json!({}))).await;
        let photo = scene(3);
        assert_eq!(upload(&app, &owner, id(&original), to_jpeg(&photo, 90)).await.status(), 201);

        let scammer = app.user("scammer@example.dz").await;
        let bait = app
            .create_listing(
                &scammer,
                car_ad(json!({"title": "Peugeot 208 occasion en or", "description": "Je suis à l'étranger, ارسل المبلغ par CCP et je vous envoie la voiture"})),
            )
            .await;
        assert_eq!(upload(&app, &scammer, id(&bait), copied(&photo)).await.status(), 201);

        let m = moderator(&app).await;
        let entry = flagged(&app, &m, id(&bait), "duplicate_photo").await;
        let entry = if entry["flags"].as_array().unwrap().len() < 2 {
            flagged(&app, &m, id(&bait), "scam_phrase").await
        } else {
            entry
        };
        let scam = entry["flags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "scam_phrase")
            .cloned()
            .unwrap_or_else(|| panic!("{entry}"));
        assert_eq!(scam["evidence"]["phrases"], json!(["ارسل المبلغ"]));
        // Hidden as soon as the score reached 2 + 2 ≥ 3; the owner is told it waits for a review.
        for _ in 0..50 {
            if app.get(&format!("/v1/listings/{}", id(&bait))).await.status() == 404 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(app.get(&format!("/v1/listings/{}", id(&bait))).await.status(), 404);
        let q = queue(&app, &m).await;
        let entry = q.iter().find(|e| e["listing_id"] == id(&bait)).unwrap();
        assert_eq!(entry["hidden_by"], "flags");
        assert_eq!(entry["flag_score"], 4);
        let mail = app.wait_for_email("scammer@example.dz", "review").await;
        assert!(!mail.text.contains("scam_phrase"), "the owner is not told which check fired");

        // The moderator finds it innocent: back in sight, flags closed, out of the queue.
        let res = app
            .call(
                Method::POST,
                &format!("/v1/mod/listings/{}/dismiss", id(&bait)),
                Some(&m),
                Some(json!({"reason": "vérifié avec le vendeur"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(app.get(&format!("/v1/listings/{}", id(&bait))).await.status(), 200);
        let q = queue(&app, &m).await;
        assert!(q.iter().all(|e| e["listing_id"] != id(&bait)), "{q:?}");
    })
    .await;
}

#[tokio::test]
async fn reposting_a_photo_of_ones_own_active_ad_is_refused() {
    each_backend(|app| async move {
        let seller = app.user("seller@example.dz").await;
        let first = app.create_listing(&seller, car_ad(json!({}))).await;
        let photo = scene(5);
        assert_eq!(upload(&app, &seller, id(&first), to_jpeg(&photo, 90)).await.status(), 201);
        // Several photos of one ad may look alike; that is not a repost.
        assert_eq!(upload(&app, &seller, id(&first), copied(&photo)).await.status(), 201);

        let second = app
            .create_listing(&seller, car_ad(json!({"title": "Peugeot 208 2019 à saisir", "description": "Autre annonce, même voiture, pour remonter en tête de liste"})))
            .await;
        let body = assert_problem(upload(&app, &seller, id(&second), copied(&photo)).await, 409, "duplicate_ad").await;
        assert!(body["detail"].as_str().unwrap().contains(&id(&first).to_string()));
        assert_eq!(upload(&app, &seller, id(&second), to_jpeg(&scene(6), 90)).await.status(), 201);

        // Once the first ad is sold, its photo may serve again.
        let res = app
            .call(Method::POST, &format!("/v1/listings/{}/sold", id(&first)), Some(&seller), None)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(upload(&app, &seller, id(&second), copied(&photo)).await.status(), 201);
    })
    .await;
}

const LONG: &str = "Toyota Hilux 2018 double cabine, moteur 2.4 diesel, 120000 km, première main, \
    carnet d'entretien complet, pneus neufs, jamais accidentée, visible à Oran centre";

#[tokio::test]
async fn copied_texts_and_scam_phrases_are_flagged_and_innocent_ones_are_not() {
    each_backend(|app| async move {
        let a = app.user("a@example.dz").await;
        let first = app
            .create_listing(&a, car_ad(json!({"title": "Toyota Hilux 2018", "description": LONG})))
            .await;
        let b = app.user("b@example.dz").await;
        let copy = app
            .create_listing(
                &b,
                car_ad(json!({"title": "TOYOTA HILUX 2018 !!", "description": LONG.replace("Oran centre", "Alger, prix sacrifié")})),
            )
            .await;
        let c = app.user("c@example.dz").await;
        let honest = app
            .create_listing(
                &c,
                car_ad(json!({"title": "Renault Symbol 2015", "description": "Pas de paiement avant livraison, essai possible à Blida, papiers en règle"})),
            )
            .await;
        let phrase = app
            .create_listing(
                &c,
                car_ad(json!({"title": "Kia Picanto 2020", "description": "Sifetli drahem w nab3atlek la voiture m3a transporteur"})),
            )
            .await;

        let m = moderator(&app).await;
        let entry = flagged(&app, &m, id(&copy), "duplicate_text").await;
        let flag = &entry["flags"][0];
        assert_eq!(flag["other_listing_id"], id(&first));
        assert!(flag["evidence"]["distance"].as_u64().unwrap() <= 6);
        let entry = flagged(&app, &m, id(&phrase), "scam_phrase").await;
        assert_eq!(entry["flags"][0]["evidence"]["phrases"], json!(["sifetli drahem"]));
        checks_done(&app).await;
        let q = queue(&app, &m).await;
        for innocent in [id(&first), id(&honest)] {
            assert!(q.iter().all(|e| e["listing_id"] != innocent), "{innocent} flagged: {q:?}");
        }
    })
    .await;
}

/// Adversarial review: whoever had a photo or a text first is not the copier. A rival who
/// copies an owner's photo, or edits an old ad to the owner's text, cannot get the owner's own
/// later re-post or edit flagged; the copier is.
#[tokio::test]
async fn the_first_to_have_a_photo_or_text_is_never_the_one_flagged() {
    each_backend(|app| async move {
        let owner = app.user("owner@example.dz").await;
        let photo = scene(11);
        let first = app.create_listing(&owner, car_ad(json!({"title": "Toyota Hilux 2018", "description": LONG}))).await;
        assert_eq!(upload(&app, &owner, id(&first), to_jpeg(&photo, 90)).await.status(), 201);

        // The rival: a photo copy on an ad of theirs, and an older ad edited to the owner's text.
        let rival = app.user("rival@example.dz").await;
        let old = app.create_listing(&rival, car_ad(json!({"title": "Renault Kangoo utilitaire", "description": "Kangoo en bon état général"}))).await;
        let res = app
            .call(Method::PATCH, &format!("/v1/listings/{}", id(&old)), Some(&rival), Some(json!({"title": "Toyota Hilux 2018 !", "description": LONG})))
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(upload(&app, &rival, id(&old), copied(&photo)).await.status(), 201);

        let m = moderator(&app).await;
        let entry = flagged(&app, &m, id(&old), "duplicate_photo").await;
        let entry = if entry["flags"].as_array().unwrap().len() < 2 { flagged(&app, &m, id(&old), "duplicate_text").await } else { entry };
        assert!(entry["flags"].as_array().unwrap().iter().all(|f| f["other_listing_id"] == id(&first)), "{entry}");

        // The owner sells the first ad and posts the same car again with the same photo, and
        // edits the price of nothing else: neither is a copy of the rival's.
        let res = app.call(Method::POST, &format!("/v1/listings/{}/sold", id(&first)), Some(&owner), None).await;
        assert_eq!(res.status(), 200);
        let again = app.create_listing(&owner, car_ad(json!({"title": "Toyota Hilux 2018 double cabine", "description": "Toujours disponible, mêmes photos que la première annonce"}))).await;
        assert_eq!(upload(&app, &owner, id(&again), to_jpeg(&photo, 80)).await.status(), 201);
        checks_done(&app).await;
        let q = queue(&app, &m).await;
        for own in [id(&first), id(&again)] {
            assert!(q.iter().all(|e| e["listing_id"] != own), "{own} flagged: {q:?}");
        }
    })
    .await;
}

/// Issue 23, item 11: once the original is gone (the owner deleted the ad, its photos went
/// at once; or it was purged), the rival's copy was the oldest fingerprint left, and the
/// owner's re-post of their own photo was flagged as a copy of the rival's. The fingerprints
/// of removed photos and purged ads are kept (`past_fingerprints`), so the owner stays first.
#[tokio::test]
async fn the_owner_stays_first_after_the_original_ad_is_gone() {
    each_backend(|app| async move {
        let owner = app.user("owner@example.dz").await;
        let photo = scene(12);
        let first = app
            .create_listing(&owner, car_ad(json!({"title": "Nissan Navara 2016"})))
            .await;
        assert_eq!(
            upload(&app, &owner, id(&first), to_jpeg(&photo, 90))
                .await
                .status(),
            201
        );
        let rival = app.user("rival@example.dz").await;
        let copy = app
            .create_listing(&rival, car_ad(json!({"title": "Navara à vendre"})))
            .await;
        assert_eq!(
            upload(&app, &rival, id(&copy), copied(&photo))
                .await
                .status(),
            201
        );
        checks_done(&app).await;

        // The owner deletes the first ad, then posts the car again with the same photo.
        let res = app
            .call(
                Method::DELETE,
                &format!("/v1/listings/{}", id(&first)),
                Some(&owner),
                None,
            )
            .await;
        assert!(res.status().is_success(), "delete: {}", res.status());
        let again = app
            .create_listing(
                &owner,
                car_ad(json!({"title": "Nissan Navara 2016 double cabine"})),
            )
            .await;
        assert_eq!(
            upload(&app, &owner, id(&again), to_jpeg(&photo, 80))
                .await
                .status(),
            201
        );
        checks_done(&app).await;

        let m = moderator(&app).await;
        let q = queue(&app, &m).await;
        assert!(
            q.iter().all(|e| e["listing_id"] != id(&again)),
            "the owner's re-post flagged: {q:?}"
        );
        // The positive control: the rival's copy is in the queue, as the copy of the original.
        assert!(q.iter().any(|e| e["listing_id"] == id(&copy)), "{q:?}");
    })
    .await;
}
