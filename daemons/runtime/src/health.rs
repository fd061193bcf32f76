//! HTTP health check of the co-located load balancer: one cheap probe ([`probe`]) and a sans-IO
//! rise/fall debouncer ([`RiseFall`]) with keepalived/HAProxy semantics.
//!
//! ```text
//!   every interval:  probe(&HttpCheck) ──► ProbeOutcome ──► RiseFall::record ──► Some(up) on change
//!                      │  connect (no DNS for an IP literal) ─┐
//!                      │  GET path Host: host[:port]          ├─ all within `timeout`
//!                      │  Connection: close, response head ───┘
//!                      └─ refused ► Down { refused: true } at once: the balancer is not listening
//! ```
//!
//! A probe is one TCP connection and one HTTP/1.1 request (hyper's `client::conn::http1`, no
//! pool, no TLS); the body is never read, so a probe costs the same whatever the endpoint
//! returns, and intervals down to tens of milliseconds are fine.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The statuses [`HttpCheck::new`] accepts.
pub const DEFAULT_EXPECT_STATUS: &[u16] = &[200];
/// Timeout [`HttpCheck::new`] sets.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest reason text kept in a [`ProbeOutcome::Down`].
const MAX_REASON_LEN: usize = 200;

/// `http://host[:port]/path?query`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// A name, an IPv4 literal or an IPv6 literal (without brackets).
    pub host: String,
    pub port: u16,
    /// Starts with `/`.
    pub path_and_query: String,
}

impl HttpUrl {
    /// The `Host` header: the host (IPv6 in brackets), with `:port` unless it is 80.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "http://{host}:{}{}", self.port, self.path_and_query)
    }
}

impl FromStr for HttpUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<HttpUrl, String> {
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(format!("{text:?}: expected http://host[:port]/path"));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err("https is not supported: check the balancer's plain-HTTP health endpoint".to_string());
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(format!("{text:?}: unsupported scheme {scheme:?}, expected http"));
        }
        if let Some(bad) = rest.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{text:?}: {bad:?} is not allowed in a URL"));
        }
        // Fragments never reach the server.
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let path_and_query = if path_and_query.starts_with('?') {
            format!("/{path_and_query}")
        } else {
            path_and_query.to_string()
        };
        if authority.contains('@') {
            return Err(format!("{text:?}: user information is not supported"));
        }
        let (host, port) = split_host_port(authority).map_err(|reason| format!("{text:?}: {reason}"))?;
        Ok(HttpUrl {
            host,
            port,
            path_and_query,
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err("unclosed '[' in the host".to_string());
        };
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((_, port)) if port.contains(':') => {
                return Err("an IPv6 address must be in brackets, e.g. http://[::1]:8080/".to_string());
            }
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".to_string());
    }
    let port = match port {
        None => 80,
        Some(port) => match port.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => return Err(format!("bad port {port:?}")),
        },
    };
    Ok((host.to_string(), port))
}

/// What to probe and what counts as healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub url: HttpUrl,
    /// Statuses that mean up. Empty means any 2xx or 3xx (200..=399, HAProxy's `httpchk`
    /// default); [`HttpCheck::new`] sets `[200]`.
    pub expect_status: Vec<u16>,
    /// Covers connect (and name resolution) up to the response head.
    pub timeout: Duration,
}

