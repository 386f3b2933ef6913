//! The mix: closed-loop clients, each sending its next request as soon as the last answered,
//! and a watcher that times how long each posted ad takes to show in browse.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::setup::World;

/// Endpoint groups and their share of requests (per mille). Writes (post, edit, message,
/// photo upload, report, bump) are 6 %; logins and registrations (argon2id) 1.5 %.
pub const GROUPS: [(&str, u32); 14] = [
    ("search", 320),
    ("browse", 195),
    ("listing", 250),
    ("photo", 80),
    ("reference", 40),
    ("profile", 40),
    ("login", 10),
    ("register", 5),
    ("post", 20),
    ("edit", 20),
    ("message", 10),
    ("upload", 4),
    ("report", 3),
    ("bump", 3),
];

/// Writes a seller or a buyer makes, not counting the password hashes of logins and
/// registrations (argon2id costs tens of milliseconds of a core by design).
pub fn is_write(group: &str) -> bool {
    matches!(
        group,
        "post" | "edit" | "message" | "upload" | "report" | "bump"
    )
}

/// Whether a group hashes a password (argon2id).
pub fn is_password(group: &str) -> bool {
    matches!(group, "login" | "register")
}

/// What one client remembers between its requests.
#[derive(Default)]
pub struct ClientState {
    /// Ads this client posted in this run, newest last; a bump or an upload takes one.
    posted: Vec<i64>,
}

/// Requests sent in this process, to make each post, registration and bump key its own across
/// the points of a run (a client's own count starts again at each point).
static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const BROWSE_CATEGORIES: [&str; 8] = [
    "vehicles",
    "cars",
    "real-estate",
    "phones",
    "smartphones",
    "computers",
    "home-furniture",
    "fashion",
];

#[derive(Default)]
pub struct GroupStats {
    pub latencies: Vec<Duration>,
    pub client_errors: u64,
    /// The 4xx answers by status, to tell a refusal the mix causes (a repeat report, an ad
    /// bumped today) from one it should not.
    pub client_statuses: BTreeMap<u16, u64>,
    pub server_errors: u64,
    pub failed: u64,
}

#[derive(Default)]
pub struct RunResult {
    pub groups: BTreeMap<&'static str, GroupStats>,
    /// Post answered → ad seen in browse.
    pub visible_after: Vec<Duration>,
    /// Posted ads never seen in browse before the end of the point.
    pub never_seen: usize,
}

fn pick(rng: &mut StdRng, only: Option<&str>) -> &'static str {
    if let Some(o) = only {
        if let Some((g, _)) = GROUPS.iter().find(|(g, _)| *g == o) {
            return g;
        }
    }
    let mut roll = rng.gen_range(0..GROUPS.iter().map(|(_, w)| w).sum::<u32>());
    for (g, w) in GROUPS {
        if roll < w {
            return g;
        }
        roll -= w;
    }
    "search"
}

type Pending = Arc<Mutex<HashMap<i64, Instant>>>;

