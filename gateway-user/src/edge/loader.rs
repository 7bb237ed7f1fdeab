//! Loading the embedded XDP object and attaching it to interfaces (detaching
//! and listing pinned links is in `links.rs`).
//!
//! Maps are loaded with `map_pin_path`, so a map already pinned in the
//! versioned directory is reused (bans survive re-attaches and restarts) and a
//! missing one is created and pinned. The link is an XDP `bpf_link` pinned as
//! `link_<ifname>`: it keeps the program attached after this process exits,
//! and removing the pin detaches it.
use std::{
    ffi::CString,
    path::{Path, PathBuf},
};

use aya::{
    Ebpf, EbpfLoader,
    programs::{
        Xdp, XdpMode,
        links::{FdLink, PinnedLink},
        xdp::XdpLink,
    },
};
use gateway_common::{EdgeConfig, LAYOUT_VERSION, PROGRAM_NAME, maps};
use serde::Serialize;

use super::{
    Edge, OBJECT,
    error::{EdgeError, Result},
    layouts,
    links::{detach_pin, link_info, xdp_mode_of},
    lock::WriteLock,
    migrate::{self, Mode, Older},
    pin,
};

/// How to attach: `auto` tries native (driver) XDP, then generic (skb).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachMode {
    /// Native if the driver supports it, else skb.
    #[default]
    Auto,
    /// Native (driver) XDP only.
    Native,
    /// Generic XDP in the kernel network stack.
    Skb,
}

/// What `attach` did.
#[derive(Clone, Debug, Serialize)]
pub struct Attached {
    /// Interface.
    pub iface: String,
    /// Mode actually used (`native` or `skb`).
    pub mode: String,
    /// Kernel id of the loaded program.
    pub program_id: u32,
    /// Kernel id of the link.
    pub link_id: u32,
    /// True when an existing link was kept and its program swapped atomically.
    pub replaced: bool,
    /// True when the filter was already attached and left as it was ([`ensure_attached`]).
    pub unchanged: bool,
    /// The layout version of the older filter this attach upgraded, if it did.
    pub upgraded_from: Option<u32>,
    /// True when that older layout's pin directory was removed (no interface used it any more).
    pub retired: bool,
}

/// Loads the object, creating and pinning its maps (or reusing pinned ones).
///
/// New maps take over the state of an older layout pinned under the same
/// base (`migrate.rs`). One whose format this gateway does not know is an
/// error unless `lose_unreadable`: its bans would be left behind.
fn load_object(dir: &Path, lose_unreadable: bool) -> Result<Ebpf> {
    if OBJECT.is_empty() {
        return Err(EdgeError::NoProgram);
    }
    pin::check_pinned(dir)?;
    let config_existed = dir.join(maps::CONFIG).exists();
    let mut loader = EbpfLoader::new();
    for spec in &pin::SPECS {
        loader.map_pin_path(spec.name, dir.join(spec.name));
    }
    let mut ebpf = loader
        .load(OBJECT)
        .map_err(|e| EdgeError::bpf("loading the XDP object", e))?;
    for spec in &pin::SPECS {
        if ebpf.map(spec.name).is_none() {
            return Err(EdgeError::MissingInObject {
                kind: "map",
                name: spec.name.to_string(),
                version: LAYOUT_VERSION,
            });
        }
    }
    let carry_from = {
        let map = ebpf
            .map_mut(maps::CONFIG)
            .ok_or_else(|| EdgeError::MissingInObject {
                kind: "map",
                name: maps::CONFIG.to_string(),
                version: LAYOUT_VERSION,
            })?;
        let mut config: aya::maps::Array<_, EdgeConfig> =
            aya::maps::Array::try_from(map).map_err(|e| EdgeError::map("open", maps::CONFIG, e))?;
        // A new map is all zeroes; so is one whose creator died before writing
        // it, or before it finished carrying an older layout over (prefix 0 is
        // never valid). Either way it gets the defaults, and the carry-over
        // runs (again).
        // Writers of CONFIG hold this lock (a carry-over in another process among them).
        let base = dir.parent().unwrap_or(dir);
        let mut lock = WriteLock::new(base);
        let _held = lock.hold()?;
        let current = config
            .get(&0, 0)
            .map_err(|e| EdgeError::map("read", maps::CONFIG, e))?;
        if config_existed && current.prefix_v4 != 0 && current.prefix_v6 != 0 {
            None
        } else {
            let older = match migrate::older_layout(base) {
                Older::Readable(old) => Some(old),
                Older::Unreadable { dir, version } if !lose_unreadable => {
                    return Err(EdgeError::CannotCarryOver {
                        dir,
                        version,
                        first: layouts::READABLE[0],
                        last: layouts::READABLE[layouts::READABLE.len() - 1],
                    });
                }
                Older::Unreadable { .. } | Older::Nothing => None,
            };
            let mut fresh = EdgeConfig {
                // Entries a dead creator left in the tables stay findable.
                table_seed: match current.table_seed {
                    0 => rand::random(),
                    seed => seed,
                },
                ..initial_config()
            };
            fresh.set_block_lens(current.block_lens_v4, current.block_lens_v6);
            if older.is_some() {
                // Not ready until the carry-over writes the old settings.
                fresh.prefix_v4 = 0;
            }
            config
                .set(0, fresh, 0)
                .map_err(|e| EdgeError::map("initialise", maps::CONFIG, e))?;
            older
        }
    };
    if let Some(old) = carry_from {
        let mut edge = Edge::open_existing(dir)?;
        let carried = migrate::carry_over(&mut edge, &old, Mode::Fresh)?;
        tracing::info!(
            from = %old.display(),
            bans = carried.bans,
            expired_left = carried.expired,
            allowlist = carried.allows,
            limits = carried.limits,
            "carried the older map layout's state over"
        );
        // Nothing runs on the old maps any more: their state is here now.
        if migrate::linked_interfaces(&old).is_empty() {
            retire(&old);
        }
    }
    Ok(ebpf)
}

