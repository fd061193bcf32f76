//! Control API: HTTP/1.1 + JSON on a Unix socket, one per daemon.
//!
//! The daemon side is a [`Router`] of `(method, path)` -> async handler returning JSON, served by
//! [`serve`]. Every answer is JSON: an unknown path gets a 404 with `{"error": ...}` listing the
//! endpoints there are, never a hang. The client side ([`get`], [`request`]) is what the `okapi`
//! shell and the tests use.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{UnixListener, UnixStream};

/// Largest request body a daemon reads; anything larger is refused with 413.
const MAX_REQUEST_BODY: usize = 64 * 1024;
/// Largest response a client reads (a full LSDB dump can be large, but not unbounded).
const MAX_RESPONSE_BODY: usize = 256 * 1024 * 1024;
/// How long a client waits for a daemon to answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a daemon waits for a client to finish sending its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A request as a handler sees it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub path: String,
    /// Query string parameters (`?name=eth1&detail=1`), percent-decoding is not applied:
    /// endpoint parameters are interface names, addresses and numbers.
    pub query: BTreeMap<String, String>,
    /// Request body parsed as JSON (`Value::Null` when empty).
    pub body: Value,
}

impl Request {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// An error a handler returns; it becomes `{"error": message}` with `status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: 404,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            message: message.into(),
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            message: message.into(),
        }
    }
}

/// A control request handed to the task that owns a protocol's state (the main loop), so that
/// every answer is computed there, with that task's own `now`:
///
/// ```text
///   GET/POST path ──► handler: parse ──► Forwarded{query, reply} ──bounded queue──► main loop
///   main loop: answer(query) ──► oneshot reply ──► JSON (503 when the loop does not answer)
/// ```
pub struct Forwarded<Q> {
    pub query: Q,
    pub reply: tokio::sync::oneshot::Sender<Result<Value, ApiError>>,
}

/// How long a forwarded request waits for the main loop.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(5);

impl Router {
    /// Registers `GET path` (`post` false) or `POST path` (`post` true): `parse` makes the
    /// query, `queue` carries it to the main loop. A full queue or no answer within
    /// [`FORWARD_TIMEOUT`] is a 503 naming `daemon`.
    pub fn forward<Q, P>(
        &self,
        post: bool,
        path: &'static str,
        daemon: &'static str,
        queue: tokio::sync::mpsc::Sender<Forwarded<Q>>,
        parse: P,
    ) -> &Self
    where
        Q: Send + 'static,
        P: Fn(&Request) -> Result<Q, ApiError> + Send + Sync + 'static,
    {
        let parse = Arc::new(parse);
        let handler = move |request: Request| {
            let queue = queue.clone();
            let parse = parse.clone();
            async move {
                let unavailable = || ApiError {
                    status: 503,
                    message: format!("{daemon} is not answering (stopping or overloaded)"),
                };
                let query = parse(&request)?;
                let (reply, answer) = tokio::sync::oneshot::channel();
                queue.try_send(Forwarded { query, reply }).map_err(|_| unavailable())?;
                match tokio::time::timeout(FORWARD_TIMEOUT, answer).await {
                    Ok(Ok(result)) => result,
                    _ => Err(unavailable()),
                }
            }
        };
        if post {
            self.post(path, handler)
        } else {
            self.get(path, handler)
        }
    }
}

type HandlerFuture = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send>>;
type Handler = Arc<dyn Fn(Request) -> HandlerFuture + Send + Sync>;