impl HttpCheck {
    /// A check of `url` expecting 200 within [`DEFAULT_TIMEOUT`].
    pub fn new(url: HttpUrl) -> HttpCheck {
        HttpCheck {
            url,
            expect_status: DEFAULT_EXPECT_STATUS.to_vec(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Whether `status` means up.
    pub fn accepts(&self, status: u16) -> bool {
        if self.expect_status.is_empty() {
            (200..=399).contains(&status)
        } else {
            self.expect_status.contains(&status)
        }
    }
}

/// The result of one [`probe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// The balancer answered with an accepted status.
    Up { status: u16, elapsed: Duration },
    /// Anything else. `refused` is a refused connection: nothing listens on the port.
    Down {
        reason: String,
        refused: bool,
        elapsed: Duration,
    },
}

impl ProbeOutcome {
    pub fn is_up(&self) -> bool {
        matches!(self, ProbeOutcome::Up { .. })
    }

    pub fn elapsed(&self) -> Duration {
        match self {
            ProbeOutcome::Up { elapsed, .. } | ProbeOutcome::Down { elapsed, .. } => *elapsed,
        }
    }

    /// `{"result": "up", "status", "elapsed_ms"}` or `{"result": "down", "reason", "refused", "elapsed_ms"}`.
    pub fn view(&self) -> serde_json::Value {
        match self {
            ProbeOutcome::Up { status, elapsed } => serde_json::json!({
                "result": "up",
                "status": status,
                "elapsed_ms": milliseconds(*elapsed),
            }),
            ProbeOutcome::Down {
                reason,
                refused,
                elapsed,
            } => serde_json::json!({
                "result": "down",
                "reason": reason,
                "refused": refused,
                "elapsed_ms": milliseconds(*elapsed),
            }),
        }
    }
}

fn milliseconds(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// One `GET` of `check.url` with `Host` and `Connection: close`. Never panics, never waits
/// longer than `check.timeout`; the response body is not read.
pub async fn probe(check: &HttpCheck) -> ProbeOutcome {
    let started = Instant::now();
    let result = tokio::time::timeout(check.timeout, request_status(&check.url)).await;
    let elapsed = started.elapsed();
    match result {
        Ok(Ok(status)) if check.accepts(status) => ProbeOutcome::Up { status, elapsed },
        Ok(Ok(status)) => ProbeOutcome::Down {
            reason: format!("HTTP status {status}"),
            refused: false,
            elapsed,
        },
        Ok(Err(failure)) => ProbeOutcome::Down {
            reason: bounded(failure.reason),
            refused: failure.refused,
            elapsed,
        },
        Err(_) => ProbeOutcome::Down {
            reason: format!("no response within {} ms", check.timeout.as_millis()),
            refused: false,
            elapsed,
        },
    }
}

struct Failure {
    reason: String,
    refused: bool,
}

impl Failure {
    fn new(reason: String) -> Failure {
        Failure { reason, refused: false }
    }
}

/// Connects, sends the request and returns the status of the response head.
async fn request_status(url: &HttpUrl) -> Result<u16, Failure> {
    let stream = connect(url).await?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| Failure::new(format!("HTTP handshake: {error}")))?;
    let request = hyper::Request::get(url.path_and_query.as_str())
        .header(hyper::header::HOST, url.host_header())
        .header(hyper::header::CONNECTION, "close")
        .header(
            hyper::header::USER_AGENT,
            concat!("okapi-health/", env!("CARGO_PKG_VERSION")),
        )
        .body(Empty::<Bytes>::new())
        .map_err(|error| Failure::new(format!("bad request for {url}: {error}")))?;
    // The connection is driven here, not spawned: it ends with this function, body unread.
    let mut connection = std::pin::pin!(connection);
    let mut response = std::pin::pin!(sender.send_request(request));
    let response = tokio::select! {
        biased;
        response = &mut response => response,
        ended = &mut connection => match ended {
            // With `Connection: close` the connection may finish in the same poll that hands
            // the response over: the response (or hyper's "canceled") is ready now.
            Ok(()) => response.await,
            Err(error) => return Err(Failure::new(format!("HTTP: {error}"))),
        },
    };
    let response = response.map_err(|error| Failure::new(format!("HTTP: {error}")))?;
    Ok(response.status().as_u16())
}

/// TCP connect to the URL's host: an IP literal directly, a name through the resolver (each
/// address in turn).
async fn connect(url: &HttpUrl) -> Result<TcpStream, Failure> {
    let addresses: Vec<SocketAddr> = match url.host.parse::<IpAddr>() {
        Ok(address) => vec![SocketAddr::new(address, url.port)],
        Err(_) => tokio::net::lookup_host((url.host.as_str(), url.port))
            .await
            .map_err(|error| Failure::new(format!("resolve {}: {error}", url.host)))?
            .collect(),
    };
    let mut last = Failure::new(format!("{} resolves to no address", url.host));
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(error) => {
                last = Failure {
                    refused: error.kind() == std::io::ErrorKind::ConnectionRefused,
                    reason: format!("connect {address}: {error}"),
                };
            }
        }
    }
    Err(last)
}

fn bounded(mut reason: String) -> String {
    if reason.len() > MAX_REASON_LEN {
        let mut end = MAX_REASON_LEN;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push('…');
    }
    reason
}