/// What a new CONFIG holds: the defaults, this kernel's jiffy, and a random
/// seed for the ban tables' hash (so nobody can pick addresses that collide).
pub fn initial_config() -> EdgeConfig {
    EdgeConfig {
        tick_ns: tick_ns(),
        table_seed: rand::random(),
        ..EdgeConfig::DEFAULT
    }
}

/// Nanoseconds per jiffy: the resolution of `CLOCK_MONOTONIC_COARSE` is one tick.
pub fn tick_ns() -> u32 {
    let mut res = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `res` is a valid out-pointer.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut res) };
    if rc != 0 || res.tv_sec != 0 || res.tv_nsec <= 0 {
        // Every Linux has a coarse clock; should one not answer, assume HZ=1000,
        // the shortest tick (the rate then errs towards dropping).
        return 1_000_000;
    }
    res.tv_nsec as u32
}

/// Creates and pins every map of the layout in `dir` without attaching anything.
pub fn create_maps(dir: &Path) -> Result<()> {
    load_object(dir, false).map(drop)
}

/// The kernel index of an interface, or a clear error if there is none.
pub(crate) fn if_index(iface: &str) -> Result<u32> {
    let c = CString::new(iface).map_err(|_| EdgeError::UnknownInterface(iface.to_string()))?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 || iface.contains('/') {
        return Err(EdgeError::UnknownInterface(iface.to_string()));
    }
    Ok(index)
}

/// Loads the program, attaches it to `iface`, pins the link and returns.
///
/// An interface running an older filter of ours is upgraded without `force`:
/// the new maps take over the old ones' state (`migrate.rs`), the program is
/// swapped on the old link and the link re-pinned in the current directory,
/// and the old layout's directory is removed once no interface uses it.
///
/// With `force`, a filter already pinned on `iface` is replaced: atomically
/// (`bpf_link_update`, no unfiltered gap) when the mode stays the same or is
/// `auto`, else by detaching and attaching again. `force` also replaces the
/// filter of a layout whose state this gateway cannot read (a newer one).
pub fn attach(base: &Path, iface: &str, mode: AttachMode, force: bool) -> Result<Attached> {
    attach_with(base, iface, mode, force, force)
}

