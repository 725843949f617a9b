#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stampede::fuzzing::report_hlog(data));
