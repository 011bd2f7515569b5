#![no_main]
//! See hush_core::fuzzing::json_splice.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_core::fuzzing::json_splice(data));
