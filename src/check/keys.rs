//! The keys the stages of `gate check` join on. An image is one reference as written
//! ([`ImageId`]); a digest target is where its content lives, `(repository, digest)`
//! ([`DigestTarget`]). Stage results are maps keyed by these; nothing is paired by position or
//! by comparing spellings.

use crate::evidence::Source;
use crate::reference::Reference;
use crate::resolve::Resolved;
use std::collections::HashMap;
use std::fmt;

/// One image: a distinct reference as written (in files or on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageId(usize);

/// Where an image's content lives: the canonical repository and the manifest (or index) digest.
/// Two names of one build are two targets with one digest; two tags of one repository that
/// point at one build are one target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestTarget {
    /// `domain/path`, normalised (`docker.io/library/nginx`).
    pub repository: String,
    /// `sha256:…`.
    pub digest: String,
}

impl DigestTarget {
    pub fn of(r: &Resolved) -> Self {
        Self {
            repository: r.reference.name(),
            digest: r.digest.clone(),
        }
    }
}

impl DigestTarget {
    /// The subject of the target's findings.
    pub fn subject(&self) -> crate::finding::Subject {
        crate::finding::Subject::Image {
            repository: self.repository.clone(),
            digest: self.digest.clone(),
        }
    }
}

/// `repository@digest`: the subject of the target's findings in the evidence.
impl fmt::Display for DigestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.repository, self.digest)
    }
}

/// One image as discovery saw it.
#[derive(Debug, Clone)]
pub struct Image {
    pub reference: Reference,
    pub sources: Vec<Source>,
}

/// Every image of the run, in first-seen order, found by its spelling once (at discovery).
#[derive(Debug, Default)]
pub struct Images {
    list: Vec<Image>,
    by_spelling: HashMap<String, ImageId>,
}

impl Images {
    /// The image written as `r`, added on first sight; `source` is where it was seen.
    pub fn add(&mut self, r: &Reference, source: Source) -> ImageId {
        let next = ImageId(self.list.len());
        let id = *self
            .by_spelling
            .entry(r.original().to_string())
            .or_insert(next);
        if id == next {
            self.list.push(Image {
                reference: r.clone(),
                sources: Vec::new(),
            });
        }
        self.list[id.0].sources.push(source);
        id
    }

    /// The image a use in a file names (discovery already added it).
    pub fn id_of(&self, r: &Reference) -> Option<ImageId> {
        self.by_spelling.get(r.original()).copied()
    }

    pub fn get(&self, id: ImageId) -> &Image {
        &self.list[id.0]
    }

    pub fn iter(&self) -> impl Iterator<Item = (ImageId, &Image)> {
        self.list
            .iter()
            .enumerate()
            .map(|(i, img)| (ImageId(i), img))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Pair a stage's answers with the keys of its inputs. `answers` must come from a call that
/// returns exactly one answer per input, in input order (a stage that coalesces inputs keys its
/// answers itself). Should one be missing, its key is absent from the map, and every consumer
/// treats an absent key as "could not check".
pub fn keyed<K: Ord, V>(keys: Vec<K>, answers: Vec<V>) -> std::collections::BTreeMap<K, V> {
    debug_assert_eq!(keys.len(), answers.len(), "one answer per input");
    keys.into_iter().zip(answers).collect()
}
