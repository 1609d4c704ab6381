;; An entry module with no memory of its own: it imports memlib's memory, a function and a
;; mutable global and a table, asks memlib for a greeting, and writes it to stdout with WASI's fd_write.
;; The import module name is "memlib": found by Alias, Target or file name.
(module
  (import "memlib" "memory" (memory 1))
  ;; WASI functions reach guest memory through the "memory" export, so re-export the import.
  (export "memory" (memory 0))
  (import "memlib" "greet" (func $greet (param i32) (result i32)))
  (import "memlib" "calls" (global $calls (mut i32)))
  (import "memlib" "table" (table 1 funcref))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (func (export "_start")
    ;; iovec at 0: { buf = 64, len = greet(64) }
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (call $greet (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    ;; memlib counted the call in the shared global.
    (if (i32.ne (global.get $calls) (i32.const 1)) (then unreachable))
    ;; and its table's function 0 returns 7.
    (if (i32.ne (call_indirect (result i32) (i32.const 0)) (i32.const 7)) (then unreachable)))
)
