//! The store on both backends: the durable job queue and bulk demo data.

use souk_store::jobs::{self, STATUS_DEAD, STATUS_DONE, STATUS_QUEUED};
use souk_store::{open_pool, DbConn};
use souk_tests::{backends, TestDb};

/// Runs `f` on each backend with a fresh database, a pool, and a connection outside the pool
/// (the SQLite pool has a single connection, which the code under test needs).
fn with_store(f: impl Fn(&mut DbConn, &souk_store::Pool)) {
    for backend in backends() {
        eprintln!("--- backend {backend:?}");
        let db = TestDb::create(backend);
        let pool = open_pool(&db.url, 4).expect("pool");
        let mut conn = souk_store::db::establish(&souk_store::DbUrl::parse(&db.url)).expect("conn");
        f(&mut conn, &pool);
    }
}

#[test]
fn jobs_are_claimed_once_retried_and_end_dead() {
    with_store(|conn, _| {
        let a = jobs::enqueue(conn, "send_email", &serde_json::json!({"n": 1})).unwrap();
        let b = jobs::enqueue(conn, "send_email", &serde_json::json!({"n": 2})).unwrap();
        let lease = chrono::Duration::minutes(5);

        let first = jobs::claim_next(conn, lease).unwrap().expect("a due job");
        let second = jobs::claim_next(conn, lease)
            .unwrap()
            .expect("another due job");
        assert_eq!(
            (first.id, second.id),
            (a, b),
            "oldest first, never the same job twice"
        );
        assert_eq!(first.attempts, 1);
        assert!(
            jobs::claim_next(conn, lease).unwrap().is_none(),
            "both are leased"
        );

        jobs::mark_done(conn, &first).unwrap();
        // A failure goes back to the queue, due only after its backoff.
        jobs::mark_failed(conn, &second, "smtp down", chrono::Duration::hours(1)).unwrap();
        assert!(
            jobs::claim_next(conn, lease).unwrap().is_none(),
            "not due yet"
        );
        assert_eq!(jobs::count_by_status(conn, STATUS_QUEUED).unwrap(), 1);

        // A job whose worker died (lease expired) is claimed again.
        let c = jobs::enqueue(conn, "send_email", &serde_json::json!({})).unwrap();
        let claimed = jobs::claim_next(conn, chrono::Duration::milliseconds(-1))
            .unwrap()
            .unwrap();
        assert_eq!(claimed.id, c);
        let again = jobs::claim_next(conn, lease)
            .unwrap()
            .expect("expired lease is reclaimed");
        assert_eq!((again.id, again.attempts), (c, 2));

        // Out of attempts: dead, visible with its error, and retryable by an admin.
        let mut last = again;
        last.attempts = last.max_attempts;
        {
            use diesel::prelude::*;
            diesel::update(souk_store::schema::jobs::table.find(c))
                .set(souk_store::schema::jobs::attempts.eq(last.attempts))
                .execute(conn)
                .unwrap();
        }
        jobs::mark_failed(
            conn,
            &last,
            "permanent: mailbox unavailable",
            chrono::Duration::zero(),
        )
        .unwrap();
        let dead = jobs::list_by_status(conn, STATUS_DEAD, 10).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(
            dead[0].last_error.as_deref(),
            Some("permanent: mailbox unavailable")
        );
        assert_eq!(jobs::retry_dead(conn, Some(c)).unwrap(), 1);
        assert_eq!(
            jobs::claim_next(conn, lease)
                .unwrap()
                .map(|j| (j.id, j.attempts)),
            Some((c, 1))
        );
        assert_eq!(jobs::count_by_status(conn, STATUS_DONE).unwrap(), 1);
    });
}

#[test]
fn a_job_whose_workers_keep_dying_is_buried_not_run_again() {
    with_store(|conn, _| {
        use diesel::prelude::*;
        use souk_store::schema::jobs::dsl as j;
        let id = jobs::enqueue(conn, "send_email", &serde_json::json!({})).unwrap();
        let other = jobs::enqueue(conn, "send_email", &serde_json::json!({})).unwrap();
        diesel::update(j::jobs.find(id))
            .set(j::max_attempts.eq(2))
            .execute(conn)
            .unwrap();
        // Two runs whose worker died (their lease ran out at once): the second spends it.
        let gone = chrono::Duration::milliseconds(-1);
        let first = jobs::claim_next(conn, gone).unwrap().unwrap();
        let second = jobs::claim_next(conn, gone).unwrap().unwrap();
        assert_eq!((first.id, second.id, second.attempts), (id, id, 2));
        // Spent: the next claim takes the other job, not a third run of this one.
        let next = jobs::claim_next(conn, chrono::Duration::minutes(5))
            .unwrap()
            .unwrap();
        assert_eq!(next.id, other);
        assert!(jobs::claim_next(conn, chrono::Duration::minutes(5))
            .unwrap()
            .is_none());
        // The worker's periodic pass buries it, with the reason, for an admin to see.
        assert_eq!(jobs::bury_abandoned(conn).unwrap(), 1);
        let dead = jobs::list_by_status(conn, STATUS_DEAD, 10).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].id, id);
        assert!(dead[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("stopped before finishing")));
        // The other job, running under a live lease, is untouched.
        assert_eq!(jobs::bury_abandoned(conn).unwrap(), 0);
    });
}

#[test]
fn parallel_claims_never_share_a_job() {
    with_store(|conn, pool| {
        for i in 0..40 {
            jobs::enqueue(conn, "send_email", &serde_json::json!({"i": i})).unwrap();
        }
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    let mut conn = pool.get().unwrap();
                    let mut got = Vec::new();
                    while let Some(j) =
                        jobs::claim_next(&mut conn, chrono::Duration::minutes(5)).unwrap()
                    {
                        got.push(j.id);
                    }
                    got
                })
            })
            .collect();
        let mut all: Vec<i64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort();
        let n = all.len();
        all.dedup();
        assert_eq!((n, all.len()), (40, 40), "every job claimed exactly once");
    });
}

#[test]
fn demo_seed_inserts_valid_listings_across_categories_and_wilayas() {
    with_store(|conn, pool| {
        let report = souk_api::seed::seed(pool, 2500, 10, 7, false).unwrap();
        assert_eq!(report.inserted, 2500);
        assert_eq!(souk_store::listings::count_all(conn).unwrap(), 2500);
        use diesel::prelude::*;
        use souk_store::schema::listings;
        let categories = listings::table
            .select(listings::category)
            .distinct()
            .load::<String>(conn)
            .unwrap()
            .len();
        let wilayas = listings::table
            .select(listings::wilaya)
            .distinct()
            .load::<i32>(conn)
            .unwrap()
            .len();
        assert_eq!(categories, souk_domain::catalog().leaves().count());
        assert!(wilayas >= 60, "{wilayas} wilayas");
        let arabic: i64 = listings::table
            .filter(listings::title.like("%ا%"))
            .count()
            .get_result(conn)
            .unwrap();
        assert!(arabic > 500 && arabic < 2000, "{arabic} Arabic titles");
        // Seeding again adds to the same demo sellers.
        souk_api::seed::seed(pool, 10, 10, 8, false).unwrap();
        let sellers = listings::table
            .select(listings::user_id)
            .distinct()
            .load::<i64>(conn)
            .unwrap()
            .len();
        assert_eq!(sellers, 10);
    });
}
