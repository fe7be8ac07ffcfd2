//! `image-latest-tag`: an image referenced as `:latest` or with no tag (which means `latest`),
//! without a digest.

use crate::finding::Rule;
use crate::finding::Severity;
use crate::lint::pod::field;
use crate::lint::rules::pods;
use crate::lint::rules::unpinned_image::split_image;
use crate::lint::{Context, Hit};

pub const RULE: Rule = Rule {
    id: "GATE-K8S-060",
    name: "image-latest-tag",
    severity: Severity::Warning,
    section: crate::finding::Section::Rules,
    summary: "Image uses the `latest` tag or no tag",
    explain: r#"## What it checks
Every container's `image`: it names a tag other than `latest`, or carries a digest.

## Why it matters
"You should avoid using the `:latest` tag when deploying containers in production as it is harder
to track which version of the image is running and more difficult to roll back properly." With no
tag, `latest` is implied, and the kubelet's default pull policy becomes `Always`. (Kubernetes,
Configuration Best Practices and Images)

## How to fix
Failing:
```yaml
image: ghcr.io/acme/shop
```
Fixed (best: pinned by `gate pin`):
```yaml
image: ghcr.io/acme/shop:1.4.2@sha256:3f1c…
```

## References
- https://kubernetes.io/docs/concepts/configuration/overview/#container-images
- https://kubernetes.io/docs/concepts/containers/images/#updating-images
"#,
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Hit>) {
    for (i, _, pod) in pods(cx) {
        for c in pod.containers() {
            let Some(node) = field(Some(c.node), "image") else {
                continue;
            };
            let image = node.as_str().unwrap_or("");
            let message = match split_image(image) {
                (_, Some(_)) => continue,
                (Some("latest"), None) => format!(
                    "Image `{image}` of container `{}` uses the `latest` tag",
                    c.name()
                ),
                (None, None) => format!(
                    "Image `{image}` of container `{}` has no tag, so it means `latest`",
                    c.name()
                ),
                (Some(_), None) => continue,
            };
            out.push(cx.hit(&RULE, i, node, message).in_container(&c));
        }
    }
}
