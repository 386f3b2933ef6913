//! Accounts: registration, login, refresh rotation with reuse detection, logout,
//! email verification and password reset through the emails the app really sends.

use reqwest::Method;
use serde_json::json;
use souk_tests::email::token_after;
use souk_tests::{assert_problem, each_backend, problem_fields, PASSWORD};

#[tokio::test]
async fn register_login_me_and_duplicate_email() {
    each_backend(|app| async move {
        let me = app.register("  Amine@Example.DZ ", Some("0551 23 45 67")).await;
        assert_eq!(me["email"], "amine@example.dz");
        assert_eq!(me["phone"], "+213551234567");
        assert_eq!(me["email_verified"], false);
        assert!(me.get("password_hash").is_none() && !me.to_string().contains("argon2"), "{me}");

        let dup = app
            .call(Method::POST, "/v1/auth/register", None, Some(json!({"email": "amine@example.dz", "password": PASSWORD, "display_name": "Other"})))
            .await;
        assert_problem(dup, 409, "email_taken").await;

        let bad = app
            .call(Method::POST, "/v1/auth/register", None, Some(json!({"email": "nope", "password": "short", "display_name": "x", "phone": "123"})))
            .await;
        let body = assert_problem(bad, 422, "validation").await;
        assert_eq!(problem_fields(&body), vec!["email", "password", "display_name", "phone"]);

        let wrong = app.call(Method::POST, "/v1/auth/login", None, Some(json!({"email": "amine@example.dz", "password": "wrong password!"}))).await;
        assert_problem(wrong, 401, "invalid_credentials").await;
        let unknown = app.call(Method::POST, "/v1/auth/login", None, Some(json!({"email": "ghost@example.dz", "password": PASSWORD}))).await;
        assert_problem(unknown, 401, "invalid_credentials").await;

        let pair = app.login("AMINE@example.dz").await;
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], 900);
        let token = pair["access_token"].as_str().unwrap();
        let me2: serde_json::Value = app.call(Method::GET, "/v1/me", Some(token), None).await.json().await.unwrap();
        assert_eq!(me2["id"], me["id"]);

        assert_problem(app.get("/v1/me").await, 401, "missing_token").await;
        assert_problem(app.call(Method::GET, "/v1/me", Some("not.a.jwt"), None).await, 401, "invalid_token").await;
    })
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    each_backend(|app| async move {
        app.register("rotate@example.dz", None).await;
        let first = app.login("rotate@example.dz").await;
        let r1 = first["refresh_token"].as_str().unwrap().to_string();

        let res = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": r1})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let second: serde_json::Value = res.json().await.unwrap();
        let r2 = second["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2);
        assert_eq!(
            app.call(Method::GET, "/v1/me", second["access_token"].as_str(), None)
                .await
                .status(),
            200
        );

        // A stolen copy of r1 is replayed: refused, and the whole login (r2 too) is revoked.
        let replay = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": r1})),
            )
            .await;
        assert_problem(replay, 401, "token_reused").await;
        let after = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": r2})),
            )
            .await;
        assert_problem(after, 401, "invalid_token").await;

        // Another login is its own family and is unaffected until it logs out.
        let other = app.login("rotate@example.dz").await;
        let r3 = other["refresh_token"].as_str().unwrap().to_string();
        let out = app
            .call(
                Method::POST,
                "/v1/auth/logout",
                None,
                Some(json!({"refresh_token": r3})),
            )
            .await;
        assert_eq!(out.status(), 204);
        let dead = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": r3})),
            )
            .await;
        assert_problem(dead, 401, "invalid_token").await;
        let junk = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": "made-up"})),
            )
            .await;
        assert_problem(junk, 401, "invalid_token").await;
    })
    .await;
}

