#![no_main]
//! See hush_core::fuzzing::enc_value.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_core::fuzzing::enc_value(data));
