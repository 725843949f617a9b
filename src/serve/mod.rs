//! The built-in target server. (Stub: being implemented.)

mod request;
mod response;
mod routes;

use std::io;
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub cores: Vec<usize>,
}

pub struct Server {
    addr: SocketAddr,
}

impl Server {
    pub fn start(cfg: ServeConfig) -> io::Result<Server> {
        Ok(Server { addr: cfg.addr })
    }
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn stop(self) {}
}
