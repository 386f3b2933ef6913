//! The moderation console over plain HTTP, as a second moderator uses it in the browser
//! tests: signed in through the same form, with the session's cookie.

use reqwest::header::{COOKIE, SET_COOKIE};

use crate::{TestApp, PASSWORD};

/// A second moderator, signed in through the same form with plain HTTP: the cookie of the
/// session, and the page a URL shows them.
pub struct Console<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub cookie: String,
}

pub fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|v| {
        let v = v.to_str().ok()?;
        let pair = v.split(';').next()?;
        pair.starts_with(&format!("{name}="))
            .then(|| pair.to_string())
    })
}

pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

impl<'a> Console<'a> {
    pub async fn sign_in(app: &'a TestApp, email: &str) -> Console<'a> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = client.get(app.url("/mod/login")).send().await.unwrap();
        let login_cookie = cookie_of(&page, "souk_console_login").expect("login cookie");
        let csrf = hidden_field(&page.text().await.unwrap(), "csrf");
        let res = client
            .post(app.url("/mod/login"))
            .header(COOKIE, login_cookie)
            .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "signed in");
        let cookie = cookie_of(&res, "souk_console").expect("session cookie");
        Console {
            app,
            client,
            cookie,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.app.url(path))
            .header(COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// Makes `email` a moderator (not an admin).
pub fn make_moderator(app: &TestApp, email: &str) {
    let mut conn = app.store();
    souk_api::usecases::roles::set_role_by_email(
        &mut conn,
        email,
        souk_domain::trust::Role::Moderator,
    )
    .expect("set role");
}
