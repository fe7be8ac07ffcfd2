//! GitHub Actions workflows: `jobs.*.container` (a string or `image:`), `jobs.*.services.*.image`,
//! steps' `uses: docker://…` and steps' `with.image` (the image input of actions such as
//! `docker/setup-qemu-action`). `${{ … }}` expressions are reported, not resolved. A local
//! action's `action.yml`: `runs.image: docker://…` and its composite steps (its Dockerfile is
//! read by [`super::follow`]).

use super::scalar::reference;
use super::{Sink, UseKind};
use crate::yaml::{Node, Value};

pub fn doc(sink: &mut Sink, doc: &Node) {
    for (_, job) in doc.get("jobs").and_then(Node::as_map).unwrap_or_default() {
        if let Some(c) = job.get("container") {
            match &c.value {
                Value::Scalar(..) => reference(sink, c, UseKind::Workflow, ""),
                _ => {
                    if let Some(image) = c.get("image") {
                        reference(sink, image, UseKind::Workflow, "");
                    }
                }
            }
        }
        for (_, service) in job
            .get("services")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            if let Some(image) = service.get("image") {
                reference(sink, image, UseKind::Workflow, "");
            }
        }
        steps(sink, job.get("steps"));
    }
}

fn steps(sink: &mut Sink, steps: Option<&Node>) {
    for step in steps.and_then(Node::as_seq).unwrap_or_default() {
        if let Some(uses) = step.get("uses") {
            reference(sink, uses, UseKind::Workflow, "docker://");
        }
        if let Some(image) = step.path(&["with", "image"]) {
            reference(sink, image, UseKind::Workflow, "");
        }
    }
}

/// A GitHub action's `action.yml`: a Docker action's `runs.image` when it is `docker://…` (a
/// Dockerfile path is followed), and a composite action's steps.
pub fn action(sink: &mut Sink, doc: &Node) {
    if let Some(image) = doc.path(&["runs", "image"]) {
        reference(sink, image, UseKind::Workflow, "docker://");
    }
    steps(sink, doc.path(&["runs", "steps"]));
}
