//! Atomic read-modify-write on map values that several CPUs share.
//!
//! On the BPF target each is one `BPF_ATOMIC` instruction (add, fetch-and-add,
//! exchange, compare-and-exchange) written as inline assembly. The host build
//! only exists so clippy can check the kernel code; its fallbacks never run.

#[cfg(target_arch = "bpf")]
mod imp {
    // Written as inline assembly rather than through `atomic_xadd`/`atomic_xchg`:
    // the compiler's BPF target defaults to ISA v1 (`--cpu generic`), where
    // LLVM refuses to use the result of an atomic add, and aya-build gives no
    // way to pass `-C target-cpu=v3` to this crate alone. The instructions
    // below are the ISA v3 encodings (BPF_ATOMIC | BPF_DW with BPF_FETCH|BPF_ADD,
    // BPF_XCHG, BPF_CMPXCHG), which the verifier accepts on any kernel since 5.12.
    use core::arch::asm;

    /// Adds `v` to `*p` atomically, discarding the old value (`lock` add, ISA v1).
    ///
    /// # Safety
    /// `p` must point to a live, 8-byte aligned map value.
    #[inline(always)]
    pub unsafe fn add(p: *mut u64, v: u64) {
        unsafe {
            asm!(
                "lock *(u64 *)({p} + 0) += {v}",
                p = in(reg) p,
                v = in(reg) v,
                options(nostack),
            );
        }
    }

    /// Adds `v` to `*p` atomically and returns the previous value.
    ///
    /// # Safety
    /// `p` must point to a live, 8-byte aligned map value.
    #[inline(always)]
    pub unsafe fn fetch_add(p: *mut u64, v: u64) -> u64 {
        let mut value = v;
        unsafe {
            asm!(
                "{v} = atomic_fetch_add((u64 *)({p} + 0), {v})",
                p = in(reg) p,
                v = inout(reg) value,
                options(nostack),
            );
        }
        value
    }

    /// Stores `v` in `*p` atomically and returns the previous value.
    ///
    /// # Safety
    /// `p` must point to a live, 8-byte aligned map value.
    #[inline(always)]
    pub unsafe fn swap(p: *mut u64, v: u64) -> u64 {
        let mut value = v;
        unsafe {
            asm!(
                "{v} = xchg_64({p} + 0, {v})",
                p = in(reg) p,
                v = inout(reg) value,
                options(nostack),
            );
        }
        value
    }

    /// Stores `new` in `*p` if it holds `expected`; returns what `*p` held.
    ///
    /// # Safety
    /// `p` must point to a live, 8-byte aligned map value.
    #[inline(always)]
    pub unsafe fn compare_exchange(p: *mut u64, expected: u64, new: u64) -> u64 {
        let mut value = expected;
        unsafe {
            // BPF_CMPXCHG compares with and returns through r0.
            asm!(
                "r0 = cmpxchg_64({p} + 0, r0, {new})",
                p = in(reg) p,
                new = in(reg) new,
                inout("r0") value,
                options(nostack),
            );
        }
        value
    }
}

#[cfg(not(target_arch = "bpf"))]
mod imp {
    /// Host stand-in (lint builds only): adds `v` to `*p`.
    ///
    /// # Safety
    /// `p` must be valid for reads and writes.
    pub unsafe fn add(p: *mut u64, v: u64) {
        unsafe { p.write(p.read().wrapping_add(v)) }
    }

    /// Host stand-in (lint builds only): adds `v` to `*p`, returns the old value.
    ///
    /// # Safety
    /// `p` must be valid for reads and writes.
    pub unsafe fn fetch_add(p: *mut u64, v: u64) -> u64 {
        unsafe {
            let old = p.read();
            p.write(old.wrapping_add(v));
            old
        }
    }

    /// Host stand-in (lint builds only): stores `v` in `*p`, returns the old value.
    ///
    /// # Safety
    /// `p` must be valid for reads and writes.
    pub unsafe fn swap(p: *mut u64, v: u64) -> u64 {
        unsafe { p.replace(v) }
    }

    /// Host stand-in (lint builds only): stores `new` if `*p == expected`, returns the old value.
    ///
    /// # Safety
    /// `p` must be valid for reads and writes.
    pub unsafe fn compare_exchange(p: *mut u64, expected: u64, new: u64) -> u64 {
        unsafe {
            let old = p.read();
            if old == expected {
                p.write(new);
            }
            old
        }
    }
}

pub use imp::{add, compare_exchange, fetch_add, swap};
