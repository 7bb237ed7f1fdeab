//! Errors of the edge filter's manager, worded for the person at the terminal.
use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong while loading, attaching or editing the edge filter.
#[derive(Debug, Error)]
pub enum EdgeError {
    /// The binary embeds no XDP object (built with `AYA_BUILD_SKIP=1`).
    #[error(
        "this gateway binary embeds no XDP program (it was built with AYA_BUILD_SKIP=1); rebuild without it"
    )]
    NoProgram,
    /// The embedded object lacks a program or map the layout requires.
    #[error(
        "the embedded XDP program has no {kind} named {name}: it does not implement map layout v{version}"
    )]
    MissingInObject {
        /// `map` or `program`.
        kind: &'static str,
        /// Missing name.
        name: String,
        /// Layout version expected.
        version: u32,
    },
    /// A pinned map exists but its shape differs from the current layout.
    #[error(
        "pinned map {path} is incompatible with this gateway ({detail}); remove it (rm {path}) or use another --pin-dir"
    )]
    IncompatibleMap {
        /// Path of the pinned map.
        path: PathBuf,
        /// What differs.
        detail: String,
    },
    /// The maps are not pinned yet.
    #[error(
        "the edge filter's maps are not pinned under {dir}: run `gateway edge attach --iface IF` first"
    )]
    NotPinned {
        /// The versioned pin directory.
        dir: PathBuf,
    },
    /// bpffs could not be mounted or the pin directory is not on bpffs.
    #[error("{0}")]
    Bpffs(String),
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// No interface by that name.
    #[error("no network interface named {0:?} (see `ip link`)")]
    UnknownInterface(String),
    /// The interface already carries our filter.
    #[error(
        "the edge filter is already attached to {iface} (program id {program_id}); use --force to replace it, or `gateway edge detach --iface {iface}`"
    )]
    AlreadyAttached {
        /// Interface.
        iface: String,
        /// Program currently attached.
        program_id: u32,
    },
    /// The interface carries the filter of a map layout whose state this
    /// gateway cannot read (a newer gateway's, or an older one it does not know).
    #[error(
        "{iface} runs the edge filter of map layout v{version} (link pinned at {path}), which this gateway cannot read, so its bans would not be carried over; use --force to replace it anyway, or remove that pin"
    )]
    OtherLayoutAttached {
        /// Interface.
        iface: String,
        /// The other layout's link pin.
        path: PathBuf,
        /// The other layout's version.
        version: u32,
    },
    /// An older layout holds maps this gateway cannot read, so creating the
    /// current maps would leave its bans behind.
    #[error(
        "{dir} holds the maps of layout v{version}, which this gateway cannot read (it carries over layouts v{first} to v{last}), so their bans would not be carried over; nothing was changed. To start without them: `gateway edge attach --iface IF --force`, or remove them (rm -r {dir})"
    )]
    CannotCarryOver {
        /// The older layout's pin directory.
        dir: PathBuf,
        /// Its version.
        version: u32,
        /// The oldest layout this gateway carries over.
        first: u32,
        /// The newest older layout it carries over.
        last: u32,
    },
    /// Another XDP program (not pinned by us) occupies the interface.
    #[error(
        "{iface} already runs an XDP program that gateway did not attach; remove it first (ip link set dev {iface} xdp off)"
    )]
    ForeignProgram {
        /// Interface.
        iface: String,
    },
    /// `detach` of an interface we are not attached to.
    #[error("the edge filter is not attached to {iface} (nothing pinned at {path})")]
    NotAttached {
        /// Interface.
        iface: String,
        /// Expected link pin.
        path: PathBuf,
    },
    /// Loading, attaching or pinning failed in aya.
    #[error("{what}: {detail}")]
    Bpf {
        /// What we were doing.
        what: String,
        /// aya's error chain.
        detail: String,
    },
    /// A map operation failed.
    #[error("{op} in map {map}: {detail}")]
    Map {
        /// Operation (insert, delete, read…).
        op: &'static str,
        /// Map name.
        map: &'static str,
        /// aya's error chain.
        detail: String,
    },
    /// An insert would overflow a map.
    #[error(
        "map {map} is full: it holds {used} of {capacity} entries and {adding} more were asked for; nothing was changed"
    )]
    Full {
        /// Map name.
        map: &'static str,
        /// Entries already in it.
        used: u64,
        /// New entries asked for.
        adding: u64,
        /// Capacity.
        capacity: u32,
    },
    /// Delete of an entry that is not there.
    #[error("{cidr} is not in the {list}")]
    NotFound {
        /// The CIDR asked for.
        cidr: String,
        /// Which list (blocklist, allowlist, limit overrides).
        list: &'static str,
    },
    /// A CIDR that does not parse.
    #[error("invalid CIDR {input:?}: {reason}")]
    InvalidCidr {
        /// What was given.
        input: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A duration that does not parse.
    #[error("invalid TTL {input:?}: {reason} (examples: 30s, 10m, 1h, 7d, 1h30m)")]
    InvalidTtl {
        /// What was given.
        input: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A reason name we do not know.
    #[error("unknown ban reason {0:?}: use one of manual, waf, auth, rate, cluster, import")]
    InvalidReason(String),
    /// A bad line in an import file.
    #[error("{file}:{line}: {text:?}: {reason}; nothing was imported")]
    ImportLine {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line's text.
        text: String,
        /// Why it is wrong.
        reason: String,
    },
    /// A setting out of range.
    #[error("{0}")]
    InvalidSetting(String),
}

/// Result alias of the edge module.
pub type Result<T> = std::result::Result<T, EdgeError>;

impl EdgeError {
    /// Wraps an aya error with what we were doing, keeping its whole cause chain.
    pub(crate) fn bpf(what: impl Into<String>, err: impl std::error::Error) -> Self {
        EdgeError::Bpf {
            what: what.into(),
            detail: chain(&err),
        }
    }

    /// Wraps an aya map error.
    pub(crate) fn map(op: &'static str, map: &'static str, err: impl std::error::Error) -> Self {
        EdgeError::Map {
            op,
            map,
            detail: chain(&err),
        }
    }

    /// Wraps an io error with its path.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EdgeError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Joins an error and its sources: "a: b: c".
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}