/// [`attach`], with separate permissions to replace our own current filter
/// and one whose state cannot be carried over.
fn attach_with(
    base: &Path,
    iface: &str,
    mode: AttachMode,
    replace_own: bool,
    lose_unreadable: bool,
) -> Result<Attached> {
    if_index(iface)?;
    let dir = pin::prepare(base)?;
    let link_pin = pin::link_path(&dir, iface);
    let existing = link_pin.exists();
    if existing && !replace_own {
        return Err(EdgeError::AlreadyAttached {
            iface: iface.to_string(),
            program_id: link_info(&link_pin).map_or(0, |(_, prog)| prog),
        });
    }
    // The link another layout's gateway pinned for this interface, if any.
    let mut old_link: Option<(PathBuf, PathBuf)> = None;
    for other in pin::other_versions(base) {
        let old = pin::link_path(&other, iface);
        if !old.exists() {
            continue;
        }
        if !migrate::carries(&other) && !lose_unreadable {
            return Err(EdgeError::OtherLayoutAttached {
                iface: iface.to_string(),
                path: old,
                version: migrate::version_of(&other).unwrap_or(0),
            });
        }
        if existing || old_link.is_some() {
            // Only one XDP link can hold the interface: this pin is stale.
            detach_pin(&old)?;
        } else {
            old_link = Some((other, old));
        }
    }
    let live_pin = if existing {
        Some(link_pin.clone())
    } else {
        old_link.as_ref().map(|(_, pin)| pin.clone())
    };
    let current_mode = xdp_mode_of(iface);
    let in_place = live_pin.is_some()
        && match mode {
            AttachMode::Auto => true,
            AttachMode::Native => current_mode == "native",
            AttachMode::Skb => current_mode == "skb",
        };
    // Everything that can fail without touching the interface comes first:
    // creating the maps (carrying the older layout over), then merging what
    // the older maps gained since, then loading the program.
    let mut ebpf = load_object(&dir, lose_unreadable)?;
    if let Some((old_dir, _)) = &old_link
        && migrate::carries(old_dir)
    {
        let mut edge = Edge::open_existing(&dir)?;
        migrate::carry_over(&mut edge, old_dir, Mode::Merge)?;
    }
    let upgraded_from = old_link
        .as_ref()
        .and_then(|(old_dir, _)| migrate::version_of(old_dir));
    let program = load_program(&mut ebpf)?;
    if let Some(live) = &live_pin
        && !in_place
    {
        detach_pin(live)?;
    }
    let mut attached = if let Some(live) = live_pin.filter(|_| in_place) {
        replace_program(program, &live, &link_pin, iface, current_mode)?
    } else {
        attach_new(program, &link_pin, iface, mode)?
    };
    if let Some((old_dir, _)) = &old_link {
        attached.upgraded_from = upgraded_from;
        attached.retired = retire(old_dir);
    }
    Ok(attached)
}

/// Removes an older layout's directory after its state was carried over and
/// its last interface moved; a failure only leaves it behind (and `edge
/// status` names it).
fn retire(old_dir: &Path) -> bool {
    if !migrate::carries(old_dir) {
        return false;
    }
    match migrate::retire(old_dir) {
        Ok(gone) => gone,
        Err(e) => {
            tracing::warn!(dir = %old_dir.display(), error = %e, "the older layout's pins stay");
            false
        }
    }
}

