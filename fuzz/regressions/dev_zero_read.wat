;; fd_read calls on /dev/zero with a million 32 MiB iovecs each (the iovec
;; array is read once, the buffers may alias): ~32 TiB of zero-filling asked
;; of a single host call, which neither the wall-clock limit nor a kill
;; interrupted. A call now moves at most 4 GiB (preview1's size type) and
;; checks kills and the deadline between buffers; the guest repeats it
;; forever, so only the wall clock can end it.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1024) ;; 64 MiB
  (data (i32.const 16) "dev/zero")
  (func (export "_start")
    (local $i i32)
    ;; iovecs at 0x100000: 1_000_000 x (ptr 0x1000000, len 0x2000000)
    (loop $fill
      (i32.store (i32.add (i32.const 0x100000) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0x1000000))
      (i32.store (i32.add (i32.const 0x100004) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0x2000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 1000000))))
    ;; fd 3 is the VM's own filesystem "/" (--vm-fs, no --dir); open dev/zero for reading.
    (if (call $path_open (i32.const 3) (i32.const 1) (i32.const 16) (i32.const 8) (i32.const 0)
                         (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8))
      (then (call $proc_exit (i32.const 10))))
    (loop $again
      (drop (call $fd_read (i32.load (i32.const 8)) (i32.const 0x100000) (i32.const 1000000) (i32.const 12)))
      (br $again))))
