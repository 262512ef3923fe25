;; The byte-level prefilter of `recent`, in WebAssembly SIMD: one pass over a window of input finds
;; the lines that hold any of a few needles (`secrets`, `configmaps`) and counts the others, at
;; several GB/s. Buffer.indexOf runs at about 1 GB/s per needle on audit JSON, because every needle
;; starts with a byte that is everywhere; a JavaScript loop over bytes is slower still.
;;
;; The method is the "generic SIMD" substring search (Wojciech Mula): for each needle, two probe
;; bytes at two offsets are compared against 64 bytes of input at once; only where both match is
;; the whole needle compared. The caller picks the probes (rare bytes of the input), so candidate
;; positions are rare and most 64-byte blocks take the fast path: no newline and no candidate.
;;
;; Regenerate src/audit/line-scan-wasm.ts after editing: npm run build:wasm (a test checks they agree).
;;
;; Memory (owned by the caller, see line-scan.ts):
;;   needle table: one 64-byte entry per needle:
;;     [0,16) probe byte A splatted, [16,32) probe byte B splatted,
;;     [32] offset of A, [36] offset of B, [40] needle length, [44] address of the needle's bytes
;;   hits: 12 bytes per reported line: line start, line end (its newline), line index
;;   input: the region scanned must end just after a newline, and 128 readable bytes must follow it
;;     (blocks are read 64 bytes at a time plus a needle's probe offset; bytes past the end are ignored).
(module
  (memory (export "memory") 1)
  ;; Lines ended so far (every newline), and non-blank lines that were not reported.
  (global $lines (export "lines") (mut i32) (i32.const 0))
  (global $records (export "records") (mut i32) (i32.const 0))
  ;; Where a scan stopped: the region's end, or the start of the next line when the hit list filled.
  (global $pos (export "pos") (mut i32) (i32.const 0))

  ;; 1 when the len bytes at p equal those at n.
  (func $equal (param $p i32) (param $n i32) (param $len i32) (result i32)
    (local $j i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $len)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $p) (local.get $j)))
                    (i32.load8_u (i32.add (local.get $n) (local.get $j))))
          (then (return (i32.const 0))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; 1 when [p, e) holds a byte other than space, tab, CR, LF: the reader's idea of a blank line.
  ;; Called once per line; it stops at the first such byte, which is the first byte of a real record.
  (func $nonBlank (param $p i32) (param $e i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $c (i32.load8_u (local.get $p)))
        (if (i32.and (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 9)))
                     (i32.and (i32.ne (local.get $c) (i32.const 13)) (i32.ne (local.get $c) (i32.const 10))))
          (then (return (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; One bit per byte of a 64-byte block, from four 16-byte comparison results.
  (func $mask64 (param $v0 v128) (param $v1 v128) (param $v2 v128) (param $v3 v128) (result i64)
    (i64.or
      (i64.or (i64.extend_i32_u (i8x16.bitmask (local.get $v0)))
              (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $v1))) (i64.const 16)))
      (i64.or (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $v2))) (i64.const 32))
              (i64.shl (i64.extend_i32_u (i8x16.bitmask (local.get $v3))) (i64.const 48)))))

  ;; Probe bytes A and B of one needle against the 64 bytes at i: lanes where both match.
  (func $candidates (param $i i32) (param $e i32) (result v128 v128 v128 v128)
    (local $a i32) (local $b i32) (local $sa v128) (local $sb v128)
    (local.set $a (i32.add (local.get $i) (i32.load offset=32 (local.get $e))))
    (local.set $b (i32.add (local.get $i) (i32.load offset=36 (local.get $e))))
    (local.set $sa (v128.load (local.get $e)))
    (local.set $sb (v128.load offset=16 (local.get $e)))
    (v128.and (i8x16.eq (v128.load (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load (local.get $b)) (local.get $sb)))
    (v128.and (i8x16.eq (v128.load offset=16 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=16 (local.get $b)) (local.get $sb)))
    (v128.and (i8x16.eq (v128.load offset=32 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=32 (local.get $b)) (local.get $sb)))
    (v128.and (i8x16.eq (v128.load offset=48 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=48 (local.get $b)) (local.get $sb))))

  ;; Scan [start, end). Reports each line holding a needle (every line when $all is 1) into $out,
  ;; at most $cap of them, and returns how many. Lines not reported only move the counters.
  (func (export "scan") (param $start i32) (param $end i32) (param $table i32) (param $count i32)
                        (param $all i32) (param $out i32) (param $cap i32) (result i32)
    (local $i i32) (local $k i32) (local $e i32) (local $len i32) (local $q i32)
    (local $a i32) (local $b i32) (local $sa v128) (local $sb v128) (local $nlv v128) (local $any v128)
    (local $nl i64) (local $c i64) (local $hitm i64) (local $valid i64) (local $lo i64) (local $p i64)
    (local $lineStart i32) (local $nlpos i32) (local $hit i32) (local $hits i32) (local $o i32)
    (local.set $nlv (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))
    (local.set $lineStart (local.get $start))
    (local.set $i (local.get $start))
    (block $exit
      (loop $blocks
        (br_if $exit (i32.ge_u (local.get $i) (local.get $end)))

        ;; Fast path: no newline and no candidate in these 64 bytes.
        (local.set $any (v128.or
          (v128.or (i8x16.eq (v128.load (local.get $i)) (local.get $nlv))
                   (i8x16.eq (v128.load offset=16 (local.get $i)) (local.get $nlv)))
          (v128.or (i8x16.eq (v128.load offset=32 (local.get $i)) (local.get $nlv))
                   (i8x16.eq (v128.load offset=48 (local.get $i)) (local.get $nlv)))))
        (local.set $k (i32.const 0))
        (block $probed
          (loop $probe
            (br_if $probed (i32.ge_u (local.get $k) (local.get $count)))
            ;; $candidates, written out: a call per block and needle costs more than the work.
            (local.set $e (i32.add (local.get $table) (i32.shl (local.get $k) (i32.const 6))))
            (local.set $a (i32.add (local.get $i) (i32.load offset=32 (local.get $e))))
            (local.set $b (i32.add (local.get $i) (i32.load offset=36 (local.get $e))))
            (local.set $sa (v128.load (local.get $e)))
            (local.set $sb (v128.load offset=16 (local.get $e)))
            (local.set $any (v128.or (local.get $any) (v128.or
              (v128.or
                (v128.and (i8x16.eq (v128.load (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load (local.get $b)) (local.get $sb)))
                (v128.and (i8x16.eq (v128.load offset=16 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=16 (local.get $b)) (local.get $sb))))
              (v128.or
                (v128.and (i8x16.eq (v128.load offset=32 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=32 (local.get $b)) (local.get $sb)))
                (v128.and (i8x16.eq (v128.load offset=48 (local.get $a)) (local.get $sa)) (i8x16.eq (v128.load offset=48 (local.get $b)) (local.get $sb)))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $probe)))
        (if (i32.eqz (v128.any_true (local.get $any)))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 64)))
            (br $blocks)))

        ;; Slow path: exact bit masks of newlines and verified needle hits in the block.
        (local.set $valid
          (if (result i64) (i32.ge_u (i32.sub (local.get $end) (local.get $i)) (i32.const 64))
            (then (i64.const -1))
            (else (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $i)))) (i64.const 1)))))
        (local.set $nl (i64.and (local.get $valid) (call $mask64
          (i8x16.eq (v128.load (local.get $i)) (local.get $nlv))
          (i8x16.eq (v128.load offset=16 (local.get $i)) (local.get $nlv))
          (i8x16.eq (v128.load offset=32 (local.get $i)) (local.get $nlv))
          (i8x16.eq (v128.load offset=48 (local.get $i)) (local.get $nlv)))))
        (local.set $hitm (i64.const 0))
        (local.set $k (i32.const 0))
        (block $verified
          (loop $verify
            (br_if $verified (i32.ge_u (local.get $k) (local.get $count)))
            (local.set $e (i32.add (local.get $table) (i32.shl (local.get $k) (i32.const 6))))
            (local.set $len (i32.load offset=40 (local.get $e)))
            (local.set $c (i64.and (local.get $valid) (call $mask64 (call $candidates (local.get $i) (local.get $e)))))
            ;; Candidate bits are positions where the needle would start.
            (block $none
              (loop $each
                (br_if $none (i64.eqz (local.get $c)))
                (local.set $q (i32.add (local.get $i) (i32.wrap_i64 (i64.ctz (local.get $c)))))
                (if (i32.le_u (i32.add (local.get $q) (local.get $len)) (local.get $end))
                  (then
                    (if (call $equal (local.get $q) (i32.load offset=44 (local.get $e)) (local.get $len))
                      (then (local.set $hitm (i64.or (local.get $hitm)
                        (i64.shl (i64.const 1) (i64.extend_i32_u (i32.sub (local.get $q) (local.get $i))))))))))
                (local.set $c (i64.and (local.get $c) (i64.sub (local.get $c) (i64.const 1))))
                (br $each)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $verify)))

        ;; Walk the newlines: hits below a newline belong to the line it ends.
        (local.set $lo (i64.const 0))
        (block $ended
          (loop $line
            (br_if $ended (i64.eqz (local.get $nl)))
            (local.set $p (i64.ctz (local.get $nl)))
            (local.set $nlpos (i32.add (local.get $i) (i32.wrap_i64 (local.get $p))))
            (if (i32.or (i32.or (local.get $all) (local.get $hit))
                        (i64.ne (i64.and (local.get $hitm)
                                         (i64.and (i64.sub (i64.shl (i64.const 1) (local.get $p)) (i64.const 1))
                                                  (i64.xor (i64.sub (i64.shl (i64.const 1) (local.get $lo)) (i64.const 1)) (i64.const -1))))
                                (i64.const 0)))
              (then
                (local.set $o (i32.add (local.get $out) (i32.mul (local.get $hits) (i32.const 12))))
                (i32.store (local.get $o) (local.get $lineStart))
                (i32.store offset=4 (local.get $o) (local.get $nlpos))
                (i32.store offset=8 (local.get $o) (global.get $lines))
                (local.set $hits (i32.add (local.get $hits) (i32.const 1))))
              (else
                (if (call $nonBlank (local.get $lineStart) (local.get $nlpos))
                  (then (global.set $records (i32.add (global.get $records) (i32.const 1)))))))
            (global.set $lines (i32.add (global.get $lines) (i32.const 1)))
            (local.set $lineStart (i32.add (local.get $nlpos) (i32.const 1)))
            (local.set $hit (i32.const 0))
            (local.set $lo (i64.add (local.get $p) (i64.const 1)))
            (local.set $nl (i64.and (local.get $nl) (i64.sub (local.get $nl) (i64.const 1))))
            (if (i32.ge_u (local.get $hits) (local.get $cap))
              (then
                (global.set $pos (local.get $lineStart))
                (return (local.get $hits))))
            (br $line)))
        ;; Hits after the block's last newline belong to the line that continues (a shift by 64 is
        ;; a shift by 0 in wasm, hence the guard).
        (if (i64.lt_u (local.get $lo) (i64.const 64))
          (then (local.set $hit (i32.or (local.get $hit)
            (i64.ne (i64.shr_u (local.get $hitm) (local.get $lo)) (i64.const 0))))))
        (local.set $i (i32.add (local.get $i) (i32.const 64)))
        (br $blocks)))
    (global.set $pos (local.get $end))
    (local.get $hits))
)
