//! HTTP/1.1 as a `Protocol`: requests encoded once per run
//! (`request::HttpRequest`), responses parsed incrementally
//! (`response::ResponseParser`).

use super::request::HttpRequest;
use super::response::{ResponseParser, Step};
use crate::dynamic::Values;
use crate::journey::capture::{Captured, Keep};
use crate::plan::RequestSpec;
use crate::protocol::{Decoded, Protocol};
use crate::record::ErrorKind;

pub(crate) struct Http1;

impl Protocol for Http1 {
    type Request = HttpRequest;
    type Decoder = ResponseParser;

    fn prepare(&self, spec: &RequestSpec, closing: bool) -> Result<HttpRequest, String> {
        HttpRequest::new(spec, closing)
    }

    #[inline]
    fn fixed<'r>(&self, request: &'r HttpRequest, last: bool) -> Option<&'r [u8]> {
        request.fixed(last)
    }

    fn render(
        &self,
        request: &HttpRequest,
        values: &mut Values<'_>,
        scratch: &mut Vec<u8>,
        out: &mut Vec<u8>,
        last: bool,
    ) {
        request.render(values, out, scratch, last);
    }

    fn pipelines(&self) -> bool {
        true
    }

    fn decoder(&self) -> ResponseParser {
        ResponseParser::new()
    }

    #[inline]
    fn expect(&self, parser: &mut ResponseParser, request: &HttpRequest, _opened: bool) {
        parser.start(request.is_head);
        match &request.keep {
            Keep::Nothing => {}
            Keep::Cookies => parser.capture_cookies(),
            Keep::Spec(spec) => parser.capture(spec),
        }
    }

    #[inline]
    fn captured(&self, parser: &mut ResponseParser) -> Option<Box<Captured>> {
        parser.take_captured()
    }

    #[inline]
    fn decode(&self, parser: &mut ResponseParser, bytes: &[u8]) -> Decoded {
        match parser.feed(bytes) {
            Ok(Step::NeedMore) => Decoded::NeedMore,
            Ok(Step::Done { response, consumed }) => Decoded::Done {
                status: response.status,
                bytes: response.bytes,
                consumed,
                keep_alive: response.keep_alive,
            },
            Err(_) => Decoded::Failed(ErrorKind::Parse),
        }
    }

    fn end_of_stream(&self, parser: &mut ResponseParser) -> Decoded {
        match parser.finish_on_eof() {
            Ok(r) => Decoded::Done {
                status: r.status,
                bytes: r.bytes,
                consumed: 0,
                keep_alive: false,
            },
            Err(_) => Decoded::Failed(ErrorKind::Closed),
        }
    }

    fn received(&self, parser: &ResponseParser) -> (u16, u64) {
        (parser.status(), parser.bytes())
    }
}
