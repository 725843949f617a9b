//! `stampede serve` and `stampede demo`.

use std::path::Path;
use std::sync::Arc;

use argh::FromArgs;

use crate::serve::tls::{self, TlsFiles};

#[derive(FromArgs, Debug)]
/// Run the built-in target server until Ctrl-C.
#[argh(
    subcommand,
    name = "serve",
    example = "stampede serve",
    example = "stampede serve --addr 127.0.0.1:0 --cpus 1",
    example = "stampede serve --stall 1s/4s",
    example = "stampede serve --tls-cert server.pem --tls-key server.key",
    note = "Routes: GET /hello, POST /api/upload (echo), GET /delay/{{ms}}, GET /work/{{us}}, \
            GET /status/{{code}}, GET /bytes/{{n}}, GET /chunked/{{n}}, GET /close, POST /api/login, \
            GET /api/me. Port 0 picks a free port; the \
            address actually bound is printed on stdout. On Ctrl-C or SIGTERM one line on \
            stderr says how many requests, connections and TLS handshakes it served."
)]
pub struct ServeArgs {
    /// address to listen on (default 127.0.0.1:8080)
    #[argh(option, default = "String::from(\"127.0.0.1:8080\")")]
    pub(crate) addr: String,

    /// server threads, each pinned to a core (default: one per available core)
    #[argh(option, short = 't')]
    pub(crate) threads: Option<usize>,

    /// pin the server threads to these cores, e.g. 1 or 0,2 or 1-3 (sets the thread count)
    #[argh(option)]
    pub(crate) cpus: Option<String>,

    /// hold every response for HOLD out of every EVERY, like a GC pause, e.g. 1s/4s; the first hold starts at EVERY - HOLD (default none)
    #[argh(option)]
    pub(crate) stall: Option<String>,

    /// serve HTTPS (TLS 1.2 and 1.3) with this PEM certificate chain, the server's certificate first; needs --tls-key
    #[argh(option)]
    pub tls_cert: Option<String>,

    /// the PEM private key of --tls-cert
    #[argh(option)]
    pub tls_key: Option<String>,

    /// require a client certificate signed by a CA in this PEM file (mutual TLS); needs --tls-cert
    #[argh(option)]
    pub tls_client_ca: Option<String>,
}

impl ServeArgs {
    /// The TLS config the flags ask for, read and checked now: None for
    /// plain HTTP.
    pub(crate) fn tls_config(&self) -> Result<Option<Arc<rustls::ServerConfig>>, String> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (None, None) if self.tls_client_ca.is_some() => {
                return Err("--tls-client-ca needs --tls-cert and --tls-key".into());
            }
            (None, None) => return Ok(None),
            (Some(_), None) => return Err("--tls-cert needs --tls-key".into()),
            (None, Some(_)) => return Err("--tls-key needs --tls-cert".into()),
            (Some(cert), Some(key)) => (cert, key),
        };
        let files = TlsFiles {
            cert: Path::new(cert),
            key: Path::new(key),
            client_ca: self.tls_client_ca.as_deref().map(Path::new),
        };
        tls::server_config(&files).map(Some)
    }
}

#[derive(FromArgs, Debug)]
/// Start the built-in server and load-test it: a short run that needs nothing else.
#[argh(
    subcommand,
    name = "demo",
    example = "stampede demo",
    example = "stampede demo -d 3s -c 10 -o /tmp/demo.csv",
    note = "The cores are split between the server and the client (one each on two cores)."
)]
pub struct DemoArgs {
    /// virtual users (default 50)
    #[argh(option, short = 'c', default = "50")]
    pub(crate) users: usize,

    /// run time, e.g. 500ms, 30s, 2m (default 10s)
    #[argh(option, short = 'd', default = "String::from(\"10s\")")]
    pub(crate) duration: String,

    /// where to write the CSV (default results.csv)
    #[argh(option, short = 'o', default = "String::from(\"results.csv\")")]
    pub(crate) out: String,
}
