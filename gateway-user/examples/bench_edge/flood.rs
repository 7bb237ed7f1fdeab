//! The veth flood half of the edge benchmark: `attach` holds the filter on an
//! interface with one source banned until stdin closes, then prints its drop
//! counter; `flood` sends one UDP frame over and over through an AF_PACKET
//! socket (qdisc bypassed, `sendmmsg` batches), bounded in count and time.
//! `cargo xtask bench edge` runs both inside throwaway namespaces.

use std::{
    ffi::CString,
    io::Read,
    net::Ipv4Addr,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use aya::{
    EbpfLoader,
    maps::{Array, MapData, PerCpuArray},
    programs::{Xdp, XdpMode},
};
use gateway_common::{BanReason, BanValue, Counter, EdgeConfig, PROGRAM_NAME, maps, stat};

use crate::frames::Frame;
use gateway::edge::table::{NetKey, TableV4};

/// `attach --iface IF --mode native|skb --ban A.B.C.D`: hold the filter until stdin closes.
pub fn attach(args: &[String]) -> Result<()> {
    let iface = flag(args, "--iface")?;
    let mode = match flag(args, "--mode")?.as_str() {
        "native" => XdpMode::Driver,
        "skb" => XdpMode::Skb,
        other => bail!("--mode {other}: expected native or skb"),
    };
    let banned: Ipv4Addr = flag(args, "--ban")?.parse().context("--ban")?;
    let mut ebpf = EbpfLoader::new().load(gateway::edge::OBJECT)?;
    let mut config_value = gateway::edge::initial_config();
    config_value.set_block_lens(1 << 32, [0; 3]);
    let mut block = TableV4::from_map(
        ebpf.take_map(maps::BLOCK_V4).context("BLOCK_V4")?,
        ebpf.take_map(maps::BAN_COVER_V4).context("BAN_COVER_V4")?,
        config_value.table_seed,
    )?;
    {
        let ban = BanValue {
            expires_ns: 0,
            created_unix: 0,
            reason: BanReason::Manual as u32,
            _pad: 0,
        };
        let key = NetKey {
            len: 32,
            hi: u64::from(u32::from(banned)),
            lo: 0,
        };
        block.insert(&key, &ban)?;
        let mut config: Array<&mut MapData, EdgeConfig> =
            Array::try_from(ebpf.map_mut(maps::CONFIG).context("CONFIG")?)?;
        config.set(0, config_value, 0)?;
    }
    let program: &mut Xdp = ebpf
        .program_mut(PROGRAM_NAME)
        .context("program")?
        .try_into()?;
    program.load()?;
    program
        .attach(&iface, mode)
        .with_context(|| format!("attach to {iface}"))?;
    println!("ready");
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    let stats: PerCpuArray<&MapData, Counter> =
        PerCpuArray::try_from(ebpf.map(maps::STATS).context("STATS")?)?;
    let dropped: u64 = stats
        .get(&(stat::DROP_BAN + BanReason::Manual as u32), 0)?
        .iter()
        .map(|c| c.packets)
        .sum();
    println!("RESULT dropped={dropped}");
    drop(block);
    Ok(())
}

/// `flood --iface IF --dst-mac MAC --src IP --dst IP --count N --seconds S`.
pub fn flood(args: &[String]) -> Result<()> {
    let iface = flag(args, "--iface")?;
    let dst_mac = parse_mac(&flag(args, "--dst-mac")?)?;
    let src: Ipv4Addr = flag(args, "--src")?.parse().context("--src")?;
    let dst: Ipv4Addr = flag(args, "--dst")?.parse().context("--dst")?;
    let count: u64 = flag(args, "--count")?.parse().context("--count")?;
    let seconds: u64 = flag(args, "--seconds")?.parse().context("--seconds")?;
    let mut frame = Frame::new().ipv4_udp(src, dst, &[0u8; 18]);
    frame[..6].copy_from_slice(&dst_mac);

    let name = CString::new(iface.clone())?;
    // SAFETY: plain libc calls on a socket this function owns and closes.
    unsafe {
        let ifindex = libc::if_nametoindex(name.as_ptr());
        if ifindex == 0 {
            bail!("no interface {iface}");
        }
        let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0);
        if fd < 0 {
            bail!("AF_PACKET socket: {}", std::io::Error::last_os_error());
        }
        let one: libc::c_int = 1;
        libc::setsockopt(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_QDISC_BYPASS,
            (&raw const one).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        );
        let mut addr: libc::sockaddr_ll = std::mem::zeroed();
        addr.sll_family = libc::AF_PACKET as u16;
        addr.sll_protocol = (libc::ETH_P_IP as u16).to_be();
        addr.sll_ifindex = ifindex as i32;
        if libc::bind(
            fd,
            (&raw const addr).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        ) < 0
        {
            libc::close(fd);
            bail!("bind to {iface}: {}", std::io::Error::last_os_error());
        }
        const BATCH: usize = 64;
        let mut iov = libc::iovec {
            iov_base: frame.as_mut_ptr().cast(),
            iov_len: frame.len(),
        };
        let mut msgs: Vec<libc::mmsghdr> = (0..BATCH)
            .map(|_| {
                let mut m: libc::mmsghdr = std::mem::zeroed();
                m.msg_hdr.msg_iov = &raw mut iov;
                m.msg_hdr.msg_iovlen = 1;
                m
            })
            .collect();
        let started = Instant::now();
        let deadline = started + Duration::from_secs(seconds);
        let mut sent: u64 = 0;
        while sent < count && Instant::now() < deadline {
            let n = libc::sendmmsg(fd, msgs.as_mut_ptr(), BATCH as u32, 0);
            if n > 0 {
                sent += n as u64;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        libc::close(fd);
        println!(
            "RESULT sent={sent} seconds={elapsed:.3} pps={:.0}",
            sent as f64 / elapsed
        );
    }
    Ok(())
}

fn flag(args: &[String], name: &str) -> Result<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .with_context(|| format!("missing {name}"))
}

fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        bail!("bad MAC {text}");
    }
    for (byte, part) in mac.iter_mut().zip(parts) {
        *byte = u8::from_str_radix(part, 16).with_context(|| format!("bad MAC {text}"))?;
    }
    Ok(mac)
}
