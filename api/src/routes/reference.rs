//! Reference data: the category tree with attribute schemas, wilayas and communes.

use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use souk_domain::attributes::AttributeKind;
use souk_domain::{catalog, geography, Category};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::views::Names;

#[derive(Debug, Serialize, ToSchema)]
pub struct EnumOptionView {
    pub value: String,
    pub label: Names,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeView {
    pub key: String,
    pub label: Names,
    /// enum, text, integer or bool.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<EnumOptionView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryNode {
    pub slug: String,
    pub name: Names,
    /// Listings are posted in leaves only.
    pub leaf: bool,
    /// The attribute schema of a leaf; empty for inner nodes.
    pub attributes: Vec<AttributeView>,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

fn node(c: &Category) -> CategoryNode {
    CategoryNode {
        slug: c.slug.clone(),
        name: Names::from(&c.name),
        leaf: c.is_leaf(),
        attributes: c
            .attributes
            .iter()
            .map(|a| {
                let mut v = AttributeView {
                    key: a.key.clone(),
                    label: Names::from(&a.label),
                    kind: "",
                    required: a.required,
                    options: None,
                    min: None,
                    max: None,
                    unit: None,
                    max_len: None,
                };
                match &a.kind {
                    AttributeKind::Enum { options } => {
                        v.kind = "enum";
                        v.options = Some(
                            options
                                .iter()
                                .map(|o| EnumOptionView {
                                    value: o.value.clone(),
                                    label: Names::from(&o.label),
                                })
                                .collect(),
                        );
                    }
                    AttributeKind::Text { max_len } => {
                        v.kind = "text";
                        v.max_len = Some(*max_len);
                    }
                    AttributeKind::Integer { min, max, unit } => {
                        v.kind = "integer";
                        (v.min, v.max, v.unit) = (Some(*min), Some(*max), unit.clone());
                    }
                    AttributeKind::Bool => v.kind = "bool",
                }
                v
            })
            .collect(),
        children: c
            .children
            .iter()
            .filter_map(|s| catalog().get(s))
            .map(node)
            .collect(),
    }
}

/// The category tree with each leaf's attribute schema, in Arabic, French and English.
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<CategoryNode>)))]
#[get("/v1/categories")]
pub async fn categories() -> HttpResponse {
    let tree: Vec<CategoryNode> = catalog().roots().map(node).collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(tree)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WilayaView {
    pub code: i32,
    pub name_latin: String,
    pub name_ar: String,
    pub lat: f64,
    pub lon: f64,
}

/// The 69 wilayas.
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<WilayaView>)))]
#[get("/v1/wilayas")]
pub async fn wilayas() -> HttpResponse {
    let list: Vec<WilayaView> = geography()
        .wilayas()
        .iter()
        .map(|w| WilayaView {
            code: w.code,
            name_latin: w.name_latin.clone(),
            name_ar: w.name_ar.clone(),
            lat: w.lat,
            lon: w.lon,
        })
        .collect();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(list)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommuneView {
    /// ONS code; the id to post listings with.
    pub id: i32,
    pub wilaya: i32,
    pub name_latin: String,
    pub name_ar: String,
    pub lat: f64,
    pub lon: f64,
    pub postal_code: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WilayaCode {
    /// Wilaya code, 1–69.
    pub code: i32,
}

/// The communes of one wilaya.
#[utoipa::path(tag = "reference", params(WilayaCode),
    responses((status = 200, body = Vec<CommuneView>), (status = 404, body = crate::error::Problem)))]
#[get("/v1/wilayas/{code}/communes")]
pub async fn communes(path: web::Path<WilayaCode>) -> ApiResult<HttpResponse> {
    let geo = geography();
    geo.wilaya(path.code).ok_or(ApiError::NotFound)?;
    let list: Vec<CommuneView> = geo
        .communes_of(path.code)
        .map(|c| CommuneView {
            id: c.id,
            wilaya: c.wilaya_code,
            name_latin: c.name_latin.clone(),
            name_ar: c.name_ar.clone(),
            lat: c.lat,
            lon: c.lon,
            postal_code: c.postal_code.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(list))
}

/// Registers this context's handlers and documents them in the OpenAPI document.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(categories).service(wilayas).service(communes);
}
