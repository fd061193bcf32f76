//! The VRRP endpoints of the control API; the main loop answers (see
//! [`okapi_runtime::control::Forwarded`]).
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /vrrp[?vrid=N]` | `{"instances": [...], "trackers": [...], "sync_groups": [...], "io": {...}, "hooks": {...}, "drained": bool, ...}`; with `vrid`, only the instances of that VRID (404 when none) |
//! | `POST /vrrp/drain` `{"drain": true\|false}` | every instance at priority 1 (peers take the VIPs over and hand this node's connections back), or back to its own: `{"drained": bool, "instances": [{name, vrid, state, effective_priority}]}` |

use okapi_runtime::control::{ApiError, Forwarded, Request as HttpRequest, Router};
use tokio::sync::mpsc;

/// Requests waiting for the main loop at most; more get 503.
pub const QUEUE: usize = 64;

/// What a control request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Vrrp { vrid: Option<u8> },
    Drain { drain: bool },
}

pub type Request = Forwarded<Query>;

pub fn parse(request: &HttpRequest) -> Result<Query, ApiError> {
    let vrid = match request.param("vrid") {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<u8>()
                .ok()
                .filter(|vrid| *vrid >= 1)
                .ok_or_else(|| ApiError::bad_request(format!("vrid `{text}` is not 1 to 255")))?,
        ),
    };
    Ok(Query::Vrrp { vrid })
}

pub fn parse_drain(request: &HttpRequest) -> Result<Query, ApiError> {
    match request.body.get("drain").and_then(serde_json::Value::as_bool) {
        Some(drain) => Ok(Query::Drain { drain }),
        None => Err(ApiError::bad_request(
            "POST /vrrp/drain takes {\"drain\": true} or {\"drain\": false}",
        )),
    }
}

pub fn register(router: &Router, queue: mpsc::Sender<Request>) {
    router.forward(false, "/vrrp", "okapi-vrrpd", queue.clone(), parse);
    router.forward(true, "/vrrp/drain", "okapi-vrrpd", queue, parse_drain);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            path: "/vrrp".into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: serde_json::Value::Null,
        }
    }

    #[test]
    fn vrid_is_checked() {
        assert_eq!(parse(&request(&[])), Ok(Query::Vrrp { vrid: None }));
        assert_eq!(parse(&request(&[("vrid", "51")])), Ok(Query::Vrrp { vrid: Some(51) }));
        assert_eq!(parse(&request(&[("vrid", "0")])).unwrap_err().status, 400);
        assert_eq!(parse(&request(&[("vrid", "256")])).unwrap_err().status, 400);
    }

    #[test]
    fn drain_needs_a_boolean() {
        let mut post = request(&[]);
        post.body = serde_json::json!({ "drain": true });
        assert_eq!(parse_drain(&post), Ok(Query::Drain { drain: true }));
        post.body = serde_json::json!({ "drain": "yes" });
        assert_eq!(parse_drain(&post).unwrap_err().status, 400);
    }
}