#[tokio::test]
async fn email_verification_by_the_emailed_link() {
    each_backend(|app| async move {
        app.register("verify@example.dz", None).await;
        let mail = app
            .wait_for_email("verify@example.dz", "verify-email?token=")
            .await;
        assert!(!mail.message_id.is_empty(), "Message-ID set");
        let token = token_after(&mail.text, "verify-email?token=").unwrap();
        assert!(token.len() >= 40);

        // Opening the link (as a mail scanner does) confirms nothing: it shows a button.
        let res = app
            .get(&format!("/v1/auth/verify-email?token={token}"))
            .await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(
            page.contains(&format!("action=\"/v1/verifications/{token}\"")),
            "{page}"
        );
        let unconfirmed = app.login("verify@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let me: serde_json::Value = app
            .call(Method::GET, "/v1/me", Some(&unconfirmed), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["email_verified"], false, "a GET must not confirm");
        // The button does.
        let res = app
            .call(
                Method::POST,
                &format!("/v1/verifications/{token}"),
                None,
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        let access = app.login("verify@example.dz").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let me: serde_json::Value = app
            .call(Method::GET, "/v1/me", Some(&access), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["email_verified"], true);

        // One time only.
        let again = app
            .call(
                Method::POST,
                "/v1/auth/verify-email",
                None,
                Some(json!({"token": token})),
            )
            .await;
        assert_problem(again, 400, "invalid_token").await;
        let resend = app
            .call(
                Method::POST,
                "/v1/auth/verify-email/resend",
                Some(&access),
                None,
            )
            .await;
        assert_problem(resend, 409, "already_verified").await;
    })
    .await;
}

#[tokio::test]
async fn password_reset_signs_out_everywhere() {
    each_backend(|app| async move {
        app.register("reset@example.dz", None).await;
        let old = app.login("reset@example.dz").await;

        // Unknown addresses get the same answer and no email.
        let ghost = app
            .call(
                Method::POST,
                "/v1/auth/password-reset",
                None,
                Some(json!({"email": "ghost@example.dz"})),
            )
            .await;
        assert_eq!(ghost.status(), 202);
        let res = app
            .call(
                Method::POST,
                "/v1/auth/password-reset",
                None,
                Some(json!({"email": "Reset@Example.dz"})),
            )
            .await;
        assert_eq!(res.status(), 202);
        let mail = app
            .wait_for_email("reset@example.dz", "valable 1 heure")
            .await;
        let code = mail
            .text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 43)
            .expect("token line")
            .to_string();
        assert!(app.outbox().iter().all(|m| !m.to.contains("ghost")));

        let weak = app
            .call(
                Method::POST,
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": code, "new_password": "short"})),
            )
            .await;
        assert_eq!(
            problem_fields(&assert_problem(weak, 422, "validation").await),
            vec!["new_password"]
        );
        let ok = app
            .call(
                Method::POST,
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": code, "new_password": "a brand new passphrase"})),
            )
            .await;
        assert_eq!(ok.status(), 200);
        let reset: serde_json::Value = ok.json().await.unwrap();
        assert!(reset["device_token"].is_string(), "{reset}");
        let reused = app
            .call(
                Method::POST,
                "/v1/auth/password-reset/confirm",
                None,
                Some(json!({"token": code, "new_password": "yet another passphrase"})),
            )
            .await;
        assert_problem(reused, 400, "invalid_token").await;

        let stale = app
            .call(
                Method::POST,
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": old["refresh_token"]})),
            )
            .await;
        assert_problem(stale, 401, "invalid_token").await;
        let old_pw = app
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": "reset@example.dz", "password": PASSWORD})),
            )
            .await;
        assert_problem(old_pw, 401, "invalid_credentials").await;
        let new_pw = app
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": "reset@example.dz", "password": "a brand new passphrase"})),
            )
            .await;
        assert_eq!(new_pw.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn login_is_rate_limited_with_retry_after() {
    each_backend(|app| async move {
        app.register("brute@example.dz", None).await;
        // Five failures cost nothing; then the address waits (accounts_abuse.rs has the rest).
        for i in 0..5 {
            let res = app.call(Method::POST, "/v1/auth/login", None, Some(json!({"email": "brute@example.dz", "password": format!("guess number {i}")}))).await;
            assert_eq!(res.status(), 401, "attempt {i}");
        }
        let res = app.call(Method::POST, "/v1/auth/login", None, Some(json!({"email": "brute@example.dz", "password": PASSWORD}))).await;
        let retry: u64 = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
        assert!((1..=60).contains(&retry));
        assert_problem(res, 429, "rate_limited").await;
    })
    .await;
}
