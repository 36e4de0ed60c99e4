//! Host streams: the output byte cap, input reads, stream-only errors.

use std::io::SeekFrom;
use std::sync::{Arc, Mutex};

use capsa_kernel::{FileType, HostInput, HostOutput, KernelError, LimitKind, OpenFile};

#[derive(Default)]
struct Capture(Mutex<Vec<u8>>);

impl HostOutput for Capture {
    fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(())
    }
}

struct Bytes(Mutex<Vec<u8>>);

impl HostInput for Bytes {
    fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut bytes = self.0.lock().unwrap();
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        bytes.drain(..n);
        Ok(n)
    }
}

#[test]
fn output_cap_writes_up_to_the_limit_then_fails() {
    let capture = Arc::new(Capture::default());
    let out = OpenFile::host_output(capture.clone(), 5, LimitKind::Stdout);
    assert_eq!(out.write(b"abc").unwrap(), 3);
    assert_eq!(out.write(b"defg").unwrap(), 2);
    assert_eq!(out.write(b"h").err(), Some(KernelError::LimitExceeded(LimitKind::Stdout)));
    assert_eq!(&*capture.0.lock().unwrap(), b"abcde");
    assert_eq!(out.read(&mut [0u8; 1]).err(), Some(KernelError::BadFd));
    assert_eq!(out.seek(SeekFrom::Start(0)).err(), Some(KernelError::IllegalSeek));
    assert_eq!(out.pwrite(b"x", 0).err(), Some(KernelError::IllegalSeek));
    assert_eq!(out.stat().unwrap().file_type, FileType::Unknown);
    assert!(out.readiness().writable.is_some());
}

#[test]
fn input_reads_until_end() {
    let input = OpenFile::host_input(Arc::new(Bytes(Mutex::new(b"hi".to_vec()))));
    let mut buf = [0u8; 8];
    assert_eq!(input.read(&mut buf).unwrap(), 2);
    assert_eq!(input.read(&mut buf).unwrap(), 0);
    assert_eq!(input.write(b"x").err(), Some(KernelError::BadFd));
    assert_eq!(input.pread(&mut buf, 0).err(), Some(KernelError::IllegalSeek));
    assert!(!input.is_tty());
    assert!(input.can_read() && !input.can_write());
}
