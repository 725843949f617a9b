#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stampede::fuzzing::serve_request(data));
