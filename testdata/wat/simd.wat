;; SIMD results as bits, one line each: "<label>: <lanes>", lane 0 first, each lane in hex with
;; its most significant digit first (an f32x4 result is 4 lanes of 8 digits, an i8x16 one 16 of
;; 2). tests/integration/simd.rs checks the exact output, and scripts/cross-arch.sh that x86_64
;; and aarch64 give the same bytes.
;;
;; The float lines are where IEEE 754 leaves the bits to the hardware, which wasmi's
;; `deterministic` feature canonicalises: every NaN an arithmetic operation makes comes out as
;; the positive quiet NaN (f32 7fc00000, f64 7ff8000000000000) whatever the operands' payloads,
;; signs or signalling bits; neg, abs, pmin, pmax, splat, lane moves, loads and stores move bits
;; as they are (the spec's bit operations). The relaxed-SIMD lines show the one result wasmi
;; fixes for each relaxed operator (docs/RATIONALE.md, "SIMD"). Then integer SIMD, whose results
;; the spec fixes.
;;
;; Operands pass through `$v` so that the interpreter computes at run time; the "const" lines
;; give constant operands, which wasmi's translator evaluates itself.
;; In the labels, qnan(x) is a quiet NaN with payload x (f32 nan:0x400000+x), snan(x) a
;; signalling one (nan:x), and -qnan a negative one.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "0123456789abcdef")
  ;; The labels, NUL-terminated, in the order `_start` prints them.
  (data (i32.const 4096)
    "f32x4.div 0/0 1/0 -1/0 6/3\00"
    "f32x4.sqrt -1 4 -0 snan(1)\00"
    "f32x4.sub inf-inf 1-1 -qnan(123)-1 1-snan(2)\00"
    "f32x4.mul 0*inf -2*3 qnan(1)*-qnan(2) 1e30*1e30\00"
    "f32x4.add snan(1)+1 -qnan(123)+1 1+qnan(456) qnan(1)+snan(2)\00"
    "f32x4.min (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "f32x4.max (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "f32x4.pmin (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "f32x4.pmax (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "f32x4.floor snan(1) -qnan(123) -1.5 2.5\00"
    "f32x4.ceil qnan(456) -snan(1) -0.5 1.25\00"
    "f32x4.trunc -snan(1) qnan(456) -1.75 1.75\00"
    "f32x4.nearest -snan(1) qnan(456) 2.5 -0.5\00"
    "f32x4.neg qnan(456) -snan(1) 1 -0\00"
    "f32x4.abs -qnan(123) -snan(1) -1 -0\00"
    "f32x4.splat snan(1)\00"
    "f32x4.replace_lane 1 (extract_lane 2) 1 2 snan(5) 4\00"
    "f32x4.eq (nan,nan) (1,1) (-0,0) (snan(1),1)\00"
    "f32x4.demote_f64x2_zero qnan(456) 1e300\00"
    "f64x2.promote_low_f32x4 qnan(123) -snan(1)\00"
    "f32x4.convert_i32x4_u 2^32-1 2^31+1 2^24+1 1\00"
    "f64x2.convert_low_i32x4_u 2^32-1 7\00"
    "i32x4.trunc_sat_f32x4_s nan 1e10 -1e10 -1.5\00"
    "i32x4.trunc_sat_f32x4_u nan 1e10 -1 3.9\00"
    "i32x4.trunc_sat_f64x2_s_zero nan -1e300\00"
    "f32x4.add 0.1+0.2 1+2^-24 3e38+1e38 2^-149+2^-149\00"
    "f32x4 a*a-b unfused, a=1+2^-12 b=1+2^-11\00"
    "f64x2.div 0/0 -1/0\00"
    "f64x2.sqrt -1 snan(1)\00"
    "f64x2.add qnan(1)+-qnan(2) -qnan(123)+1\00"
    "f64x2.sub inf-inf 1-snan(2)\00"
    "f64x2.mul 0*inf -qnan(5)*2\00"
    "f64x2.min (qnan(456),1) (-0,0)\00"
    "f64x2.max (1,-qnan(123)) (-0,0)\00"
    "f64x2.pmin (qnan(456),1) (1,-qnan(123))\00"
    "f64x2.floor snan(1) -0.5\00"
    "f64x2.nearest -qnan(123) 2.5\00"
    "f64x2.neg qnan(456) -snan(1)\00"
    "f64x2.add 0.1+0.2 1+2^-53\00"
    "f64x2.div 1/3 2/3\00"
    "f64x2.sqrt 2 3ulp_subnormal\00"
    "f64x2.mul 3ulp_subnormal*0.5 1e200*1e200\00"
    "f64x2 a*a-b unfused, a=1+2^-27 b=1+2^-26\00"
    "const f32x4.div 0/0 0/1 1/-0 -inf/inf\00"
    "const f64x2.add snan(1)+1 -qnan(123)+1\00"
    "const f32x4.min (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "relaxed f32x4.relaxed_madd a*a-b 0*inf+1 qnan(5)*1+1 2*3+1\00"
    "relaxed f32x4.relaxed_nmadd -(a*a)+b 0*inf+1 1*1+snan(1) 2*3+1\00"
    "relaxed f64x2.relaxed_madd a*a-b 0*inf+1\00"
    "relaxed f64x2.relaxed_nmadd -(a*a)+b -qnan(123)*1+1\00"
    "relaxed f32x4.relaxed_min (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "relaxed f32x4.relaxed_max (qnan(456),1) (1,-qnan(123)) (-0,0) (0,-0)\00"
    "relaxed f64x2.relaxed_min (qnan(456),1) (0,-0)\00"
    "relaxed f64x2.relaxed_max (1,-qnan(123)) (-0,0)\00"
    "relaxed i32x4.relaxed_trunc_f32x4_s nan 1e10 -1e10 -1.5\00"
    "relaxed i32x4.relaxed_trunc_f32x4_u nan 1e10 -1 3.9\00"
    "relaxed i32x4.relaxed_trunc_f64x2_s_zero nan 1e300\00"
    "relaxed i32x4.relaxed_trunc_f64x2_u_zero -1 nan\00"
    "relaxed i8x16.relaxed_swizzle 0 15 16 17 31 127 128 255 1..8\00"
    "relaxed i8x16.relaxed_laneselect mask 00 ff 0f f0 80 7f ..\00"
    "relaxed i16x8.relaxed_q15mulr_s\00"
    "relaxed i16x8.relaxed_dot_i8x16_i7x16_s\00"
    "relaxed i32x4.relaxed_dot_i8x16_i7x16_add_s\00"
    "i8x16.add_sat_s\00"
    "i8x16.sub_sat_u\00"
    "i16x8.mul\00"
    "i32x4.dot_i16x8_s\00"
    "i8x16.swizzle 0 15 16 17 31 127 128 255 1..8\00"
    "i8x16.shuffle reversed\00"
    "i8x16.popcnt\00"
    "i64x2.mul (2^64-1)^2 (2^32+1)^2\00"
    "i8x16.avgr_u\00"
    "i16x8.q15mulr_sat_s\00"
    "i32x4.shl 33\00"
    "i64x2.shr_s 65\00"
    "i16x8.narrow_i32x4_s\00"
    "i32x4.extmul_low_i16x8_s\00"
    "i8x16.abs\00"
    "i32x4.min_s max_u\00"
    "v128.bitselect\00"
    "bitmask any_true all_true i32x4.all_true\00"
    "v128.load of stored snan lanes\00"
    "v128.load32_splat snan(123)\00"
    "v128.load8x8_s\00")

  ;; The label `_start` prints next.
  (global $label (mut i32) (i32.const 4096))

  ;; Identity the translator cannot fold.
  (func $v (param v128) (result v128) (local.get 0))

  ;; Writes "<next label>: <lanes>\n" to stdout: $v's 16 bytes as lanes of $size bytes.
  (func $show (param $v v128) (param $size i32)
    (local $p i32) (local $c i32) (local $lane i32) (local $b i32)
    (local.set $p (i32.const 16))
    (block $done
      (loop $copy
        (local.set $c (i32.load8_u (global.get $label)))
        (global.set $label (i32.add (global.get $label) (i32.const 1)))
        (br_if $done (i32.eqz (local.get $c)))
        (i32.store8 (local.get $p) (local.get $c))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $copy)))
    (i32.store8 (local.get $p) (i32.const 58))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (v128.store (i32.const 256) (local.get $v))
    (loop $lanes
      (i32.store8 (local.get $p) (i32.const 32))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      ;; Little-endian lanes: the most significant byte is the last.
      (local.set $b (local.get $size))
      (loop $bytes
        (local.set $b (i32.sub (local.get $b) (i32.const 1)))
        (local.set $c (i32.load8_u offset=256 (i32.add (local.get $lane) (local.get $b))))
        (i32.store8 (local.get $p) (i32.load8_u offset=512 (i32.shr_u (local.get $c) (i32.const 4))))
        (i32.store8 offset=1 (local.get $p) (i32.load8_u offset=512 (i32.and (local.get $c) (i32.const 15))))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))
        (br_if $bytes (local.get $b)))
      (local.set $lane (i32.add (local.get $lane) (local.get $size)))
      (br_if $lanes (i32.lt_u (local.get $lane) (i32.const 16))))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 16)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start")
    ;; f32x4: operations that make a NaN, with NaN operands of every kind.
    (call $show (f32x4.div (call $v (v128.const f32x4 0 1 -1 6)) (call $v (v128.const f32x4 0 0 0 3))) (i32.const 4))
    (call $show (f32x4.sqrt (call $v (v128.const f32x4 -1 4 -0 nan:0x1))) (i32.const 4))
    (call $show (f32x4.sub (call $v (v128.const f32x4 inf 1 -nan:0x400123 1)) (call $v (v128.const f32x4 inf 1 1 nan:0x2))) (i32.const 4))
    (call $show (f32x4.mul (call $v (v128.const f32x4 0 -2 nan:0x400001 1e30)) (call $v (v128.const f32x4 inf 3 -nan:0x400002 1e30))) (i32.const 4))
    (call $show (f32x4.add (call $v (v128.const f32x4 nan:0x1 -nan:0x400123 1 nan:0x400001)) (call $v (v128.const f32x4 1 1 nan:0x400456 nan:0x2))) (i32.const 4))
    (call $show (f32x4.min (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    (call $show (f32x4.max (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    ;; pmin and pmax are defined by a comparison: they return an operand, bits and all.
    (call $show (f32x4.pmin (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    (call $show (f32x4.pmax (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    (call $show (f32x4.floor (call $v (v128.const f32x4 nan:0x1 -nan:0x400123 -1.5 2.5))) (i32.const 4))
    (call $show (f32x4.ceil (call $v (v128.const f32x4 nan:0x400456 -nan:0x1 -0.5 1.25))) (i32.const 4))
    (call $show (f32x4.trunc (call $v (v128.const f32x4 -nan:0x1 nan:0x400456 -1.75 1.75))) (i32.const 4))
    (call $show (f32x4.nearest (call $v (v128.const f32x4 -nan:0x1 nan:0x400456 2.5 -0.5))) (i32.const 4))
    ;; Sign-bit operations keep the payload, a signalling one too.
    (call $show (f32x4.neg (call $v (v128.const f32x4 nan:0x400456 -nan:0x1 1 -0))) (i32.const 4))
    (call $show (f32x4.abs (call $v (v128.const f32x4 -nan:0x400123 -nan:0x1 -1 -0))) (i32.const 4))
    (call $show (f32x4.splat (f32.reinterpret_i32 (i32x4.extract_lane 0 (call $v (v128.const i32x4 0x7f800001 0 0 0))))) (i32.const 4))
    (call $show
      (f32x4.replace_lane 1 (call $v (v128.const f32x4 1 2 nan:0x5 4))
        (f32x4.extract_lane 2 (call $v (v128.const f32x4 1 2 nan:0x5 4))))
      (i32.const 4))
    (call $show (f32x4.eq (call $v (v128.const f32x4 nan 1 -0 nan:0x1)) (call $v (v128.const f32x4 nan 1 0 1))) (i32.const 4))
    ;; Conversions.
    (call $show (f32x4.demote_f64x2_zero (call $v (v128.const f64x2 nan:0x8000000000456 1e300))) (i32.const 4))
    (call $show (f64x2.promote_low_f32x4 (call $v (v128.const f32x4 nan:0x400123 -nan:0x1 9 9))) (i32.const 8))
    (call $show (f32x4.convert_i32x4_u (call $v (v128.const i32x4 0xffffffff 0x80000001 16777217 1))) (i32.const 4))
    (call $show (f64x2.convert_low_i32x4_u (call $v (v128.const i32x4 0xffffffff 7 0 0))) (i32.const 8))
    (call $show (i32x4.trunc_sat_f32x4_s (call $v (v128.const f32x4 nan 1e10 -1e10 -1.5))) (i32.const 4))
    (call $show (i32x4.trunc_sat_f32x4_u (call $v (v128.const f32x4 nan 1e10 -1 3.9))) (i32.const 4))
    (call $show (i32x4.trunc_sat_f64x2_s_zero (call $v (v128.const f64x2 nan -1e300))) (i32.const 4))
    ;; Results IEEE fixes: rounding, overflow, subnormals, no fused multiply-add.
    (call $show (f32x4.add (call $v (v128.const f32x4 0.1 1 3e38 0x1p-149)) (call $v (v128.const f32x4 0.2 0x1p-24 1e38 0x1p-149))) (i32.const 4))
    ;; a*a is 1 + 2^-11 + 2^-24 exactly, whose last term only a fused multiply-add would keep.
    (call $show
      (f32x4.sub
        (f32x4.mul (call $v (v128.const f32x4 0x1.001p+0 0x1.001p+0 0x1.001p+0 0x1.001p+0)) (call $v (v128.const f32x4 0x1.001p+0 0x1.001p+0 0x1.001p+0 0x1.001p+0)))
        (call $v (v128.const f32x4 0x1.002p+0 0x1.002p+0 0x1.002p+0 0x1.002p+0)))
      (i32.const 4))
    ;; f64x2.
    (call $show (f64x2.div (call $v (v128.const f64x2 0 -1)) (call $v (v128.const f64x2 0 0))) (i32.const 8))
    (call $show (f64x2.sqrt (call $v (v128.const f64x2 -1 nan:0x1))) (i32.const 8))
    (call $show (f64x2.add (call $v (v128.const f64x2 nan:0x8000000000001 -nan:0x8000000000123)) (call $v (v128.const f64x2 -nan:0x8000000000002 1))) (i32.const 8))
    (call $show (f64x2.sub (call $v (v128.const f64x2 inf 1)) (call $v (v128.const f64x2 inf nan:0x2))) (i32.const 8))
    (call $show (f64x2.mul (call $v (v128.const f64x2 0 -nan:0x8000000000005)) (call $v (v128.const f64x2 inf 2))) (i32.const 8))
    (call $show (f64x2.min (call $v (v128.const f64x2 nan:0x8000000000456 -0)) (call $v (v128.const f64x2 1 0))) (i32.const 8))
    (call $show (f64x2.max (call $v (v128.const f64x2 1 -0)) (call $v (v128.const f64x2 -nan:0x8000000000123 0))) (i32.const 8))
    (call $show (f64x2.pmin (call $v (v128.const f64x2 nan:0x8000000000456 1)) (call $v (v128.const f64x2 1 -nan:0x8000000000123))) (i32.const 8))
    (call $show (f64x2.floor (call $v (v128.const f64x2 nan:0x1 -0.5))) (i32.const 8))
    (call $show (f64x2.nearest (call $v (v128.const f64x2 -nan:0x8000000000123 2.5))) (i32.const 8))
    (call $show (f64x2.neg (call $v (v128.const f64x2 nan:0x8000000000456 -nan:0x1))) (i32.const 8))
    (call $show (f64x2.add (call $v (v128.const f64x2 0.1 1)) (call $v (v128.const f64x2 0.2 0x1p-53))) (i32.const 8))
    (call $show (f64x2.div (call $v (v128.const f64x2 1 2)) (call $v (v128.const f64x2 3 3))) (i32.const 8))
    (call $show (f64x2.sqrt (call $v (v128.const f64x2 2 0x0.0000000000003p-1022))) (i32.const 8))
    (call $show (f64x2.mul (call $v (v128.const f64x2 0x0.0000000000003p-1022 1e200)) (call $v (v128.const f64x2 0.5 1e200))) (i32.const 8))
    ;; a*a is 1 + 2^-26 + 2^-54 exactly, whose last term only a fused multiply-add would keep.
    (call $show
      (f64x2.sub
        (f64x2.mul (call $v (v128.const f64x2 0x1.0000002p+0 0x1.0000002p+0)) (call $v (v128.const f64x2 0x1.0000002p+0 0x1.0000002p+0)))
        (call $v (v128.const f64x2 0x1.0000004p+0 0x1.0000004p+0)))
      (i32.const 8))
    ;; Constant operands.
    (call $show (f32x4.div (v128.const f32x4 0 0 1 -inf) (v128.const f32x4 0 1 -0 inf)) (i32.const 4))
    (call $show (f64x2.add (v128.const f64x2 nan:0x1 -nan:0x8000000000123) (v128.const f64x2 1 1)) (i32.const 8))
    (call $show (f32x4.min (v128.const f32x4 nan:0x400456 1 -0 0) (v128.const f32x4 1 -nan:0x400123 0 -0)) (i32.const 4))
    ;; Relaxed SIMD: each operator as wasmi fixes it. madd is fused (one rounding: a*a-b keeps
    ;; the 2^-24 and 2^-54 that the unfused lines above lose), with a canonical NaN.
    (call $show
      (f32x4.relaxed_madd
        (call $v (v128.const f32x4 0x1.001p+0 0 nan:0x400005 2))
        (call $v (v128.const f32x4 0x1.001p+0 inf 1 3))
        (call $v (v128.const f32x4 -0x1.002p+0 1 1 1)))
      (i32.const 4))
    (call $show
      (f32x4.relaxed_nmadd
        (call $v (v128.const f32x4 0x1.001p+0 0 1 2))
        (call $v (v128.const f32x4 0x1.001p+0 inf 1 3))
        (call $v (v128.const f32x4 0x1.002p+0 1 nan:0x1 1)))
      (i32.const 4))
    (call $show
      (f64x2.relaxed_madd
        (call $v (v128.const f64x2 0x1.0000002p+0 0))
        (call $v (v128.const f64x2 0x1.0000002p+0 inf))
        (call $v (v128.const f64x2 -0x1.0000004p+0 1)))
      (i32.const 8))
    (call $show
      (f64x2.relaxed_nmadd
        (call $v (v128.const f64x2 0x1.0000002p+0 -nan:0x8000000000123))
        (call $v (v128.const f64x2 0x1.0000002p+0 1))
        (call $v (v128.const f64x2 0x1.0000004p+0 1)))
      (i32.const 8))
    (call $show (f32x4.relaxed_min (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    (call $show (f32x4.relaxed_max (call $v (v128.const f32x4 nan:0x400456 1 -0 0)) (call $v (v128.const f32x4 1 -nan:0x400123 0 -0))) (i32.const 4))
    (call $show (f64x2.relaxed_min (call $v (v128.const f64x2 nan:0x8000000000456 0)) (call $v (v128.const f64x2 1 -0))) (i32.const 8))
    (call $show (f64x2.relaxed_max (call $v (v128.const f64x2 1 -0)) (call $v (v128.const f64x2 -nan:0x8000000000123 0))) (i32.const 8))
    (call $show (i32x4.relaxed_trunc_f32x4_s (call $v (v128.const f32x4 nan 1e10 -1e10 -1.5))) (i32.const 4))
    (call $show (i32x4.relaxed_trunc_f32x4_u (call $v (v128.const f32x4 nan 1e10 -1 3.9))) (i32.const 4))
    (call $show (i32x4.relaxed_trunc_f64x2_s_zero (call $v (v128.const f64x2 nan 1e300))) (i32.const 4))
    (call $show (i32x4.relaxed_trunc_f64x2_u_zero (call $v (v128.const f64x2 -1 nan))) (i32.const 4))
    (call $show
      (i8x16.relaxed_swizzle
        (call $v (v128.const i8x16 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f))
        (call $v (v128.const i8x16 0 15 16 17 31 127 128 255 1 2 3 4 5 6 7 8)))
      (i32.const 1))
    (call $show
      (i8x16.relaxed_laneselect
        (call $v (v128.const i8x16 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa 0xaa))
        (call $v (v128.const i8x16 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55 0x55))
        (call $v (v128.const i8x16 0x00 0xff 0x0f 0xf0 0x80 0x7f 0x01 0xfe 0x00 0xff 0x0f 0xf0 0x80 0x7f 0x01 0xfe)))
      (i32.const 1))
    (call $show
      (i16x8.relaxed_q15mulr_s
        (call $v (v128.const i16x8 -32768 16384 -1 32767 -32768 100 -100 0))
        (call $v (v128.const i16x8 -32768 16384 1 32767 32767 200 200 5)))
      (i32.const 2))
    ;; The second operand's high bit set: wasmi reads it as signed.
    (call $show
      (i16x8.relaxed_dot_i8x16_i7x16_s
        (call $v (v128.const i8x16 -128 -128 127 127 -1 1 2 3 4 5 6 7 -8 9 10 11))
        (call $v (v128.const i8x16 -128 -128 127 127 -1 1 -2 3 100 -100 0 1 2 3 4 5)))
      (i32.const 2))
    (call $show
      (i32x4.relaxed_dot_i8x16_i7x16_add_s
        (call $v (v128.const i8x16 -128 -128 -128 -128 127 127 127 127 -1 1 2 3 4 5 6 7))
        (call $v (v128.const i8x16 -128 -128 -128 -128 127 127 127 127 -1 1 -2 3 100 -100 0 1))
        (call $v (v128.const i32x4 1 -1 0x7fffffff 0)))
      (i32.const 4))
    ;; Integer SIMD.
    (call $show
      (i8x16.add_sat_s
        (call $v (v128.const i8x16 127 -128 100 -100 1 -1 0 50 127 -128 100 -100 1 -1 0 50))
        (call $v (v128.const i8x16 1 -1 100 -100 -1 1 0 50 -1 1 27 -28 127 -128 0 -50)))
      (i32.const 1))
    (call $show
      (i8x16.sub_sat_u
        (call $v (v128.const i8x16 0 255 100 5 0 255 100 5 0 255 100 5 0 255 100 5))
        (call $v (v128.const i8x16 1 254 200 5 0 0 99 6 1 254 200 5 0 0 99 6)))
      (i32.const 1))
    (call $show
      (i16x8.mul
        (call $v (v128.const i16x8 32767 -32768 300 -1 2 3 4 5))
        (call $v (v128.const i16x8 2 -1 300 -1 -2 3 4 5)))
      (i32.const 2))
    (call $show
      (i32x4.dot_i16x8_s
        (call $v (v128.const i16x8 -32768 -32768 32767 32767 1 2 -3 4))
        (call $v (v128.const i16x8 -32768 -32768 32767 32767 5 6 7 -8)))
      (i32.const 4))
    (call $show
      (i8x16.swizzle
        (call $v (v128.const i8x16 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f))
        (call $v (v128.const i8x16 0 15 16 17 31 127 128 255 1 2 3 4 5 6 7 8)))
      (i32.const 1))
    (call $show
      (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0
        (call $v (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
        (call $v (v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)))
      (i32.const 1))
    (call $show
      (i8x16.popcnt (call $v (v128.const i8x16 0 1 3 7 15 31 63 127 255 128 0x55 0xaa 0x0f 0xf0 2 6)))
      (i32.const 1))
    (call $show
      (i64x2.mul
        (call $v (v128.const i64x2 -1 0x100000001))
        (call $v (v128.const i64x2 -1 0x100000001)))
      (i32.const 8))
    (call $show
      (i8x16.avgr_u
        (call $v (v128.const i8x16 255 0 1 254 3 0 0 0 255 0 1 254 3 0 0 0))
        (call $v (v128.const i8x16 255 1 2 255 4 0 0 0 0 255 2 0 5 0 0 0)))
      (i32.const 1))
    (call $show
      (i16x8.q15mulr_sat_s
        (call $v (v128.const i16x8 -32768 16384 -1 32767 -32768 100 -100 0))
        (call $v (v128.const i16x8 -32768 16384 1 32767 32767 200 200 5)))
      (i32.const 2))
    (call $show (i32x4.shl (call $v (v128.const i32x4 1 0x80000001 -1 0x40000000)) (i32.const 33)) (i32.const 4))
    (call $show (i64x2.shr_s (call $v (v128.const i64x2 -8 0x4000000000000000)) (i32.const 65)) (i32.const 8))
    (call $show
      (i16x8.narrow_i32x4_s
        (call $v (v128.const i32x4 70000 -70000 5 -5))
        (call $v (v128.const i32x4 32767 -32768 32768 -32769)))
      (i32.const 2))
    (call $show
      (i32x4.extmul_low_i16x8_s
        (call $v (v128.const i16x8 -32768 32767 -1 2 9 9 9 9))
        (call $v (v128.const i16x8 -32768 -32768 -1 -3 9 9 9 9)))
      (i32.const 4))
    (call $show (i8x16.abs (call $v (v128.const i8x16 -128 -127 -1 0 1 127 -2 2 -128 -127 -1 0 1 127 -2 2))) (i32.const 1))
    (call $show
      (i32x4.max_u
        (i32x4.min_s
          (call $v (v128.const i32x4 -1 0x7fffffff 0x80000000 5))
          (call $v (v128.const i32x4 1 -1 0 6)))
        (call $v (v128.const i32x4 0 0 0x7fffffff 0xfffffff0)))
      (i32.const 4))
    (call $show
      (v128.bitselect
        (call $v (v128.const i32x4 0xaaaaaaaa 0xaaaaaaaa 0xaaaaaaaa 0xaaaaaaaa))
        (call $v (v128.const i32x4 0x55555555 0x55555555 0x55555555 0x55555555))
        (call $v (v128.const i32x4 0 0xffffffff 0x0f0f0f0f 0x80000001)))
      (i32.const 4))
    (call $show
      (i32x4.replace_lane 3
        (i32x4.replace_lane 2
          (i32x4.replace_lane 1
            (i32x4.splat (i8x16.bitmask (call $v (v128.const i8x16 -1 0 -128 127 1 -2 0 0 -1 -1 -1 -1 0 0 0 -3))))
            (v128.any_true (call $v (v128.const i64x2 0 0x100))))
          (i8x16.all_true (call $v (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 0))))
        (i32x4.all_true (call $v (v128.const i32x4 0x100 0x10000 0x1000000 1))))
      (i32.const 4))
    ;; Loads and stores move bits as they are, a signalling NaN too.
    (v128.store (i32.const 384) (call $v (v128.const i32x4 0x7f800001 0xff800123 0x7fc00456 0xffc00000)))
    (call $show (v128.load (i32.const 384)) (i32.const 4))
    (i32.store (i32.const 400) (i32.const 0x7f800123))
    (call $show (v128.load32_splat (i32.const 400)) (i32.const 4))
    (i64.store (i32.const 408) (i64.const 0x8001ff7f00fe0180))
    (call $show (v128.load8x8_s (i32.const 408)) (i32.const 2)))
)
