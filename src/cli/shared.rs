//! Flags that more than one command takes, declared once. argh has no
//! `flatten`, so [`args_struct!`] writes them into each command's struct
//! where it names their group (`@request,`), keeping the order of the
//! help text, and gives the struct `forward_shared`, which copies them
//! into `run`'s flags: a command built on `run`'s plan (find-max) hands
//! them all on without listing them again.
//!
//! Each field is matched as `#[...]* pub[(...)] NAME: TYPE[<TYPE>],` and
//! passed on token by token, so that argh's derive sees the types as
//! written (`Option<String>`, `Vec<String>`, `bool`): it tells options,
//! repeated options and switches apart by them.

/// A command's argh struct, with `@group,` where a group of shared flags
/// goes. The groups, in the order `run` lists them:
/// - `@scenario_vars`: `--host`, `--var`, `--no-cookies`
/// - `@arrival`: `--arrival`
/// - `@request`: `-t`, `--cpus`, `-m`, `-H`, `-b`, `--body-file`
/// - `@connection`: `--timeout`, the https flags, `--no-keepalive`,
///   `--requests-per-conn`, `--pipeline`
/// - `@no_out`, `@quiet`, `@resp3`: one flag each
macro_rules! args_struct {
    (
        $(#[$($m:tt)*])*
        pub struct $name:ident { $($body:tt)* }
    ) => {
        args_struct!(@munch $name [$(#[$($m)*])* pub struct $name] [] [] $($body)*);
    };

    // All fields placed: the struct, and its hand-on of the shared flags.
    (@munch $name:ident [$($head:tt)*] [$($fields:tt)*] [$($shared:ident)*]) => {
        $($head)* { $($fields)* }

        impl $name {
            /// Copy the flags this command shares with `run` into `run`'s.
            #[allow(dead_code, clippy::clone_on_copy)]
            pub(crate) fn forward_shared(&self, run: &mut $crate::cli::run::RunArgs) {
                $(run.$shared = self.$shared.clone();)*
            }
        }
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @scenario_vars, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// base URL for the scenario's relative URLs, e.g. http://127.0.0.1:8080; it also replaces the scheme, host and port of its absolute URLs
            #[argh(option)]
            pub(crate) host: Option<String>,

            /// set a scenario variable, name=value; repeat for more (overrides the file's)
            #[argh(option)]
            pub(crate) var: Vec<String>,

            /// a scenario's users keep no cookies (by default each keeps a jar: the Set-Cookie of its replies goes back in its requests, by domain, path, expiry and Secure)
            #[argh(switch)]
            pub(crate) no_cookies: bool,
        ] [$($shared)* host var no_cookies] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @arrival, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// open-model arrivals: uniform (evenly spaced) or poisson (default uniform)
            #[argh(option)]
            pub(crate) arrival: Option<String>,
        ] [$($shared)* arrival] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @request, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// worker threads (default: one per available core)
            #[argh(option, short = 't')]
            pub(crate) threads: Option<usize>,

            /// pin the workers to these cores, e.g. 0 or 0,2 or 1-3; sets the thread count
            #[argh(option)]
            pub(crate) cpus: Option<String>,

            /// HTTP method (default GET, or POST when a body is given)
            #[argh(option, short = 'm')]
            pub(crate) method: Option<String>,

            /// request header "Name: value"; repeat for more
            #[argh(option, short = 'H')]
            pub(crate) header: Vec<String>,

            /// request body text
            #[argh(option, short = 'b')]
            pub(crate) body: Option<String>,

            /// request body read from a file (a regular file or a pipe, at most 1 GiB)
            #[argh(option)]
            pub(crate) body_file: Option<String>,
        ] [$($shared)* threads cpus method header body body_file] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @connection, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// per-request timeout, counted from the moment the request was due: 2 (seconds), 500ms, 2s (default 10s)
            #[argh(option)]
            pub(crate) timeout: Option<String>,

            /// https: trust the CAs in this PEM file too, besides the system's
            #[argh(option)]
            pub cacert: Option<String>,

            /// https: do not verify the server's certificate (a warning says so once)
            #[argh(switch, short = 'k')]
            pub insecure: bool,

            /// https: a client certificate (PEM) for mutual TLS; goes with --key
            #[argh(option)]
            pub cert: Option<String>,

            /// https: the client certificate's private key (PEM)
            #[argh(option)]
            pub key: Option<String>,

            /// https: a full handshake on every new connection, no session resumption (to measure its cost)
            #[argh(switch)]
            pub no_tls_resume: bool,

            /// a new connection for every request (the request says Connection: close)
            #[argh(switch)]
            pub no_keepalive: bool,

            /// close each connection after N requests and open a new one (default: keep it while the server does)
            #[argh(option, from_str_fn(parse_count))]
            pub requests_per_conn: Option<u64>,

            /// up to N requests in flight on each connection, their replies read in order (HTTP/1.1 pipelining, Redis pipelines; default 1); -c stays the connections
            #[argh(option, from_str_fn(parse_count))]
            pub pipeline: Option<u64>,
        ] [$($shared)* timeout cacert insecure cert key no_tls_resume no_keepalive
            requests_per_conn pipeline] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @no_out, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// write no CSV; the live lines and the summary still work
            #[argh(switch)]
            pub(crate) no_out: bool,
        ] [$($shared)* no_out] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @quiet, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// no live lines on stderr
            #[argh(switch, short = 'q')]
            pub(crate) quiet: bool,
        ] [$($shared)* quiet] $($rest)*);
    };

    (@munch $name:ident $head:tt [$($fields:tt)*] [$($shared:ident)*] @resp3, $($rest:tt)*) => {
        args_struct!(@munch $name $head [$($fields)*
            /// redis://: each new connection says HELLO 3 first, so replies come in RESP3
            #[argh(switch)]
            pub(crate) resp3: bool,
        ] [$($shared)* resp3] $($rest)*);
    };

    // A command's own field, passed on as written.
    (@munch $name:ident $head:tt [$($fields:tt)*] $shared:tt
        $(#[$($a:tt)*])* pub $(($($vis:tt)*))? $field:ident : $ty:ident $(<$arg:ident>)?,
        $($rest:tt)*
    ) => {
        args_struct!(@munch $name $head [$($fields)*
            $(#[$($a)*])* pub $(($($vis)*))? $field: $ty $(<$arg>)?,
        ] $shared $($rest)*);
    };
}
