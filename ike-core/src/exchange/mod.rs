//! The exchanges: IKE_SA_INIT, IKE_INTERMEDIATE, IKE_AUTH (with EAP), INFORMATIONAL,
//! CREATE_CHILD_SA, IKE_FOLLOWUP_KE, and message dispatch.

pub(crate) mod cert;
pub(crate) mod cp;
pub(crate) mod create_child;
pub(crate) mod dispatch;
pub(crate) mod eap;
pub(crate) mod eap_method;
pub(crate) mod followup_ke;
pub(crate) mod ike_auth;
pub(crate) mod ike_collision;
pub(crate) mod ike_sa_init;
pub(crate) mod informational;
pub(crate) mod intermediate;
pub(crate) mod liveness;
pub(crate) mod mobike;
pub(crate) mod msg;
pub(crate) mod nego;
pub(crate) mod reauth;
pub(crate) mod revocation;
