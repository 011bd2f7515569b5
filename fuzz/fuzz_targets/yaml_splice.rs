#![no_main]
//! See hush_core::fuzzing::yaml_splice.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_core::fuzzing::yaml_splice(data));
