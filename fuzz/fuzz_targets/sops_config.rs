#![no_main]
//! See hush_core::fuzzing::sops_config.
libfuzzer_sys::fuzz_target!(|data: &[u8]| hush_core::fuzzing::sops_config(data));
