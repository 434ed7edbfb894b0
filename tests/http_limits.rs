//! The HTTP server cannot be exhausted by idle or half-sent requests: such connections are
//! closed after the header-read timeout, at most `max_connections` are held, and `/livez`
//! answers again once the idle ones are gone.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use psimon::output::http::{HttpLimits, HttpState, serve_with};
use psimon::output::metrics::Metrics;

fn livez(port: u16) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn idle_and_half_sent_connections_are_closed_and_bounded() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let limits = HttpLimits {
        max_connections: 16,
        header_read_timeout: Duration::from_millis(500),
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(serve_with(
        listener,
        HttpState::new(Metrics::new()),
        async {
            let _ = stop_rx.await;
        },
        limits,
    ));
    assert!(livez(port).is_some_and(|r| r.starts_with("HTTP/1.1 200")));

    // 100 clients: half send nothing, half a partial request head.
    let mut idle: Vec<TcpStream> = (0..100)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            if i % 2 == 0 {
                s.write_all(b"GET /livez HTTP/1.1\r\nHost: x\r\n").unwrap();
            }
            s
        })
        .collect();
    // The server holds at most 16; past the timeout it has closed every one of them.
    std::thread::sleep(Duration::from_millis(1500));
    let mut closed = 0;
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut rest = Vec::new();
        // Closed: EOF (perhaps after a 408 answer) or a reset; still open: a time-out.
        match s.read_to_end(&mut rest) {
            Ok(_) => closed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed += 1,
            Err(_) => {}
        }
    }
    assert_eq!(closed, 100, "every idle connection is closed by the server");
    assert!(
        livez(port).is_some_and(|r| r.starts_with("HTTP/1.1 200")),
        "/livez answers once the idle connections are gone"
    );
    let _ = stop_tx.send(());
    rt.block_on(server).unwrap().unwrap();
}
