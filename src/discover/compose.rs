//! docker-compose and swarm stack files: `services.*.image` (following `<<` merge keys).

use super::scalar::reference;
use super::{Sink, UseKind};
use crate::yaml::Node;

pub fn doc(sink: &mut Sink, doc: &Node) {
    for (_, service) in doc
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        if let Some(image) = service.get("image") {
            reference(sink, image, UseKind::Compose, "");
        }
    }
}
