#![no_main]
//! See hush_core::fuzzing::metadata.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_core::fuzzing::metadata(data));
