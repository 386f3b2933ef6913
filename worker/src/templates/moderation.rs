//! Emails of moderation decisions: ads hidden, appeals decided.

use souk_domain::Language;

use super::{pick, render, Body, Recipient};
use crate::email::Email;

/// To a seller: moderation took their ad down, and why.
pub fn listing_hidden(to: &Recipient<'_>, listing_title: &str, reason: &str) -> Email {
    listings_hidden(to, &[listing_title], reason)
}

/// To a seller: moderation took some of their ads down in one decision (all of them, or a
/// selection), in one email rather than one each.
pub fn listings_hidden(to: &Recipient<'_>, titles: &[&str], reason: &str) -> Email {
    let l = to.language;
    if titles.len() > 1 {
        let n = titles.len();
        let list: Vec<String> = titles.iter().take(20).map(|t| format!("« {t} »")).collect();
        let more = n.saturating_sub(20);
        return render(
            to,
            Body {
                subject: match l {
                    Language::Ar => format!("تم إخفاء {n} من إعلاناتك"),
                    Language::Fr => format!("{n} de vos annonces ont été masquées"),
                    Language::En => format!("{n} of your ads were hidden"),
                },
                paragraphs: vec![
                    pick(
                        l,
                        "أخفى فريق الإشراف هذه الإعلانات، فلم تعد تظهر في البحث:",
                        "L'équipe de modération a masqué ces annonces : elles n'apparaissent plus dans les recherches.",
                        "Our moderators hid these ads: they no longer show in search.",
                    )
                    .into(),
                    if more > 0 {
                        format!("{} (+{more})", list.join(", "))
                    } else {
                        list.join(", ")
                    },
                    pick(l, "السبب:", "Motif :", "Reason:").into(),
                ],
                quote: Some(reason.into()),
                ..Body::default()
            },
        );
    }
    let listing_title = titles.first().copied().unwrap_or_default();
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("تم إخفاء إعلانك «{listing_title}»"),
                Language::Fr => format!("Votre annonce « {listing_title} » a été masquée"),
                Language::En => format!("Your ad “{listing_title}” was hidden"),
            },
            paragraphs: vec![pick(
                l,
                "أخفى فريق الإشراف إعلانك، فلم يعد يظهر في البحث. السبب:",
                "L'équipe de modération a masqué votre annonce : elle n'apparaît plus dans les recherches. Motif :",
                "Our moderators hid your ad: it no longer shows in search. Reason:",
            )
            .into()],
            quote: Some(reason.into()),
            ..Body::default()
        },
    )
}

/// To whoever appealed a moderation decision: its outcome, with the moderator's answer.
pub fn appeal_decided(to: &Recipient<'_>, granted: bool, answer: &str) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: pick(
                l,
                if granted {
                    "قُبل طعنك"
                } else {
                    "رُفض طعنك"
                },
                if granted {
                    "Votre recours est accepté"
                } else {
                    "Votre recours est rejeté"
                },
                if granted {
                    "Your appeal was granted"
                } else {
                    "Your appeal was denied"
                },
            )
            .into(),
            paragraphs: vec![pick(
                l,
                if granted {
                    "راجع مشرف آخر القرار وألغاه. رده:"
                } else {
                    "راجع مشرف آخر القرار وأبقاه. رده:"
                },
                if granted {
                    "Un autre modérateur a revu la décision et l'a annulée. Sa réponse :"
                } else {
                    "Un autre modérateur a revu la décision et l'a maintenue. Sa réponse :"
                },
                if granted {
                    "Another moderator reviewed the decision and reversed it. Their answer:"
                } else {
                    "Another moderator reviewed the decision and kept it. Their answer:"
                },
            )
            .into()],
            quote: Some(answer.into()),
            ..Body::default()
        },
    )
}
