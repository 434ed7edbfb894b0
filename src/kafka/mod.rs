//! What every Kafka client of psimon shares, below the pipeline and the state: librdkafka's
//! properties as psimon sets and checks them ([`props`]), its log routed into psimon's with
//! the last connection problem kept for `/readyz` ([`log`]), and what this build of
//! librdkafka supports ([`build`]). No consuming, producing or state here.

pub(crate) mod build;
pub(crate) mod log;
pub(crate) mod props;
