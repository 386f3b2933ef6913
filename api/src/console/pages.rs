//! The console's HTML (maud: escaped by default, checked at compile time). No inline script
//! or style: the one script and stylesheet are files of ours (`assets`), which the
//! Content-Security-Policy of `/mod` allows and nothing else.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::i18n::Lang;

/// Every page: the language and direction, the stylesheet and script, the top bar.
pub fn layout(lang: Lang, title: &str, signed_in: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("title")) }
                link rel="stylesheet" href="/mod/assets/console.css";
                script src="/mod/assets/console.js" defer {}
            }
            body {
                header.bar {
                    a href="/mod/" { strong { (lang.t("title")) } }
                    @if signed_in.is_some() {
                        a href="/mod/" { (lang.t("queue")) }
                        a href="/mod/log" { (lang.t("log")) }
                    }
                    a.lang href={ "/mod/language/" (lang.other().code()) } { (lang.t("language")) }
                    @if let Some(csrf) = signed_in {
                        form.inline method="post" action="/mod/logout" {
                            input type="hidden" name="csrf" value=(csrf);
                            button type="submit" { (lang.t("sign_out")) }
                        }
                    }
                }
                main { (body) }
                p.help id="help" hidden { (lang.t("keys")) }
            }
        }
    }
}

/// A redirect after a form (or to the sign-in page).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, to))
        .finish()
}

/// An HTML response that no cache keeps.
pub fn html_response(status: StatusCode, page: Markup) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(page.into_string())
}

pub fn sign_in(lang: Lang, csrf: &str, refusal: Option<&str>) -> HttpResponse {
    let body = html! {
        h1 { (lang.t("sign_in")) }
        @if let Some(r) = refusal { p.refusal { (r) } }
        form.signin method="post" action="/mod/login" {
            input type="hidden" name="csrf" value=(csrf);
            label { (lang.t("email")) input type="email" name="email" required autocomplete="username" autofocus; }
            label { (lang.t("password")) input type="password" name="password" required autocomplete="current-password"; }
            button type="submit" { (lang.t("sign_in")) }
        }
    };
    html_response(StatusCode::OK, layout(lang, lang.t("sign_in"), None, body))
}

pub fn refusal(lang: Lang, status: StatusCode, sentence: &str) -> HttpResponse {
    let body = html! {
        h1 { (lang.t("refused")) " (" (status.as_u16()) ")" }
        p.refusal { (sentence) }
        p { a href="/mod/" { (lang.t("back")) } }
    };
    html_response(status, layout(lang, lang.t("refused"), None, body))
}

/// `text` with each of `marks` (case-insensitive) wrapped in `<mark>`, escaped otherwise.
pub fn marked(text: &str, marks: &[String]) -> Markup {
    let lower = text.to_lowercase();
    // Positions in the lower-cased text match the original only when lower-casing keeps
    // lengths; otherwise the text is shown unmarked rather than cut mid-character.
    if lower.len() != text.len() || marks.is_empty() {
        return html! { (text) };
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for m in marks
        .iter()
        .map(|m| m.to_lowercase())
        .filter(|m| !m.is_empty())
    {
        let mut from = 0;
        while let Some(i) = lower[from..].find(&m) {
            spans.push((from + i, from + i + m.len()));
            from += i + m.len();
        }
    }
    spans.sort();
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in spans {
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        out.push_str(&maud::html! { (text[at..start]) }.into_string());
        out.push_str("<mark>");
        out.push_str(&maud::html! { (text[start..end]) }.into_string());
        out.push_str("</mark>");
        at = end;
    }
    out.push_str(&maud::html! { (text[at..]) }.into_string());
    PreEscaped(out)
}
