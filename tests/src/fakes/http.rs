//! A tiny HTTP/1.1 server for fakes: one request per connection
//! (`Connection: close`), request line and headers parsed, body read by
//! `Content-Length`. Enough for the Worker's `fetch` and nothing more.

use std::future::Future;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct FakeRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl FakeRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a fake answers.
#[derive(Debug, Clone)]
pub struct FakeResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl FakeResponse {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        FakeResponse {
            status,
            content_type: "application/json",
            body: body.to_string().into_bytes(),
        }
    }
}

/// A running server; stops when dropped.
pub struct FakeServer {
    pub base_url: String,
    task: JoinHandle<()>,
}

impl FakeServer {
    /// Serves `handler` on a free loopback port.
    pub async fn start<F, Fut>(handler: F) -> FakeServer
    where
        F: Fn(FakeRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = FakeResponse> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
        let port = listener.local_addr().expect("fake addr").port();
        let handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                let handler = handler.clone();
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut stream).await else {
                        return;
                    };
                    // A HEAD answer has the GET's headers and no body.
                    let is_head = req.method == "HEAD";
                    let resp = handler(req).await;
                    let head = format!(
                        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        resp.status,
                        reason(resp.status),
                        resp.content_type,
                        resp.body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    if !is_head {
                        let _ = stream.write_all(&resp.body).await;
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        FakeServer {
            base_url: format!("http://127.0.0.1:{port}"),
            task,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<FakeRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(FakeRequest {
        method,
        path,
        headers,
        body,
    })
}