#[allow(clippy::too_many_arguments)]
async fn one(
    world: &World,
    client: &Client,
    seat: usize,
    group: &str,
    rng: &mut StdRng,
    pending: &Pending,
    state: &mut ClientState,
) -> Result<StatusCode, reqwest::Error> {
    let base = &world.bases[seat % world.bases.len()];
    let s = &world.seats[seat % world.seats.len()];
    let (id, seller) = world.sample[rng.gen_range(0..world.sample.len())];
    let sent = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let unique = format!("{}-{seat}-{sent}", world.run);
    let req = match group {
        "search" => client
            .get(format!("{base}/v1/search"))
            .query(&world.searches[rng.gen_range(0..world.searches.len())]),
        "browse" => {
            let mut q: Vec<(&str, String)> = vec![("category", BROWSE_CATEGORIES[rng.gen_range(0..BROWSE_CATEGORIES.len())].into())];
            if rng.gen_bool(0.6) {
                q.push(("wilaya", [16, 31, 25, 9, 6, 19][rng.gen_range(0..6)].to_string()));
            }
            if rng.gen_bool(0.2) {
                q.push(("page", rng.gen_range(2..6).to_string()));
            }
            client.get(format!("{base}/v1/listings")).query(&q)
        }
        "listing" => client.get(format!("{base}/v1/listings/{id}")),
        "photo" => client.get(format!("{base}{}", world.photos[rng.gen_range(0..world.photos.len())])),
        "reference" => client
            .get(format!("{base}{}", ["/v1/categories", "/v1/wilayas", "/v1/wilayas/16/communes"][rng.gen_range(0..3)]))
            .header("accept-encoding", "gzip"),
        "profile" => client.get(format!("{base}/v1/users/{seller}")),
        "login" => client.post(format!("{base}/v1/auth/login")).json(&json!({
            "email": format!("demo{}@souk.local", seat % crate::setup::SELLERS + 1), "password": "demo-password"})),
        "register" => client.post(format!("{base}/v1/auth/register")).json(&json!({
            "email": format!("load-{unique}@souk.local"), "password": "demo-password", "display_name": "Client"})),
        // Each post its own text: a seller's repeated text is refused as a duplicate (409).
        "post" => client.post(format!("{base}/v1/listings")).bearer_auth(&s.token).json(&json!({
            "title": format!("Samsung Galaxy A{} comme neuf, lot {unique}", rng.gen_range(10..60)),
            "description": format!("Téléphone en très bon état, avec boîte et chargeur, réf. {unique}. هاتف نظيف"),
            "category": "smartphones", "attributes": {"brand": "samsung", "storage_gb": 128, "condition": "like_new"},
            "price": rng.gen_range(20_000..90_000), "wilaya": 16, "commune": 1601})),
        "edit" => client
            .patch(format!("{base}/v1/listings/{}", s.own_ad))
            .bearer_auth(&s.token)
            .json(&json!({"price": rng.gen_range(1_500_000..1_800_000)})),
        "upload" => {
            let ad = state.posted.last().copied().unwrap_or(s.own_ad);
            // Seeded by the run and the request, not the client's generator: that one replays the same
            // sequence at every point, and a seller's repeated photo is refused as a repost.
            let photo = crate::setup::demo_photo(world.run as u64 * 1_000_003 + sent, 400, 300);
            let form = reqwest::multipart::Form::new().part(
                "photo",
                reqwest::multipart::Part::bytes(photo).file_name("p.jpg"),
            );
            client
                .post(format!("{base}/v1/listings/{ad}/photos"))
                .bearer_auth(&s.token)
                .multipart(form)
        }
        "report" => client
            .post(format!("{base}/v1/listings/{id}/report"))
            .bearer_auth(&s.token)
            .json(&json!({"reason": "scam"})),
        "bump" => {
            // An ad bumps once a day: the newest ad of this client not bumped yet.
            let ad = state.posted.pop().unwrap_or(s.own_ad);
            client
                .post(format!("{base}/v1/listings/{ad}/bump"))
                .bearer_auth(&s.token)
                .json(&json!({"idempotency_key": format!("load-bump-{unique}")}))
        }
        _ => client
            .post(format!("{base}/v1/conversations/{}/messages", s.conversation))
            .bearer_auth(&s.token)
            .json(&json!({"message": "Toujours intéressé, on peut se voir demain ?"})),
    };
    let res = req.send().await?;
    let status = res.status();
    if group == "post" && status == StatusCode::CREATED {
        let posted_at = Instant::now();
        let body: Value = res.json().await?;
        if let Some(id) = body["id"].as_i64() {
            pending.lock().unwrap().insert(id, posted_at);
            state.posted.push(id);
        }
    } else {
        // Read the body through, as a client would.
        let _ = res.bytes().await?;
    }
    Ok(status)
}

