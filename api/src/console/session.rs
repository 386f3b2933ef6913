//! Signing in to the console: the same accounts, password rules and limits as the API
//! (`usecases::sign_in`), moderators and admins only. The session is a random token in an
//! HttpOnly, SameSite=Strict cookie (Secure when the site is served over HTTPS), its hash in
//! the database; every form carries the session's CSRF token, and the sign-in form a token
//! of its own cookie.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use souk_domain::trust::Role;
use souk_store::console;

use super::error::ConsoleError;
use super::i18n::Lang;
use super::pages::see_other;
use crate::auth::secret::{constant_time_eq, random_token, token_hash};
use crate::auth::AuthUser;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "souk_console";
pub const LOGIN_COOKIE: &str = "souk_console_login";
pub const LANG_COOKIE: &str = "souk_console_lang";
/// A working day; signing in again after it is cheap.
const SESSION_HOURS: i64 = 12;

/// A signed-in moderator (or admin), checked on every request: the session lives, the
/// account is not banned and still may moderate.
#[derive(Debug, Clone)]
pub struct Moderator {
    pub user: AuthUser,
    pub role: Role,
    pub csrf: String,
    pub lang: Lang,
    token_hash: String,
}

/// The moderator's chosen language (the cookie), Arabic by default.
pub fn lang_of(req: &HttpRequest) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or(Lang::Ar)
}

fn secure(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// A cookie of the console: HttpOnly, SameSite=Strict, for `/mod` alone.
pub fn cookie<'a>(state: &AppState, name: &'a str, value: String, max_age_secs: i64) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/mod")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure(state))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

impl FromRequest for Moderator {
    type Error = ConsoleError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        let lang = lang_of(req);
        Box::pin(async move {
            let state = state.ok_or(ConsoleError::SignIn)?;
            let token = token
                .filter(|t| t.len() <= 128)
                .ok_or(ConsoleError::SignIn)?;
            let hash = token_hash(&token);
            let lookup = hash.clone();
            let found = state
                .db(move |conn| {
                    let Some(s) = console::find_session(conn, &lookup)? else {
                        return Ok(None);
                    };
                    let user = AuthUser {
                        id: s.user_id,
                        generation: 0,
                        expires_at: 0,
                    };
                    // Banned or no longer a moderator since signing in: refused now.
                    let role = crate::usecases::roles::moderator(conn, user)?;
                    Ok(Some((user, role, s.csrf_token)))
                })
                .await
                .map_err(|e| match e {
                    crate::error::ApiError::Forbidden(_) | crate::error::ApiError::Banned(_) => {
                        ConsoleError::SignIn
                    }
                    other => ConsoleError::Api(other, lang),
                })?;
            let (user, role, csrf) = found.ok_or(ConsoleError::SignIn)?;
            Ok(Moderator {
                user,
                role,
                csrf,
                lang,
                token_hash: hash,
            })
        })
    }
}

impl Moderator {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), ConsoleError> {
        if constant_time_eq(sent.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(ConsoleError::Csrf(self.lang))
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub csrf: String,
}

/// The sign-in page; it sets the cookie its form's token must match.
pub async fn sign_in_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let lang = lang_of(&req);
    let token = random_token();
    let mut res = super::pages::sign_in(lang, &token, None);
    let _ = res.add_cookie(&cookie(&state, LOGIN_COOKIE, token, 3600));
    res
}

/// Checks the password as the API's login does; a moderator or admin gets a session.
pub async fn sign_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, ConsoleError> {
    let lang = lang_of(&req);
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_string());
    if !expected.is_some_and(|e| constant_time_eq(e.as_bytes(), form.csrf.as_bytes())) {
        return Err(ConsoleError::Csrf(lang));
    }
    if form.email.len() > 320 || form.password.len() > 1024 {
        return Err(ConsoleError::Refused(lang, "wrong email or password"));
    }
    let client = crate::extract::ClientIp::of(&req).key();
    let user =
        crate::usecases::sign_in::check_password(&state, &client, &form.email, form.password, None)
            .await
            .map_err(|e| match e {
                crate::error::ApiError::Unauthorized { detail, .. } => {
                    ConsoleError::Refused(lang, detail)
                }
                other => ConsoleError::Api(other, lang),
            })?;
    let token = random_token();
    let (hash, csrf) = (token_hash(&token), random_token());
    let id = user.id;
    state
        .tx(move |conn| {
            let me = AuthUser {
                id,
                generation: 0,
                expires_at: 0,
            };
            crate::usecases::roles::moderator(conn, me)?;
            let until = souk_store::now() + chrono::Duration::hours(SESSION_HOURS);
            Ok(console::open_session(conn, &hash, id, &csrf, until)?)
        })
        .await
        .map_err(|e| match e {
            crate::error::ApiError::Forbidden(_) => {
                ConsoleError::Refused(lang, "moderators and admins only")
            }
            other => ConsoleError::Api(other, lang),
        })?;
    tracing::info!(user = id, "console session opened");
    let mut res = see_other("/mod/");
    let _ = res.add_cookie(&cookie(&state, SESSION_COOKIE, token, SESSION_HOURS * 3600));
    let _ = res.add_removal_cookie(&cookie(&state, LOGIN_COOKIE, String::new(), 0));
    Ok(res)
}

#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

pub async fn sign_out(
    state: web::Data<AppState>,
    me: Moderator,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ConsoleError> {
    me.check_csrf(&form.csrf)?;
    let hash = me.token_hash.clone();
    state
        .tx(move |conn| Ok(console::close_session(conn, &hash)?))
        .await
        .map_err(|e| ConsoleError::Api(e, me.lang))?;
    let mut res = see_other("/mod/login");
    let _ = res.add_removal_cookie(&cookie(&state, SESSION_COOKIE, String::new(), 0));
    Ok(res)
}

/// Switches the console's language (a cookie), back to the queue.
pub async fn switch_language(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let lang = Lang::parse(&path).unwrap_or(Lang::Ar);
    let mut res = see_other("/mod/");
    let _ = res.add_cookie(&cookie(
        &state,
        LANG_COOKIE,
        lang.code().to_string(),
        365 * 86_400,
    ));
    res
}
