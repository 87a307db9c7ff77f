//! A TCP proxy in front of LocalStack that a test can switch off and on, so that one
//! portal sees "LocalStack stopped in the middle of a flow" without disturbing the other
//! tests that share the real LocalStack. Down: new and pooled connections are cut on
//! their next bytes. Hung: connections are accepted and never answered (a slow AWS).
//! A lost answer: the next request that contains a marker reaches LocalStack, which does
//! it, but its answer never comes back (the connection is cut), as a timed-out attempt or
//! a dropped connection looks to the SDK, which then tries the request again.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const UP: u8 = 0;
const DOWN: u8 = 1;
const HUNG: u8 = 2;

#[derive(Clone)]
pub struct FaultProxy {
    pub endpoint: String,
    mode: Arc<AtomicU8>,
    lose: Lose,
}

/// The markers whose next request's answer is to be lost, each once; and how many were.
#[derive(Clone, Default)]
struct Lose(Arc<Mutex<(Vec<Vec<u8>>, usize)>>);

impl Lose {
    /// Whether `chunk` carries an armed marker (which is then disarmed).
    fn hit(&self, chunk: &[u8]) -> bool {
        let mut g = self.0.lock().unwrap();
        let found =
            g.0.iter()
                .position(|m| chunk.windows(m.len()).any(|w| w == &m[..]));
        if let Some(i) = found {
            g.0.remove(i);
            g.1 += 1;
        }
        found.is_some()
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (host:port) on a free local port.
    pub async fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(UP));
        let upstream = upstream.to_owned();
        let m = mode.clone();
        let lose = Lose::default();
        let l = lose.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (m, l, upstream) = (m.clone(), l.clone(), upstream.clone());
                tokio::spawn(async move {
                    if m.load(Ordering::SeqCst) != UP {
                        hold_or_drop(client, &m).await;
                        return;
                    }
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        pipe(client, server, m, l).await;
                    }
                });
            }
        });
        FaultProxy {
            endpoint,
            mode,
            lose,
        }
    }

    /// The next request containing `marker` is done upstream but its answer is lost.
    pub fn lose_answer_to(&self, marker: &[u8]) {
        self.lose.0.lock().unwrap().0.push(marker.to_vec());
    }

    /// How many answers were lost so far.
    pub fn answers_lost(&self) -> usize {
        self.lose.0.lock().unwrap().1
    }

    pub fn down(&self) {
        self.mode.store(DOWN, Ordering::SeqCst);
    }
    pub fn hang(&self) {
        self.mode.store(HUNG, Ordering::SeqCst);
    }
    pub fn up(&self) {
        self.mode.store(UP, Ordering::SeqCst);
    }
}

async fn hold_or_drop(client: TcpStream, m: &AtomicU8) {
    if m.load(Ordering::SeqCst) == HUNG {
        // Keep the socket open and silent until the client gives up.
        let mut client = client;
        let mut buf = [0u8; 4096];
        while matches!(client.read(&mut buf).await, Ok(n) if n > 0) {}
    }
}

/// Copies both ways, checking the switch before forwarding each chunk; when either side
/// ends (or the switch is off) both sockets close.
async fn pipe(client: TcpStream, server: TcpStream, m: Arc<AtomicU8>, lose: Lose) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let m2 = m.clone();
    let swallow = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let swallow2 = swallow.clone();
    let a = async move {
        let mut buf = vec![0u8; 16384];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if m2.load(Ordering::SeqCst) != UP || sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            if lose.hit(&buf[..n]) {
                // LocalStack does the request; its answer is read and dropped (below), and
                // then both sides are cut.
                swallow2.store(true, Ordering::SeqCst);
            }
        }
    };
    let b = async move {
        let mut buf = vec![0u8; 16384];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if swallow.load(Ordering::SeqCst) {
                break;
            }
            if m.load(Ordering::SeqCst) != UP || cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = a => {}
        _ = b => {}
    }
}
