//! Sending many answers with few system calls.
//!
//! On loopback the sender's system call does the receiver's network work
//! too, so at 200,000 `/status` a second the answers, not the parsing, were
//! what used up a core. On Linux a batch goes out in one `sendmmsg`, and a
//! run of answers of the same size to the same client (a flood of `/status`)
//! goes as one UDP segmentation-offload send: the kernel cuts it into
//! datagrams, and the client receives them one by one as usual. Where the
//! kernel refuses segmentation offload, every answer is its own datagram.

use std::net::{SocketAddr, UdpSocket};

use super::OscCounters;

/// Sends each `(address, bytes)` as one datagram, in order.
#[cfg(target_os = "linux")]
pub fn send_all(socket: &UdpSocket, out: &[(SocketAddr, Vec<u8>)], counters: &OscCounters) {
    use std::sync::atomic::{AtomicBool, Ordering};
    // Cleared the first time the kernel refuses a segmented send.
    static SEGMENTING: AtomicBool = AtomicBool::new(true);
    if out.is_empty() {
        return;
    }
    let segmenting = SEGMENTING.load(Ordering::Relaxed);
    let runs = if segmenting {
        runs_of_equal_answers(out)
    } else {
        (0..out.len()).map(|i| i..i + 1).collect()
    };
    match linux::send_runs(socket, out, &runs) {
        Ok(errors) => {
            for _ in 0..errors {
                OscCounters::add(&counters.send_errors);
            }
        }
        Err(()) => {
            // The kernel refused a segmented send: plain datagrams from now on.
            SEGMENTING.store(false, Ordering::Relaxed);
            let single: Vec<_> = (0..out.len()).map(|i| i..i + 1).collect();
            let errors = linux::send_runs(socket, out, &single).unwrap_or(out.len());
            for _ in 0..errors {
                OscCounters::add(&counters.send_errors);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn send_all(socket: &UdpSocket, out: &[(SocketAddr, Vec<u8>)], counters: &OscCounters) {
    for (to, bytes) in out {
        if socket.send_to(bytes, to).is_err() {
            OscCounters::add(&counters.send_errors);
        }
    }
}

/// The most datagrams one segmented send may carry (the kernel's limit is 64
/// on older versions) and the most bytes.
const MAX_SEGMENTS: usize = 64;
const MAX_SEGMENTED_BYTES: usize = 60_000;

/// Splits `out` into runs that can go as one send: consecutive answers to
/// the same address with the same length. A run of one is a plain datagram.
fn runs_of_equal_answers(out: &[(SocketAddr, Vec<u8>)]) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=out.len() {
        let len = i - start;
        let ends = i == out.len()
            || out[i].0 != out[start].0
            || out[i].1.len() != out[start].1.len()
            || len >= MAX_SEGMENTS
            || (len + 1) * out[start].1.len() > MAX_SEGMENTED_BYTES;
        if ends {
            runs.push(start..i);
            start = i;
        }
    }
    runs
}

#[cfg(target_os = "linux")]
mod linux {
    use std::net::{SocketAddr, UdpSocket};
    use std::ops::Range;
    use std::os::fd::AsRawFd;

    /// `UDP_SEGMENT` (linux/udp.h), not in every libc binding.
    const UDP_SEGMENT: libc::c_int = 103;

    /// Room for one control message holding a `u16`, suitably aligned.
    #[repr(C, align(8))]
    #[derive(Clone, Copy)]
    struct Control([u8; 32]);

    /// Sends each run as one message (segmented when longer than one).
    /// `Ok(n)`: n datagrams could not be sent. `Err`: the kernel refused a
    /// segmented send; nothing after it was sent.
    pub fn send_runs(
        socket: &UdpSocket,
        out: &[(SocketAddr, Vec<u8>)],
        runs: &[Range<usize>],
    ) -> Result<usize, ()> {
        let addrs: Vec<socket2::SockAddr> = runs
            .iter()
            .map(|r| socket2::SockAddr::from(out[r.start].0))
            .collect();
        let mut iov: Vec<libc::iovec> = out
            .iter()
            .map(|(_, b)| libc::iovec {
                iov_base: b.as_ptr() as *mut libc::c_void,
                iov_len: b.len(),
            })
            .collect();
        let mut controls = vec![Control([0; 32]); runs.len()];
        let iov_base = iov.as_mut_ptr();
        let mut msgs: Vec<libc::mmsghdr> = runs
            .iter()
            .zip(&addrs)
            .zip(controls.iter_mut())
            .map(|((r, a), control)| {
                // SAFETY: mmsghdr is plain data; all-zero is a valid empty header.
                let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
                h.msg_hdr.msg_name = a.as_ptr() as *mut libc::c_void;
                h.msg_hdr.msg_namelen = a.len();
                // SAFETY: `r` lies within `iov`.
                h.msg_hdr.msg_iov = unsafe { iov_base.add(r.start) };
                h.msg_hdr.msg_iovlen = r.len() as _;
                if r.len() > 1 {
                    segment(&mut h.msg_hdr, control, out[r.start].1.len() as u16);
                }
                h
            })
            .collect();
        let mut errors = 0;
        let mut sent = 0;
        while sent < msgs.len() {
            // SAFETY: the headers point at addresses, buffers and control
            // messages that all outlive the call.
            let n = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    msgs[sent..].as_mut_ptr(),
                    (msgs.len() - sent) as libc::c_uint,
                    0,
                )
            };
            if n > 0 {
                sent += n as usize;
                continue;
            }
            let failed = &runs[sent];
            let code = std::io::Error::last_os_error().raw_os_error();
            if failed.len() > 1
                && matches!(code, Some(libc::EIO | libc::EINVAL | libc::ENOPROTOOPT))
            {
                // Segmentation offload refused: the caller resends, unsegmented.
                return Err(());
            }
            // An unreachable address: skip that message.
            errors += failed.len();
            sent += 1;
        }
        Ok(errors)
    }

    /// Adds a `UDP_SEGMENT` control message: cut the payload every `size` bytes.
    fn segment(h: &mut libc::msghdr, control: &mut Control, size: u16) {
        h.msg_control = control.0.as_mut_ptr() as *mut libc::c_void;
        // SAFETY: CMSG_SPACE of a u16 (24 bytes on 64-bit) fits the 32-byte,
        // 8-aligned buffer set just above; CMSG_FIRSTHDR reads only the header.
        unsafe {
            h.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<u16>() as u32) as _;
            let c = libc::CMSG_FIRSTHDR(h);
            (*c).cmsg_level = libc::SOL_UDP;
            (*c).cmsg_type = UDP_SEGMENT;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<u16>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut u16, size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn runs_split_on_address_length_and_size() {
        let a = addr(1000);
        let b = addr(1001);
        let out = vec![
            (a, vec![0; 8]),
            (a, vec![1; 8]),
            (a, vec![2; 12]),
            (b, vec![3; 12]),
            (b, vec![4; 12]),
        ];
        assert_eq!(runs_of_equal_answers(&out), [0..2, 2..3, 3..5]);
        let many: Vec<_> = (0..150).map(|_| (a, vec![0; 16])).collect();
        assert_eq!(runs_of_equal_answers(&many), [0..64, 64..128, 128..150]);
        let big: Vec<_> = (0..4).map(|_| (a, vec![0; 25_000])).collect();
        assert_eq!(runs_of_equal_answers(&big), [0..2, 2..4]);
    }

    /// Every answer arrives as its own datagram, in order, whether it went
    /// segmented or not.
    #[test]
    fn a_client_receives_every_answer_separately_and_in_order() {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let c1 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let c2 = UdpSocket::bind("127.0.0.1:0").unwrap();
        for c in [&c1, &c2] {
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        }
        let (a1, a2) = (c1.local_addr().unwrap(), c2.local_addr().unwrap());
        let mut out = Vec::new();
        for i in 0..100u8 {
            out.push((a1, vec![i; 20]));
        }
        out.push((a2, vec![7; 3]));
        out.push((a1, vec![200; 5]));
        out.push((a1, b"/status".to_vec()));
        let counters = OscCounters::default();
        send_all(&server, &out, &counters);
        assert_eq!(OscCounters::get(&counters.send_errors), 0);
        let mut buf = [0u8; 256];
        for (to, bytes) in &out {
            let c = if *to == a1 { &c1 } else { &c2 };
            let n = c.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &bytes[..]);
        }
    }
}