/// Attaches a loaded program to `iface` with a new link pinned at `link_pin`.
fn attach_new(
    program: &mut Xdp,
    link_pin: &Path,
    iface: &str,
    mode: AttachMode,
) -> Result<Attached> {
    let tries: &[(XdpMode, &'static str)] = match mode {
        AttachMode::Auto => &[(XdpMode::Driver, "native"), (XdpMode::Skb, "skb")],
        AttachMode::Native => &[(XdpMode::Driver, "native")],
        AttachMode::Skb => &[(XdpMode::Skb, "skb")],
    };
    let mut failure = None;
    for (xdp_mode, name) in tries {
        match program.attach(iface, *xdp_mode) {
            Ok(id) => {
                let link = program
                    .take_link(id)
                    .map_err(|e| EdgeError::bpf("taking the XDP link", e))?;
                let fd_link = FdLink::try_from(link).map_err(|e| {
                    EdgeError::bpf(
                        "this kernel attached XDP through netlink, not a bpf_link, which cannot be pinned (Linux 5.9+ needed)",
                        e,
                    )
                })?;
                let info = fd_link
                    .info()
                    .map_err(|e| EdgeError::bpf("reading the link's info", e))?;
                fd_link.pin(link_pin).map_err(|e| {
                    EdgeError::bpf(format!("pinning the link at {}", link_pin.display()), e)
                })?;
                return Ok(Attached {
                    iface: iface.to_string(),
                    mode: (*name).to_string(),
                    program_id: info.program_id(),
                    link_id: info.id(),
                    replaced: false,
                    unchanged: false,
                    upgraded_from: None,
                    retired: false,
                });
            }
            Err(e) => failure = Some((*name, e)),
        }
    }
    match failure {
        Some((_, e)) if errno_in(&e, &[libc::EBUSY, libc::EEXIST]) => {
            Err(EdgeError::ForeignProgram {
                iface: iface.to_string(),
            })
        }
        Some((name, e)) => Err(EdgeError::bpf(
            format!("attaching to {iface} in {name} mode"),
            e,
        )),
        None => Err(EdgeError::InvalidSetting("no attach mode to try".into())),
    }
}

/// Attaches unless the filter is already pinned on `iface`, in which case it is
/// left running untouched (what a restarting daemon wants by default).
pub fn ensure_attached(base: &Path, iface: &str, mode: AttachMode) -> Result<Attached> {
    let link_pin = pin::link_path(&pin::versioned(base), iface);
    if let Some((link_id, program_id)) = link_pin.exists().then(|| link_info(&link_pin)).flatten() {
        return Ok(Attached {
            iface: iface.to_string(),
            mode: xdp_mode_of(iface),
            program_id,
            link_id,
            replaced: false,
            unchanged: true,
            upgraded_from: None,
            retired: false,
        });
    }
    // An older filter of ours is upgraded; one whose bans cannot be carried
    // over (a newer gateway's) is refused rather than silently replaced.
    attach_with(base, iface, mode, true, false)
}

/// Finds and loads the XDP program of a loaded object.
fn load_program(ebpf: &mut Ebpf) -> Result<&mut Xdp> {
    let program: &mut Xdp = ebpf
        .program_mut(PROGRAM_NAME)
        .ok_or_else(|| EdgeError::MissingInObject {
            kind: "program",
            name: PROGRAM_NAME.to_string(),
            version: LAYOUT_VERSION,
        })?
        .try_into()
        .map_err(|e| EdgeError::bpf(format!("{PROGRAM_NAME} is not an XDP program"), e))?;
    program
        .load()
        .map_err(|e| EdgeError::bpf("the kernel refused the XDP program", e))?;
    Ok(program)
}

/// Swaps the program behind an existing pinned link (`bpf_link_update`: no
/// packet goes unfiltered), and pins the link at `to` if it was pinned elsewhere
/// (an older layout's directory).
fn replace_program(
    program: &mut Xdp,
    from: &Path,
    to: &Path,
    iface: &str,
    mode: String,
) -> Result<Attached> {
    let what = || format!("replacing the program on {iface}");
    let fd: FdLink = PinnedLink::from_pin(from)
        .map_err(|e| EdgeError::bpf(what(), e))?
        .into();
    let link = XdpLink::try_from(fd).map_err(|e| EdgeError::bpf(what(), e))?;
    let id = program
        .attach_to_link(link)
        .map_err(|e| EdgeError::bpf(what(), e))?;
    let link = program
        .take_link(id)
        .map_err(|e| EdgeError::bpf(what(), e))?;
    let fd = FdLink::try_from(link).map_err(|e| EdgeError::bpf(what(), e))?;
    let info = fd.info().map_err(|e| EdgeError::bpf(what(), e))?;
    if from != to {
        fd.pin(to)
            .map_err(|e| EdgeError::bpf(format!("pinning the link at {}", to.display()), e))?;
        std::fs::remove_file(from).map_err(|e| EdgeError::io(from, e))?;
    }
    Ok(Attached {
        iface: iface.to_string(),
        mode,
        program_id: info.program_id(),
        link_id: info.id(),
        replaced: true,
        unchanged: false,
        upgraded_from: None,
        retired: false,
    })
}

/// True when an error's cause chain holds an io error with one of these errnos.
fn errno_in(err: &(dyn std::error::Error + 'static), codes: &[i32]) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.raw_os_error().is_some_and(|c| codes.contains(&c))
        {
            return true;
        }
        cur = e.source();
    }
    false
}
