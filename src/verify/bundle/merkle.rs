//! Transparency-log inclusion: RFC 6962 Merkle inclusion proofs and signed-note checkpoints
//! (C2SP `signed-note`/`tlog-checkpoint`), checked offline against the log key.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest, Sha256};

use crate::verify::trust_root::TransparencyLog;

/// Why an inclusion proof or checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    #[error("inclusion proof is malformed")]
    Malformed,
    #[error("inclusion proof does not lead to the stated root hash")]
    RootMismatch,
    #[error("checkpoint is malformed")]
    BadCheckpoint,
    #[error("checkpoint is for another tree (root hash or size differs from the proof)")]
    CheckpointMismatch,
    #[error("checkpoint carries no valid signature by the log")]
    CheckpointSignature,
}

fn node(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

/// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Result<[u8; 32], InclusionError> {
    if index >= size {
        return Err(InclusionError::Malformed);
    }
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    // `inner` is 64 when `size` exceeds 2^63: shifting a u64 by 64 overflows, and the bits
    // above it are none.
    let border = index.checked_shr(inner as u32).unwrap_or(0).count_ones() as usize;
    if proof.len() != inner + border {
        return Err(InclusionError::Malformed);
    }
    let mut res = leaf;
    for (i, h) in proof[..inner].iter().enumerate() {
        res = if (index >> i) & 1 == 0 {
            node(&res, h)
        } else {
            node(h, &res)
        };
    }
    for h in &proof[inner..] {
        res = node(h, &res);
    }
    Ok(res)
}

/// A parsed checkpoint body.
pub struct CheckpointBody {
    pub origin: String,
    pub size: u64,
    pub root_hash: Vec<u8>,
}

/// Verifies a signed-note checkpoint: some signature line names the log (the host of its base
/// URL), carries the log's key hint (first 4 bytes of its log ID) and verifies over the note
/// body with the log key. Returns the body.
pub fn verify_checkpoint(
    envelope: &str,
    log: &TransparencyLog,
) -> Result<CheckpointBody, InclusionError> {
    let (text, sigs) = envelope
        .split_once("\n\n")
        .ok_or(InclusionError::BadCheckpoint)?;
    let signed = format!("{text}\n");
    let mut lines = text.split('\n');
    let origin = lines.next().unwrap_or_default().to_string();
    let size = lines
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or(InclusionError::BadCheckpoint)?;
    let root_hash = lines
        .next()
        .and_then(|s| STANDARD.decode(s).ok())
        .ok_or(InclusionError::BadCheckpoint)?;
    if origin.is_empty() || root_hash.len() != 32 {
        return Err(InclusionError::BadCheckpoint);
    }
    let host = log.base_url.as_deref().map(|u| {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_string()
    });
    let hint = log.log_id.get(..4).ok_or(InclusionError::BadCheckpoint)?;
    let verified = sigs.lines().filter(|l| !l.is_empty()).any(|line| {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return false;
        };
        let Some((name, sig_b64)) = rest.rsplit_once(' ') else {
            return false;
        };
        if host.as_deref().is_some_and(|h| h != name) {
            return false;
        }
        let Ok(sig) = STANDARD.decode(sig_b64) else {
            return false;
        };
        sig.len() > 4 && &sig[..4] == hint && log.key.verifies(&sig[4..], signed.as_bytes())
    });
    if !verified {
        return Err(InclusionError::CheckpointSignature);
    }
    Ok(CheckpointBody {
        origin,
        size,
        root_hash,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn two_leaf_tree() {
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let root = node(&a, &b);
        assert_eq!(root_from_proof(0, 2, a, &[b]).unwrap(), root);
        assert_eq!(root_from_proof(1, 2, b, &[a]).unwrap(), root);
        assert!(root_from_proof(2, 2, b, &[a]).is_err());
        let c = leaf_hash(b"c");
        let root3 = node(&root, &c);
        assert_eq!(root_from_proof(2, 3, c, &[root]).unwrap(), root3);
        assert_eq!(root_from_proof(0, 3, a, &[b, c]).unwrap(), root3);
    }
}