/// Polls the newest ads every 50 ms and records when each pending post shows up; runs until
/// the clients are done (`done` set) and every pending post was seen, or 3 s after that.
async fn watch(
    world: Arc<World>,
    pending: Pending,
    seen: Arc<Mutex<Vec<Duration>>>,
    done: Arc<Mutex<Option<Instant>>>,
) {
    let client = Client::new();
    loop {
        let finished = *done.lock().unwrap();
        if finished.is_some_and(|t| t.elapsed() > Duration::from_secs(3)) {
            return;
        }
        if let Ok(res) = client
            .get(format!("{}/v1/listings?per_page=100", world.bases[0]))
            .send()
            .await
        {
            if let Ok(page) = res.json::<Value>().await {
                let ids: Vec<i64> = page["items"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
                    .unwrap_or_default();
                let mut p = pending.lock().unwrap();
                for id in ids {
                    if let Some(t) = p.remove(&id) {
                        seen.lock().unwrap().push(t.elapsed());
                    }
                }
                if finished.is_some() && p.is_empty() {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// One client: requests back to back until `until`.
async fn client_loop(
    world: Arc<World>,
    c: usize,
    until: Instant,
    only: Option<String>,
    pending: Pending,
) -> BTreeMap<&'static str, GroupStats> {
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut rng = StdRng::seed_from_u64(1000 + c as u64);
    let mut out: BTreeMap<&'static str, GroupStats> = BTreeMap::new();
    let mut state = ClientState::default();
    while Instant::now() < until {
        let group = pick(&mut rng, only.as_deref());
        let t = Instant::now();
        let r = one(&world, &client, c, group, &mut rng, &pending, &mut state).await;
        let s = out.entry(group).or_default();
        match r {
            Ok(st) if st.is_server_error() => s.server_errors += 1,
            Ok(st) if st.is_client_error() => {
                s.client_errors += 1;
                *s.client_statuses.entry(st.as_u16()).or_default() += 1;
            }
            Ok(_) => s.latencies.push(t.elapsed()),
            Err(_) => s.failed += 1,
        }
    }
    out
}

/// Runs `clients` closed-loop clients for `length`, spread over one single-threaded runtime
/// per core (as many as the machine has): a response is handled on the thread that sent the
/// request, with no hand-over between threads, so the generator takes less of the CPU it
/// shares with the API.
pub fn run(world: Arc<World>, clients: usize, length: Duration, only: Option<&str>) -> RunResult {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = clients.clamp(1, cores);
    let until = Instant::now() + length;
    let pending: Pending = Arc::default();
    let seen: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let done: Arc<Mutex<Option<Instant>>> = Arc::default();
    // The watcher reads browse pages: only when the mix posts, so that a one-group run
    // measures that group alone.
    let posts = only.is_none_or(|o| o == "post");
    let watcher = posts.then(|| {
        let (world, pending, seen, done) =
            (world.clone(), pending.clone(), seen.clone(), done.clone());
        std::thread::spawn(move || current_thread().block_on(watch(world, pending, seen, done)))
    });
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (world, pending, only) = (world.clone(), pending.clone(), only.map(str::to_string));
            std::thread::spawn(move || {
                current_thread().block_on(async move {
                    let tasks: Vec<_> = (t..clients)
                        .step_by(threads)
                        .map(|c| {
                            tokio::spawn(client_loop(
                                world.clone(),
                                c,
                                until,
                                only.clone(),
                                pending.clone(),
                            ))
                        })
                        .collect();
                    let mut all = Vec::new();
                    for task in tasks {
                        if let Ok(groups) = task.await {
                            all.push(groups);
                        }
                    }
                    all
                })
            })
        })
        .collect();
    let mut result = RunResult::default();
    for w in workers {
        for groups in w.join().unwrap_or_default() {
            for (g, s) in groups {
                let e = result.groups.entry(g).or_default();
                e.latencies.extend(s.latencies);
                e.client_errors += s.client_errors;
                for (status, n) in s.client_statuses {
                    *e.client_statuses.entry(status).or_default() += n;
                }
                e.server_errors += s.server_errors;
                e.failed += s.failed;
            }
        }
    }
    *done.lock().unwrap() = Some(Instant::now());
    if let Some(w) = watcher {
        let _ = w.join();
    }
    result.visible_after = std::mem::take(&mut *seen.lock().unwrap());
    result.never_seen = pending.lock().unwrap().len();
    result
}
