;; Prints "started", then reads stdin once and prints "read": the interruption tests stop
;; bolinho while the guest waits in that read, on a pipe that stays open and empty.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "started\n")
  (data (i32.const 32) "read\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $print (i32.const 16) (i32.const 8))
    ;; One iovec at 64: 256 bytes at 1024; nread to 72.
    (i32.store (i32.const 64) (i32.const 1024))
    (i32.store (i32.const 68) (i32.const 256))
    (drop (call $fd_read (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 72)))
    (call $print (i32.const 32) (i32.const 5)))
)
