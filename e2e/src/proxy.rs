//! A TCP proxy on loopback that stands for the network between one browser and the server,
//! so a test can take that one link down, cut it, or leave it half-open.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// What a [`Proxy`] does with the bytes and connections it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    /// Passes bytes both ways. A connection whose server cannot be reached is dropped.
    Forward,
    /// Accepts new connections and drops them at once, as a link to a server that is down
    /// looks to a browser. Connections already open keep flowing.
    Refuse,
    /// Keeps every connection, open or new, open but passes nothing either way, not even
    /// the end of a stream: a half-open link. Whatever was held flows again, in order, once
    /// the mode leaves `Blackhole`.
    Blackhole,
    /// Passes plain HTTP, but answers a request that asks for `Upgrade: websocket` with 403
    /// and closes, as a proxy that does not carry WebSockets does. Looks only at the first
    /// request of each new connection (browsers open a connection of its own for each
    /// WebSocket); connections already open keep flowing.
    RefuseUpgrades,
}

impl fmt::Display for ProxyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ProxyMode::Forward => "forward",
            ProxyMode::Refuse => "refuse",
            ProxyMode::Blackhole => "blackhole",
            ProxyMode::RefuseUpgrades => "refuse upgrades",
        };
        f.write_str(name)
    }
}

/// State shared by the proxy's accept loop and its connections.
struct Shared {
    mode: watch::Sender<ProxyMode>,
    /// Grows by one at each [`Proxy::cut_all`]; every connection ends when it moves.
    cuts: watch::Sender<u64>,
    accepted: AtomicUsize,
    live: AtomicUsize,
}

