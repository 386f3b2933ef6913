//! Index snapshots: a new API process on the same database opens the newest published snapshot
//! instead of rebuilding, then follows the change feed from the checkpoint it holds, so changes
//! made after the snapshot (new ads, an edit, a deletion) show exactly as on the process that
//! never restarted. A damaged snapshot falls back to a rebuild with the same answers; old
//! snapshots are pruned.

use reqwest::Method;
use serde_json::json;
use souk_api::indexing::snapshot::{latest, publish, KEEP};
use souk_tests::{car_ad, each_backend, TestApp};

async fn publish_now(app: &TestApp, dir: &std::path::Path) -> String {
    let (search, dir) = (app.running.state.search.clone(), dir.to_path_buf());
    tokio::task::spawn_blocking(move || publish(&search.index(), &dir))
        .await
        .unwrap()
        .expect("publish")
        .name
}

#[tokio::test]
async fn a_new_process_starts_from_the_snapshot_and_follows_what_came_after() {
    each_backend(|app| async move {
        let shared = tempfile::tempdir().unwrap();
        let seller = app.user("seller@example.dz").await;
        let mut ads = Vec::new();
        for i in 0..3 {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Renault Clio {i} essence")})),
                )
                .await;
            ads.push(ad["id"].as_i64().unwrap());
        }
        app.settle().await;
        let first = publish_now(&app, shared.path()).await;

        // After the snapshot: two new ads, an edit that drops a word, a deletion.
        for i in 3..5 {
            let ad = app
                .create_listing(
                    &seller,
                    car_ad(json!({"title": format!("Renault Clio {i} diesel")})),
                )
                .await;
            ads.push(ad["id"].as_i64().unwrap());
        }
        let res = app
            .call(
                Method::PATCH,
                &format!("/v1/listings/{}", ads[0]),
                Some(&seller),
                Some(json!({"title": "Renault Megane essence"})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(
                Method::DELETE,
                &format!("/v1/listings/{}", ads[1]),
                Some(&seller),
                None,
            )
            .await;
        assert_eq!(res.status(), 204);
        app.settle().await;
        let expected = app.search_ids("q=clio").await;
        assert_eq!(expected, vec![ads[2], ads[3], ads[4]]);

        let dir = shared.path().to_path_buf();
        let replica = app.beside(|c| c.index_snapshots = Some(dir)).await;
        replica.settle().await;
        assert_eq!(
            replica
                .running
                .state
                .search
                .opened_from_snapshot()
                .as_deref(),
            Some(first.as_str()),
            "opened from the snapshot, not rebuilt"
        );
        assert_eq!(replica.search_ids("q=clio").await, expected);
        assert_eq!(replica.search_ids("q=megane").await, vec![ads[0]]);
        drop(replica);

        // A damaged snapshot: the process rebuilds and answers the same.
        let snapshot = latest(shared.path()).expect("published");
        for entry in std::fs::read_dir(&snapshot).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "idx") {
                let mut bytes = std::fs::read(&path).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0xff;
                std::fs::write(&path, bytes).unwrap();
            }
        }
        let dir = shared.path().to_path_buf();
        let rebuilt = app.beside(|c| c.index_snapshots = Some(dir)).await;
        rebuilt.settle().await;
        assert_eq!(rebuilt.running.state.search.opened_from_snapshot(), None);
        assert_eq!(rebuilt.search_ids("q=clio").await, expected);
        drop(rebuilt);

        // Publishing again and again keeps the newest few.
        let mut newest = String::new();
        for _ in 0..KEEP + 1 {
            newest = publish_now(&app, shared.path()).await;
        }
        let kept: Vec<_> = std::fs::read_dir(shared.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().unwrap().is_dir())
            .collect();
        assert_eq!(kept.len(), KEEP);
        assert_eq!(
            latest(shared.path())
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy(),
            newest
        );
    })
    .await;
}