/// Rise/fall debouncing of probe outcomes, as keepalived's `rise`/`fall` and HAProxy's check
/// `rise`/`fall`: `rise` consecutive successes bring it up, `fall` consecutive failures take
/// it down, and a refused connection takes it down at once (the balancer is not listening, so
/// there is nothing to wait for). Sans-IO: the caller probes and records.
#[derive(Debug, Clone)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    up: bool,
    consecutive_successes: u32,
    consecutive_failures: u32,
    checks: u64,
    failures: u64,
    transitions: u64,
    last: Option<ProbeOutcome>,
}

impl RiseFall {
    /// `rise` and `fall` of 0 count as 1.
    pub fn new(rise: u32, fall: u32, initially_up: bool) -> RiseFall {
        RiseFall {
            rise: rise.max(1),
            fall: fall.max(1),
            up: initially_up,
            consecutive_successes: 0,
            consecutive_failures: 0,
            checks: 0,
            failures: 0,
            transitions: 0,
            last: None,
        }
    }

    /// Counts `outcome`; returns the new state when it changed.
    pub fn record(&mut self, outcome: &ProbeOutcome) -> Option<bool> {
        self.checks += 1;
        self.last = Some(outcome.clone());
        let next = match outcome {
            ProbeOutcome::Up { .. } => {
                self.consecutive_successes = self.consecutive_successes.saturating_add(1);
                self.consecutive_failures = 0;
                self.up || self.consecutive_successes >= self.rise
            }
            ProbeOutcome::Down { refused, .. } => {
                self.failures += 1;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.consecutive_successes = 0;
                self.up && !*refused && self.consecutive_failures < self.fall
            }
        };
        if next == self.up {
            return None;
        }
        self.up = next;
        self.transitions += 1;
        Some(next)
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// `{"up", "rise", "fall", "consecutive_successes", "consecutive_failures", "checks",
    /// "failures", "transitions", "last"}`; `last` is [`ProbeOutcome::view`] or null.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "up": self.up,
            "rise": self.rise,
            "fall": self.fall,
            "consecutive_successes": self.consecutive_successes,
            "consecutive_failures": self.consecutive_failures,
            "checks": self.checks,
            "failures": self.failures,
            "transitions": self.transitions,
            "last": self.last.as_ref().map(ProbeOutcome::view),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    fn url(text: &str) -> HttpUrl {
        text.parse().expect("test URL")
    }

    fn up() -> ProbeOutcome {
        ProbeOutcome::Up {
            status: 200,
            elapsed: Duration::from_millis(1),
        }
    }

    fn down(refused: bool) -> ProbeOutcome {
        ProbeOutcome::Down {
            reason: "test".to_string(),
            refused,
            elapsed: Duration::from_millis(1),
        }
    }

    #[test]
    fn urls_parse() {
        let cases = [
            ("http://127.0.0.1/", "127.0.0.1", 80, "/"),
            ("http://127.0.0.1", "127.0.0.1", 80, "/"),
            (
                "HTTP://lb.example:8080/healthz?full=1",
                "lb.example",
                8080,
                "/healthz?full=1",
            ),
            ("http://[::1]:81/ready", "::1", 81, "/ready"),
            ("http://[2001:db8::1]", "2001:db8::1", 80, "/"),
            ("http://10.0.0.1:8404?x", "10.0.0.1", 8404, "/?x"),
            ("http://10.0.0.1/a#frag", "10.0.0.1", 80, "/a"),
        ];
        for (text, host, port, path) in cases {
            assert_eq!(
                url(text),
                HttpUrl {
                    host: host.to_string(),
                    port,
                    path_and_query: path.to_string()
                },
                "{text}"
            );
        }
        assert_eq!(url("http://[::1]:81/").host_header(), "[::1]:81");
        assert_eq!(url("http://lb/").host_header(), "lb");
    }

    #[test]
    fn bad_urls_say_why() {
        let https = "https://10.0.0.1/".parse::<HttpUrl>().expect_err("https");
        assert_eq!(
            https,
            "https is not supported: check the balancer's plain-HTTP health endpoint"
        );
        for (text, needle) in [
            ("10.0.0.1/health", "expected http://"),
            ("ftp://10.0.0.1/", "unsupported scheme"),
            ("http:///health", "no host"),
            ("http://10.0.0.1:0/", "bad port"),
            ("http://10.0.0.1:70000/", "bad port"),
            ("http://10.0.0.1:x/", "bad port"),
            ("http://::1/", "brackets"),
            ("http://[::1/", "unclosed"),
            ("http://[nope]/", "not an IPv6"),
            ("http://user@10.0.0.1/", "user information"),
            ("http://10.0.0.1/a b", "not allowed"),
        ] {
            let error = text.parse::<HttpUrl>().expect_err(text);
            assert!(error.contains(needle), "{text}: {error}");
        }
    }

    #[test]
    fn empty_expect_status_means_2xx_or_3xx() {
        let mut check = HttpCheck::new(url("http://127.0.0.1/"));
        assert!(check.accepts(200) && !check.accepts(204));
        check.expect_status.clear();
        assert!(check.accepts(200) && check.accepts(302) && check.accepts(399));
        assert!(!check.accepts(199) && !check.accepts(404) && !check.accepts(503));
    }

    #[test]
    fn rise_fall_needs_consecutive_results() {
        let mut state = RiseFall::new(2, 3, false);
        assert_eq!(state.record(&up()), None);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&up()), None);
        assert_eq!(state.record(&up()), Some(true));
        assert!(state.is_up());
        assert_eq!(state.record(&up()), None);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&up()), None);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&down(false)), Some(false));
        assert!(!state.is_up());
        let view = state.view();
        assert_eq!(view["checks"], 11);
        assert_eq!(view["failures"], 6);
        assert_eq!(view["transitions"], 2);
        assert_eq!(view["consecutive_failures"], 3);
        assert_eq!(view["last"]["result"], "down");
    }

    #[test]
    fn refused_goes_down_at_once() {
        let mut state = RiseFall::new(2, 5, true);
        assert_eq!(state.record(&down(false)), None);
        assert_eq!(state.record(&down(true)), Some(false));
        // A refused check while down changes nothing.
        assert_eq!(state.record(&down(true)), None);
    }

    #[test]
    fn zero_rise_and_fall_count_as_one() {
        let mut state = RiseFall::new(0, 0, true);
        assert_eq!(state.record(&down(false)), Some(false));
        assert_eq!(state.record(&up()), Some(true));
        assert_eq!(state.view()["rise"], 1);
    }

    /// A one-connection-at-a-time HTTP server answering every request with `status`.
    async fn serve(status: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = vec![0u8; 4096];
                let mut read = 0;
                while !request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut request[read..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => read += n,
                    }
                }
                let text = String::from_utf8_lossy(&request[..read]).to_string();
                assert!(text.starts_with("GET /health?x=1 HTTP/1.1\r\n"), "{text}");
                assert!(text.to_ascii_lowercase().contains("connection: close"), "{text}");
                assert!(
                    text.to_ascii_lowercase().contains(&format!("host: {address}")),
                    "{text}"
                );
                let body = "a body nobody reads";
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        address
    }

    fn check(address: SocketAddr, timeout: Duration) -> HttpCheck {
        HttpCheck {
            url: url(&format!("http://{address}/health?x=1")),
            expect_status: vec![200],
            timeout,
        }
    }

    #[tokio::test]
    async fn probe_200_is_up() {
        let address = serve("200 OK").await;
        let outcome = probe(&check(address, Duration::from_secs(2))).await;
        assert!(matches!(outcome, ProbeOutcome::Up { status: 200, .. }), "{outcome:?}");
    }

    #[tokio::test]
    async fn probe_503_is_down() {
        let address = serve("503 Service Unavailable").await;
        let outcome = probe(&check(address, Duration::from_secs(2))).await;
        match outcome {
            ProbeOutcome::Down { reason, refused, .. } => {
                assert_eq!((reason.as_str(), refused), ("HTTP status 503", false));
            }
            other => panic!("expected Down, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn probe_of_a_closed_port_is_refused_at_once() {
        // Bind, learn the port, close: nothing listens there any more.
        let address = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("address")
        };
        let outcome = probe(&check(address, Duration::from_secs(2))).await;
        match outcome {
            ProbeOutcome::Down { refused, elapsed, .. } => {
                assert!(refused, "{outcome:?}");
                assert!(elapsed < Duration::from_millis(50), "{elapsed:?}");
            }
            other => panic!("expected Down, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn probe_of_a_silent_server_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        // Accepts and holds connections, never answers.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let timeout = Duration::from_millis(100);
        let outcome = probe(&check(address, timeout)).await;
        match outcome {
            ProbeOutcome::Down {
                refused,
                elapsed,
                ref reason,
            } => {
                assert!(!refused);
                assert!(reason.contains("within 100 ms"), "{reason}");
                assert!(elapsed >= timeout && elapsed < timeout * 3, "{elapsed:?}");
            }
            other => panic!("expected Down, got {other:?}"),
        }
    }
}
