;; Calls proc_exit with a constant chosen by the export, so the exit-code tests need no argument
;; parsing: `exit_0`, `exit_3`, `exit_255`, `exit_256`; `_start` exits with 42.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "exit_0") (call $exit (i32.const 0)))
  (func (export "exit_3") (call $exit (i32.const 3)))
  (func (export "exit_255") (call $exit (i32.const 255)))
  (func (export "exit_256") (call $exit (i32.const 256)))
  (func (export "_start") (call $exit (i32.const 42)))
)