/// The endpoints of one daemon. The runtime registers `/version` and `/interfaces`; each
/// protocol registers its own read (and later write) endpoints, at any time: clones share one
/// table, so a protocol can add endpoints after the server started.
#[derive(Clone, Default)]
pub struct Router {
    routes: Arc<RwLock<BTreeMap<(String, String), Handler>>>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a `GET path` endpoint.
    pub fn get<F, Fut>(&self, path: &str, handler: F) -> &Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    /// Registers a `POST path` endpoint (actions such as drain or clear).
    pub fn post<F, Fut>(&self, path: &str, handler: F) -> &Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    fn add<F, Fut>(&self, method: Method, path: &str, handler: F) -> &Self
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ApiError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |request| Box::pin(handler(request)));
        self.table_mut().insert((method.to_string(), path.to_string()), handler);
        self
    }

    /// Endpoints as `"GET /version"` strings, sorted; shown in 404 answers.
    pub fn endpoints(&self) -> Vec<String> {
        self.table()
            .keys()
            .map(|(method, path)| format!("{method} {path}"))
            .collect()
    }

    // A handler that panicked while the lock was held cannot leave the map half-written
    // (insert is the only writer), so a poisoned lock is still safe to use.
    fn table(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<(String, String), Handler>> {
        self.routes.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<(String, String), Handler>> {
        self.routes.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one request: status and JSON body. Separate from the HTTP plumbing so it can be
    /// tested without a socket.
    pub async fn dispatch(&self, method: &str, path: &str, query: &str, body: &[u8]) -> (u16, Value) {
        let key = (method.to_string(), path.to_string());
        let handler = self.table().get(&key).cloned();
        let Some(handler) = handler else {
            let path_known = self.table().keys().any(|(_, known)| known == path);
            let (status, what) = if path_known {
                (405, format!("method {method} not allowed on {path}"))
            } else {
                (404, format!("no endpoint {method} {path}"))
            };
            return (status, json!({ "error": what, "endpoints": self.endpoints() }));
        };
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(body) {
                Ok(value) => value,
                Err(error) => return (400, json!({ "error": format!("request body is not JSON: {error}") })),
            }
        };
        let request = Request {
            path: path.to_string(),
            query: parse_query(query),
            body,
        };
        match handler(request).await {
            Ok(value) => (200, value),
            Err(error) => (error.status, json!({ "error": error.message })),
        }
    }
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (pair.to_string(), String::new()),
        })
        .collect()
}

/// Binds the control socket: creates its directory, refuses to steal the socket of a daemon
/// that still answers, removes a stale one, and sets mode 0660.
pub async fn bind(socket_path: &Path) -> io::Result<UnixListener> {
    if let Some(dir) = socket_path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    if let Ok(metadata) = tokio::fs::symlink_metadata(socket_path).await {
        if !metadata.file_type().is_socket() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a socket", socket_path.display()),
            ));
        }
        if UnixStream::connect(socket_path).await.is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another daemon answers on {}", socket_path.display()),
            ));
        }
        tokio::fs::remove_file(socket_path).await?;
    }
    let listener = UnixListener::bind(socket_path)?;
    tokio::fs::set_permissions(socket_path, std::fs::Permissions::from_mode(0o660)).await?;
    Ok(listener)
}

/// Serves `router` on `listener` until `shutdown` completes, then removes the socket file.
pub async fn serve(listener: UnixListener, socket_path: PathBuf, router: Router, shutdown: impl Future<Output = ()>) {
    let router = Arc::new(router);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "control socket accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    if let Err(error) = std::fs::remove_file(&socket_path) {
        tracing::debug!(%error, socket = %socket_path.display(), "removing control socket");
    }
}

