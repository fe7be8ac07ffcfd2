//! Images in pod templates that are not pinned by digest, reported with the discover stage's
//! rule `GATE-IMG-001` (`unpinned-image`): lint runs offline, so it sees what `gate pin` would
//! fix even when discovery is not run.

use crate::discover::UNPINNED_IMAGE;
use crate::lint::pod::field;
use crate::lint::rules::pods;
use crate::lint::{Context, Hit};
use crate::yaml::Node;

/// The tag and digest of an image reference as written (`name[:tag][@digest]`).
pub fn split_image(image: &str) -> (Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last = rest.rsplit('/').next().unwrap_or(rest);
    (last.split_once(':').map(|(_, t)| t), digest)
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, _, pod) in pods(cx) {
        for c in pod.containers() {
            let node = field(Some(c.node), "image");
            let image = node.and_then(Node::as_str).unwrap_or("");
            if matches!(split_image(image), (_, Some(d)) if !d.is_empty()) {
                continue;
            }
            out.push(cx.hit(
                &UNPINNED_IMAGE,
                i,
                node.unwrap_or(c.node),
                format!(
                    "Image `{image}` of container `{}` is not pinned by digest (`{}`); run `gate pin`",
                    c.name(),
                    c.field_path("image")
                ),
            )
            .in_container(&c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn splits_tag_and_digest() {
        assert_eq!(split_image("nginx"), (None, None));
        assert_eq!(split_image("localhost:5000/app:1.0"), (Some("1.0"), None));
        assert_eq!(split_image("localhost:5000/app"), (None, None));
        assert_eq!(
            split_image("busybox:1.38@sha256:abc"),
            (Some("1.38"), Some("sha256:abc"))
        );
    }
}
