//! The OSPF endpoints of the control API. Handlers only parse the query; the answer is
//! computed by the main loop, which owns the instance, so that every view is taken with the
//! instance's own `now`:
//!
//! ```text
//!   GET /ospf/... ──► handler: parse query ──► Request{query, reply} ──bounded channel──►
//!   main loop: answer(&instance, query, now) ──► oneshot reply ──► JSON
//! ```
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /ospf` | `InstanceView` plus `kernel` (routes) and `io` (socket) |
//! | `GET /ospf/interfaces[?name=IF]` | `{"interfaces": [InterfaceView]}` (404 for an unknown IF) |
//! | `GET /ospf/neighbors[?detail=1]` | `{"neighbors": [NeighborView]}` (every field either way) |
//! | `GET /ospf/database[?type=T[&lsid=A.B.C.D]]` | `{"lsas": [LsaView]}`; with `type`, `[LsaDetailView]` |
//! | `GET /ospf/routes` | `{"routes": {"P/L": OspfRoute}}` |

use std::net::Ipv4Addr;
use std::time::Instant;

use okapi_ospf::lsdb::LsaKey;
use okapi_ospf::{Instance, LsaType};
use okapi_runtime::control::{ApiError, Forwarded, Request as HttpRequest, Router};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Requests waiting for the main loop at most; more get 503.
pub const QUEUE: usize = 64;

/// A query on its way to the main loop.
pub type Request = Forwarded<Query>;

/// What a control request asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Instance,
    Interfaces {
        name: Option<String>,
    },
    Neighbors,
    Database {
        lsa_type: Option<u8>,
        lsid: Option<Ipv4Addr>,
    },
    Routes,
}

/// The `type=` names of `GET /ospf/database`, with their LS types.
pub const LSA_TYPES: &[(&str, u8)] = &[
    ("router", 1),
    ("network", 2),
    ("summary", 3),
    ("asbr-summary", 4),
    ("external", 5),
];

/// Parses the query string of `path` into a [`Query`].
pub fn parse(path: &str, request: &HttpRequest) -> Result<Query, ApiError> {
    match path {
        "/ospf" => Ok(Query::Instance),
        "/ospf/interfaces" => Ok(Query::Interfaces {
            name: request
                .param("name")
                .filter(|name| !name.is_empty())
                .map(str::to_string),
        }),
        "/ospf/neighbors" => Ok(Query::Neighbors),
        "/ospf/routes" => Ok(Query::Routes),
        "/ospf/database" => {
            let lsa_type = match request.param("type") {
                None | Some("") => None,
                Some(name) => Some(
                    LSA_TYPES
                        .iter()
                        .find(|(known, _)| *known == name)
                        .map(|(_, number)| *number)
                        .ok_or_else(|| {
                            let names: Vec<&str> = LSA_TYPES.iter().map(|(known, _)| *known).collect();
                            ApiError::bad_request(format!("unknown LSA type `{name}` (one of {})", names.join(", ")))
                        })?,
                ),
            };
            let lsid = match request.param("lsid") {
                None | Some("") => None,
                Some(text) => Some(
                    text.parse::<Ipv4Addr>()
                        .map_err(|_| ApiError::bad_request(format!("lsid `{text}` is not A.B.C.D")))?,
                ),
            };
            Ok(Query::Database { lsa_type, lsid })
        }
        other => Err(ApiError::not_found(format!("no endpoint {other}"))),
    }
}

/// Registers the OSPF endpoints; their queries go to `queue`.
pub fn register(router: &Router, queue: mpsc::Sender<Request>) {
    for path in [
        "/ospf",
        "/ospf/interfaces",
        "/ospf/neighbors",
        "/ospf/database",
        "/ospf/routes",
    ] {
        router.forward(false, path, "okapi-ospfd", queue.clone(), move |request| {
            parse(path, request)
        });
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|error| ApiError::internal(format!("serializing the answer: {error}")))
}

/// The answer to `query` from `instance` at `now`. `extra` is added to `GET /ospf`.
pub fn answer(
    instance: &Instance,
    query: &Query,
    now: Instant,
    extra: impl FnOnce() -> Value,
) -> Result<Value, ApiError> {
    match query {
        Query::Instance => {
            let mut value = to_json(&instance.view(now))?;
            if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra()) {
                map.extend(extra);
            }
            Ok(value)
        }
        Query::Interfaces { name } => {
            let mut interfaces = instance.interfaces_view(now);
            if let Some(name) = name {
                interfaces.retain(|interface| &interface.name == name);
                if interfaces.is_empty() {
                    return Err(ApiError::not_found(format!("{name} is not an OSPF interface")));
                }
            }
            Ok(json!({ "interfaces": to_json(&interfaces)? }))
        }
        Query::Neighbors => Ok(json!({ "neighbors": to_json(&instance.neighbors_view(now))? })),
        Query::Routes => Ok(json!({ "routes": to_json(instance.routes())? })),
        Query::Database { lsa_type, lsid } => {
            let headers = instance
                .database_view(now)
                .into_iter()
                .filter(|lsa| lsa_type.is_none_or(|wanted| lsa.lsa_type == wanted))
                .filter(|lsa| lsid.is_none_or(|wanted| lsa.link_state_id == wanted));
            let lsas = match lsa_type {
                None => to_json(&headers.collect::<Vec<_>>())?,
                Some(_) => {
                    let details: Vec<_> = headers
                        .filter_map(|lsa| {
                            let key = LsaKey::new(LsaType(lsa.lsa_type), lsa.link_state_id, lsa.advertising_router);
                            instance.lsa_detail(&key, now)
                        })
                        .collect();
                    to_json(&details)?
                }
            };
            Ok(json!({ "lsas": lsas }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okapi_ospf::config::{Config, InterfaceConfig};

    fn request(query: &str) -> HttpRequest {
        HttpRequest {
            path: String::new(),
            query: query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (key.to_string(), value.to_string())
                })
                .collect(),
            body: Value::Null,
        }
    }

    #[test]
    fn queries() {
        assert_eq!(parse("/ospf", &request("")), Ok(Query::Instance));
        assert_eq!(
            parse("/ospf/interfaces", &request("name=eth1")),
            Ok(Query::Interfaces {
                name: Some("eth1".to_string())
            })
        );
        assert_eq!(parse("/ospf/neighbors", &request("detail=1")), Ok(Query::Neighbors));
        assert_eq!(
            parse("/ospf/database", &request("type=router&lsid=10.0.0.1")),
            Ok(Query::Database {
                lsa_type: Some(1),
                lsid: Some(Ipv4Addr::new(10, 0, 0, 1))
            })
        );
        assert_eq!(
            parse("/ospf/database", &request("type=asbr-summary")),
            Ok(Query::Database {
                lsa_type: Some(4),
                lsid: None
            })
        );
        assert_eq!(
            parse("/ospf/database", &request("type=opaque")).unwrap_err().status,
            400
        );
        assert_eq!(parse("/ospf/database", &request("lsid=x")).unwrap_err().status, 400);
    }

    #[test]
    fn answers_from_an_instance() {
        let now = Instant::now();
        let config =
            Config::new(Ipv4Addr::new(10, 0, 0, 1)).interface(InterfaceConfig::new(2, "eth1").point_to_point());
        let (mut instance, _) = Instance::new(config, now);
        instance.handle(
            okapi_ospf::Input::AddressAdded {
                ifindex: 2,
                address: Ipv4Addr::new(10, 0, 12, 1),
                prefix_len: 30,
            },
            now,
        );
        instance.handle(okapi_ospf::Input::InterfaceUp { ifindex: 2, mtu: 1500 }, now);
        let extra = || json!({"kernel": {"installed": 0}});
        let view = answer(&instance, &Query::Instance, now, extra).unwrap();
        assert_eq!(view["router_id"], "10.0.0.1");
        assert_eq!(view["kernel"]["installed"], 0);
        let interfaces = answer(&instance, &Query::Interfaces { name: None }, now, Value::default).unwrap();
        assert_eq!(interfaces["interfaces"][0]["name"], "eth1");
        assert_eq!(interfaces["interfaces"][0]["state"], "Point-to-point");
        let missing = answer(
            &instance,
            &Query::Interfaces {
                name: Some("eth9".to_string()),
            },
            now,
            Value::default,
        );
        assert_eq!(missing.unwrap_err().status, 404);
        let neighbors = answer(&instance, &Query::Neighbors, now, Value::default).unwrap();
        assert_eq!(neighbors, json!({"neighbors": []}));
        let database = answer(
            &instance,
            &Query::Database {
                lsa_type: None,
                lsid: None,
            },
            now,
            Value::default,
        )
        .unwrap();
        assert_eq!(database["lsas"][0]["lsa_type"], 1, "{database}");
        let routers = answer(
            &instance,
            &Query::Database {
                lsa_type: Some(1),
                lsid: Some(Ipv4Addr::new(10, 0, 0, 1)),
            },
            now,
            Value::default,
        )
        .unwrap();
        assert!(routers["lsas"][0]["body"].is_object(), "{routers}");
        let routes = answer(&instance, &Query::Routes, now, Value::default).unwrap();
        assert!(routes["routes"].is_object(), "{routes}");
    }
}