/// A proxy listening on `127.0.0.1` and passing connections on to one upstream address.
///
/// Dropping it closes its port and every connection through it.
pub struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind the proxy to a free loopback port");
        let addr = listener.local_addr().expect("read the proxy's address");
        let shared = Arc::new(Shared {
            mode: watch::Sender::new(ProxyMode::Forward),
            cuts: watch::Sender::new(0),
            accepted: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
        });
        let accept_loop = tokio::spawn(accept_loop(listener, upstream, Arc::clone(&shared)));
        Self {
            addr,
            upstream,
            shared,
            accept_loop,
        }
    }

    /// The address browsers connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where connections are passed on to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// The base URL of pages loaded through this proxy, e.g. `http://127.0.0.1:PORT/`.
    pub fn http_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The chat socket URL through this proxy, e.g. `ws://127.0.0.1:PORT/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// The current mode.
    pub fn mode(&self) -> ProxyMode {
        *self.shared.mode.borrow()
    }

    /// Switches the mode; it applies at once to new and open connections.
    pub fn set_mode(&self, mode: ProxyMode) {
        self.shared.mode.send_replace(mode);
    }

    /// Drops every connection open now, both sides, without a WebSocket close frame: the
    /// browser sees the link lost (1006) and the server a socket that ended. Returns how
    /// many there were.
    pub fn cut_all(&self) -> usize {
        let live = self.live();
        self.shared.cuts.send_modify(|cuts| *cuts += 1);
        live
    }

    /// How many connections the proxy has accepted so far, refused ones included.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many accepted connections are still open.
    pub fn live(&self) -> usize {
        self.shared.live.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // The accept loop owns the connections' tasks; aborting it drops them all.
        self.accept_loop.abort();
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        // Subscribed before the task starts, so a cut right after accepting still ends it.
        let cut = shared.cuts.subscribe();
        let mode = shared.mode.subscribe();
        let live = LiveConnection::new(Arc::clone(&shared));
        connections.spawn(async move {
            let _live = live;
            serve(client, upstream, mode, cut).await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Counts one open connection for as long as it lives.
struct LiveConnection(Arc<Shared>);

impl LiveConnection {
    fn new(shared: Arc<Shared>) -> Self {
        shared.live.fetch_add(1, Ordering::SeqCst);
        Self(shared)
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    mode: watch::Receiver<ProxyMode>,
    mut cut: watch::Receiver<u64>,
) {
    tokio::select! {
        // Returning drops both sockets: the cut is abrupt, with nothing said on either side.
        _ = cut.changed() => {}
        _ = forward(client, upstream, mode) => {}
    }
}

async fn forward(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<ProxyMode>,
) {
    let mut head = Vec::new();
    loop {
        let now = *mode.borrow_and_update();
        match now {
            ProxyMode::Forward => break,
            ProxyMode::RefuseUpgrades => {
                let Ok(read) = read_head(&mut client).await else {
                    return;
                };
                if asks_for_websocket(&read) {
                    let _ = client
                        .write_all(
                            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        )
                        .await;
                    return;
                }
                head = read;
                break;
            }
            ProxyMode::Refuse => return,
            // A new connection in a blackhole waits, unanswered, for the mode to change.
            ProxyMode::Blackhole => {
                if mode.changed().await.is_err() {
                    return;
                }
            }
        }
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    if server.write_all(&head).await.is_err() {
        return;
    }
    // WebSocket frames are small and latency is what the tests measure.
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (from_client, to_client) = client.into_split();
    let (from_server, to_server) = server.into_split();
    let _ = tokio::try_join!(
        pump(from_client, to_server, mode.clone()),
        pump(from_server, to_client, mode),
    );
}

/// The largest request head [`ProxyMode::RefuseUpgrades`] reads before passing it on.
const MAX_HEAD: usize = 16 * 1024;

/// Reads the client's bytes up to the end of the first request's headers (or what came
/// before the client stopped, or [`MAX_HEAD`]).
async fn read_head(client: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while head.len() < MAX_HEAD && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = client.read(&mut buf).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buf[..read]);
    }
    Ok(head)
}

/// Whether a request head has an `Upgrade` header naming `websocket`.
fn asks_for_websocket(head: &[u8]) -> bool {
    String::from_utf8_lossy(head).lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.strip_prefix("upgrade:")
            .is_some_and(|value| value.contains("websocket"))
    })
}

/// Copies one direction until its end, holding whatever it read while the proxy is a
/// blackhole. An error ends both directions, since `try_join!` drops the other.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<ProxyMode>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = from.read(&mut buf).await?;
        // The end of the stream is held too: a half-open link tells neither side anything.
        flowing(&mut mode).await?;
        if read == 0 {
            to.shutdown().await?;
            return Ok(());
        }
        to.write_all(&buf[..read]).await?;
    }
}

/// Returns once the proxy is not a blackhole.
async fn flowing(mode: &mut watch::Receiver<ProxyMode>) -> io::Result<()> {
    while *mode.borrow_and_update() == ProxyMode::Blackhole {
        mode.changed()
            .await
            .map_err(|_| io::Error::other("the proxy stopped"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    const WAIT: Duration = Duration::from_secs(5);

    /// A server that answers every connection by echoing what it reads.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream, text: &[u8]) -> io::Result<Vec<u8>> {
        stream.write_all(text).await?;
        let mut back = vec![0u8; text.len()];
        stream.read_exact(&mut back).await?;
        Ok(back)
    }

    /// Reads until the peer ends the stream (Ok) or resets it (Err); a timeout panics.
    async fn read_to_end(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
        let mut rest = Vec::new();
        timeout(WAIT, stream.read_to_end(&mut rest))
            .await
            .expect("the connection was not closed")?;
        Ok(rest)
    }

    #[tokio::test]
    async fn forward_passes_bytes_both_ways_and_counts_connections() {
        let proxy = Proxy::start(echo_server().await).await;
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        let back = timeout(WAIT, round_trip(&mut stream, b"hello"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, b"hello");
        assert_eq!(proxy.accepted(), 1);
        assert_eq!(proxy.live(), 1);
    }

    #[tokio::test]
    async fn refuse_drops_new_connections_and_keeps_open_ones() {
        let proxy = Proxy::start(echo_server().await).await;
        let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
        timeout(WAIT, round_trip(&mut open, b"before"))
            .await
            .unwrap()
            .unwrap();
        proxy.set_mode(ProxyMode::Refuse);

        let mut refused = TcpStream::connect(proxy.addr()).await.unwrap();
        let _ = refused.write_all(b"anyone?").await;
        let answer = read_to_end(&mut refused).await.unwrap_or_default();
        assert!(
            answer.is_empty(),
            "a refused connection answered {answer:?}"
        );

        let back = timeout(WAIT, round_trip(&mut open, b"still"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, b"still");
        assert_eq!(proxy.accepted(), 2);
    }

    #[tokio::test]
    async fn a_blackhole_holds_bytes_until_it_forwards_again() {
        let proxy = Proxy::start(echo_server().await).await;
        let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
        timeout(WAIT, round_trip(&mut open, b"ping"))
            .await
            .unwrap()
            .unwrap();
        proxy.set_mode(ProxyMode::Blackhole);

        open.write_all(b"held").await.unwrap();
        let mut back = [0u8; 4];
        let silent = timeout(Duration::from_millis(300), open.read_exact(&mut back)).await;
        assert!(silent.is_err(), "bytes crossed a blackhole");

        let mut new = TcpStream::connect(proxy.addr()).await.unwrap();
        new.write_all(b"new!").await.unwrap();
        let mut new_back = [0u8; 4];
        let silent = timeout(Duration::from_millis(300), new.read_exact(&mut new_back)).await;
        assert!(
            silent.is_err(),
            "a new connection was served in a blackhole"
        );

        proxy.set_mode(ProxyMode::Forward);
        timeout(WAIT, open.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&back, b"held");
        timeout(WAIT, new.read_exact(&mut new_back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&new_back, b"new!");
    }

    #[tokio::test]
    async fn cut_all_ends_open_connections_and_forwards_new_ones() {
        let proxy = Proxy::start(echo_server().await).await;
        let mut first = TcpStream::connect(proxy.addr()).await.unwrap();
        let mut second = TcpStream::connect(proxy.addr()).await.unwrap();
        for stream in [&mut first, &mut second] {
            timeout(WAIT, round_trip(stream, b"up"))
                .await
                .unwrap()
                .unwrap();
        }
        assert_eq!(proxy.cut_all(), 2);
        for stream in [&mut first, &mut second] {
            let rest = read_to_end(stream).await.unwrap_or_default();
            assert!(rest.is_empty(), "a cut connection still said {rest:?}");
        }

        let mut third = TcpStream::connect(proxy.addr()).await.unwrap();
        let back = timeout(WAIT, round_trip(&mut third, b"again"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, b"again");
        assert_eq!(proxy.accepted(), 3);
    }

    #[tokio::test]
    async fn a_connection_to_a_server_that_is_down_is_dropped() {
        let nowhere = {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
            listener.local_addr().unwrap()
        };
        let proxy = Proxy::start(nowhere).await;
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        let rest = read_to_end(&mut stream).await.unwrap_or_default();
        assert!(rest.is_empty());
    }

    #[tokio::test]
    async fn refuse_upgrades_answers_websocket_requests_403_and_passes_plain_http() {
        let proxy = Proxy::start(echo_server().await).await;
        proxy.set_mode(ProxyMode::RefuseUpgrades);
        let mut upgrade = TcpStream::connect(proxy.addr()).await.unwrap();
        upgrade
            .write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\r\n")
            .await
            .unwrap();
        let answer = read_to_end(&mut upgrade).await.unwrap();
        assert!(answer.starts_with(b"HTTP/1.1 403"));
        let request = b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut plain = TcpStream::connect(proxy.addr()).await.unwrap();
        let back = timeout(WAIT, round_trip(&mut plain, request))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, request);
    }
}
