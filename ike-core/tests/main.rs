//! ike-core's integration tests, as one test binary: each file beside this one is a module
//! of it (one link of aws-lc and the engine instead of one per file). Every `tests/*.rs` must be
//! declared here; `layers::every_test_file_is_a_module_of_the_test_binary` checks that.

mod common;
mod forge;

mod cp_reply;
mod crypto_auth;
mod crypto_capture;
mod crypto_dh;
mod crypto_keys;
mod crypto_mlkem;
mod crypto_prf;
mod crypto_sk;
mod cve_regressions;
mod engine_rng_failure;
mod layers;
mod proposal_addke;
mod proposal_errors;
mod proposal_format;
mod proposal_negotiate;
mod proposal_parse;
mod robustness;
mod sim_addke;
mod sim_addke_rekey;
mod sim_basic;
mod sim_certs;
mod sim_eap;
mod sim_failures;
mod sim_ike_collision;
mod sim_liveness;
mod sim_matrix;
mod sim_mobike;
mod sim_no_encap;
mod sim_pool;
mod sim_reauth;
mod sim_rekey;
mod sim_rekey_off;
mod sim_rekey_refused;
mod sim_revocation;
mod sim_stranger;
mod sim_v1;
mod ts_narrow;
mod ts_parse;
mod ts_pool;
mod v1_wire;
mod wire_capture;
mod wire_robustness;
mod wycheproof_rsa;
