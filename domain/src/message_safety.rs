//! Safety inside a thread: which warning a message carries, and the words the apps show with
//! it, in the three languages of the site. A warning never blocks a message: honest people
//! write "pas de paiement avant livraison" and share a listing link; the reader is told what
//! to watch for. What counts as a scam phrase is the search crate's list (it analyses words as
//! search does); the decision and the texts live here.

use serde::Serialize;

use crate::Localized;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageWarning {
    /// Payment before seeing the item, deposits, transfers, delivery agents, codes.
    ScamPhrase,
    /// A link: phishing pages for cards and accounts come this way.
    Link,
    /// A phone number or email address: an invitation to leave the site's protections.
    ContactDetails,
}

impl MessageWarning {
    pub const ALL: [MessageWarning; 3] = [
        MessageWarning::ScamPhrase,
        MessageWarning::Link,
        MessageWarning::ContactDetails,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageWarning::ScamPhrase => "scam_phrase",
            MessageWarning::Link => "link",
            MessageWarning::ContactDetails => "contact_details",
        }
    }

    pub fn parse(s: &str) -> Option<MessageWarning> {
        MessageWarning::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// What the app shows above the message.
    pub fn text(self) -> Localized {
        let (ar, fr, en) = match self {
            MessageWarning::ScamPhrase => (
                "لا تدفع أبداً ولا ترسل عربوناً قبل أن ترى السلعة. souk لا يطلب منك الدفع عبر رسالة.",
                "Ne payez jamais et ne versez aucun acompte avant d'avoir vu l'article. souk ne vous demande jamais de payer par message.",
                "Never pay or send a deposit before you have seen the item. souk never asks you to pay through a message.",
            ),
            MessageWarning::Link => (
                "تحتوي هذه الرسالة على رابط. لا تُدخل كلمة السر أو معلومات بطاقتك في صفحة أرسلها لك شخص.",
                "Ce message contient un lien. Ne saisissez jamais votre mot de passe ni votre carte sur une page qu'on vous a envoyée.",
                "This message contains a link. Never enter your password or card details on a page someone sent you.",
            ),
            MessageWarning::ContactDetails => (
                "تدعوك هذه الرسالة إلى متابعة الحديث خارج souk. ابقَ هنا إن استطعت: خارج souk لا نستطيع حمايتك.",
                "Ce message vous invite à continuer hors de souk. Restez ici si vous le pouvez : hors de souk, nous ne pouvons plus vous protéger.",
                "This message invites you to continue outside souk. Stay here if you can: outside souk we cannot protect you.",
            ),
        };
        Localized {
            ar: ar.into(),
            fr: fr.into(),
            en: en.into(),
        }
    }
}

fn looks_like_email(word: &str) -> bool {
    word.contains('@') && !word.contains('/') && !word.contains(':')
}

/// What a message was found to carry.
#[derive(Debug, Default, Clone, Copy)]
pub struct Findings {
    pub scam_phrase: bool,
    pub link: bool,
    pub contact_details: bool,
}

impl Findings {
    /// Looks for links and contact details; the caller says whether a scam phrase matched.
    pub fn of(text: &str, scam_phrase: bool) -> Findings {
        Findings {
            scam_phrase,
            // An email address reads like a bare domain; it is a contact detail, not a link.
            // Only a word of that shape is spared: `https://x.dz/?u=@a` is still a link.
            link: text
                .split_whitespace()
                .any(|w| !looks_like_email(w) && crate::text::looks_like_link(w)),
            contact_details: crate::trust::contact_details_in(text).is_some(),
        }
    }

    /// The one warning the message carries: the gravest found.
    pub fn warning(self) -> Option<MessageWarning> {
        if self.scam_phrase {
            Some(MessageWarning::ScamPhrase)
        } else if self.link {
            Some(MessageWarning::Link)
        } else if self.contact_details {
            Some(MessageWarning::ContactDetails)
        } else {
            None
        }
    }
}

/// Why one of a thread's two people reports it (or one of its messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadReportReason {
    Scam,
    Harassment,
    Spam,
    Offensive,
    Other,
}

impl ThreadReportReason {
    pub const ALL: [ThreadReportReason; 5] = [
        ThreadReportReason::Scam,
        ThreadReportReason::Harassment,
        ThreadReportReason::Spam,
        ThreadReportReason::Offensive,
        ThreadReportReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThreadReportReason::Scam => "scam",
            ThreadReportReason::Harassment => "harassment",
            ThreadReportReason::Spam => "spam",
            ThreadReportReason::Offensive => "offensive",
            ThreadReportReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ThreadReportReason> {
        ThreadReportReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gravest_finding_is_the_warning() {
        let w = |t: &str, scam| Findings::of(t, scam).warning();
        assert_eq!(w("Salam, toujours disponible ?", false), None);
        assert_eq!(
            w("voir https://pay-dz.example/x", false),
            Some(MessageWarning::Link)
        );
        assert_eq!(
            w("appelez moi 0551 23 45 67", false),
            Some(MessageWarning::ContactDetails)
        );
        assert_eq!(
            w("écrivez à karim@example.dz", false),
            Some(MessageWarning::ContactDetails)
        );
        assert_eq!(
            w("https://phish.dz/pay?u=@x", false),
            Some(MessageWarning::Link)
        );
        assert_eq!(
            w("paiement avant livraison sur https://x.dz", true),
            Some(MessageWarning::ScamPhrase)
        );
    }

    #[test]
    fn every_warning_has_its_three_texts_and_parses_back() {
        for w in MessageWarning::ALL {
            let t = w.text();
            assert!(!t.ar.is_empty() && !t.fr.is_empty() && !t.en.is_empty());
            assert_eq!(MessageWarning::parse(w.as_str()), Some(w));
        }
    }
}