async fn serve_connection(stream: UnixStream, router: Arc<Router>) {
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        async move { Ok::<_, Infallible>(answer(&router, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    if let Err(error) = builder.serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(%error, "control connection ended with an error");
    }
}

async fn answer(router: &Router, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let (status, value) = match Limited::new(request.into_body(), MAX_REQUEST_BODY).collect().await {
        Ok(collected) => router.dispatch(&method, &path, &query, &collected.to_bytes()).await,
        Err(error) => (413, json!({ "error": format!("request body refused: {error}") })),
    };
    tracing::debug!(%method, %path, status, "control request");
    json_response(status, &value)
}

fn json_response(status: u16, value: &Value) -> hyper::Response<Full<Bytes>> {
    let mut body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    body.push(b'\n');
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Why a control request failed, as the shell reports it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nobody answers on the socket (missing file, refused, permission): the daemon is not running.
    #[error("no daemon answers on {}: {source}", socket.display())]
    NotRunning { socket: PathBuf, source: io::Error },
    /// The daemon answered with an error status; `message` comes from its `{"error": ...}`.
    #[error("{message}")]
    Api { status: u16, message: String },
    /// Anything else: broken HTTP, a body that is not JSON, a timeout.
    #[error("{0}")]
    Protocol(String),
}

/// `GET path` on the daemon at `socket`.
pub async fn get(socket: &Path, path: &str) -> Result<Value, ClientError> {
    request(socket, "GET", path, None).await
}

/// One request to the daemon at `socket`, answered with its JSON.
pub async fn request(socket: &Path, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ClientError> {
    match tokio::time::timeout(CLIENT_TIMEOUT, request_inner(socket, method, path, body)).await {
        Ok(result) => result,
        Err(_) => Err(ClientError::Protocol(format!(
            "{} did not answer {method} {path} within {} s",
            socket.display(),
            CLIENT_TIMEOUT.as_secs()
        ))),
    }
}

async fn request_inner(socket: &Path, method: &str, path: &str, body: Option<&Value>) -> Result<Value, ClientError> {
    let protocol = |what: &str, error: &dyn std::fmt::Display| ClientError::Protocol(format!("{what}: {error}"));
    let stream = UnixStream::connect(socket)
        .await
        .map_err(|source| ClientError::NotRunning {
            socket: socket.to_path_buf(),
            source,
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| protocol("control handshake", &e))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "control client connection");
        }
    });
    let payload = match body {
        Some(value) => Bytes::from(serde_json::to_vec(value).map_err(|e| protocol("encoding request", &e))?),
        None => Bytes::new(),
    };
    let request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, "okapi")
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(payload))
        .map_err(|e| protocol("building request", &e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| protocol("control request", &e))?;
    let status = response.status().as_u16();
    let bytes = Limited::new(response.into_body(), MAX_RESPONSE_BODY)
        .collect()
        .await
        .map_err(|e| protocol("reading answer", &e))?
        .to_bytes();
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| protocol("answer is not JSON", &e))?;
    if status >= 400 {
        let message = value
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP status {status}"));
        return Err(ClientError::Api { status, message });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let router = Router::new();
        router.get("/version", |_| async { Ok(json!({"version": "1"})) });
        router.get("/echo", |request: Request| async move {
            match request.param("name") {
                Some(name) => Ok(json!({ "name": name })),
                None => Err(ApiError::bad_request("name is required")),
            }
        });
        router
    }

    #[tokio::test]
    async fn dispatch_answers_known_paths_and_json_errors_otherwise() {
        let router = router();
        assert_eq!(
            router.dispatch("GET", "/version", "", b"").await,
            (200, json!({"version": "1"}))
        );
        assert_eq!(
            router.dispatch("GET", "/echo", "name=eth1", b"").await,
            (200, json!({"name": "eth1"}))
        );
        assert_eq!(router.dispatch("GET", "/echo", "", b"").await.0, 400);
        let (status, body) = router.dispatch("GET", "/nope", "", b"").await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "no endpoint GET /nope");
        assert_eq!(body["endpoints"], json!(["GET /echo", "GET /version"]));
        assert_eq!(router.dispatch("POST", "/version", "", b"").await.0, 405);
        assert_eq!(router.dispatch("GET", "/version", "", b"{not json").await.0, 400);
    }

    #[tokio::test]
    async fn client_and_server_over_a_unix_socket() {
        let dir = std::env::temp_dir().join(format!("okapi-control-test-{}", std::process::id()));
        let socket = dir.join("testd.sock");
        let listener = bind(&socket).await.expect("bind");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, socket.clone(), router(), async {
            let _ = stopped.await;
        }));
        assert_eq!(
            get(&socket, "/version").await.expect("version"),
            json!({"version": "1"})
        );
        match get(&socket, "/missing").await {
            Err(ClientError::Api { status: 404, message }) => assert_eq!(message, "no endpoint GET /missing"),
            other => panic!("expected a 404 API error, got {other:?}"),
        }
        // A second daemon must not steal a socket that answers.
        assert_eq!(
            bind(&socket).await.map(|_| ()).map_err(|e| e.kind()),
            Err(io::ErrorKind::AddrInUse)
        );
        let _ = stop.send(());
        server.await.expect("server task");
        assert!(!socket.exists(), "socket removed on shutdown");
        match get(&socket, "/version").await {
            Err(error @ ClientError::NotRunning { .. }) => {
                assert!(
                    error
                        .to_string()
                        .starts_with(&format!("no daemon answers on {}", socket.display()))
                )
            }
            other => panic!("expected NotRunning, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
