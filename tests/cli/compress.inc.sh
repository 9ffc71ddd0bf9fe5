# compress.inc.sh - `nnq compress` / `nnq decompress` checks (sourced by test_cli.sh).
M="$SRC/../examples/fmnist_cnn.onnx"
C="$NNQ compress $M --min-size 100 -q"
check "compress --help"                 0 "Usage: nnq compress"      -- $NNQ compress --help
check "decompress --help"               0 "Usage: nnq decompress"    -- $NNQ decompress --help
check "compress palettize runs"         0 "^total"                   -- $C -o "$TMP/c.onnx" --mode palettize --bits 4
check "compress json"                   0 '"sqnr_db"'                -- $C -o "$TMP/c.onnx" --mode linear --bits 8 --json
check "decompress runs"                 0 "decompressed weights: 4"  -- $NNQ decompress "$TMP/c.onnx" -o "$TMP/d.onnx"
check "compress missing output"         2 "missing --output"         -- $C --mode palettize
check "compress nothing to do"          2 "nothing to do"            -- $C -o "$TMP/x.onnx"
check "compress missing model"          2 "missing MODEL"            -- $NNQ compress -o "$TMP/x.onnx"
check "compress bad --mode"             2 "invalid value 'zip' for --mode" -- $C -o "$TMP/x.onnx" --mode zip
check "compress bad --bits"             2 "invalid value 'x' for --bits" -- $C -o "$TMP/x.onnx" --mode palettize --bits x
check "compress bits out of range"      1 "tensor 'conv1.weight'.*5" -- $C -o "$TMP/x.onnx" --mode palettize --bits 5
check "compress linear bits 1"          1 "conv1.weight"             -- $C -o "$TMP/x.onnx" --mode linear --bits 1
check "compress bad --method"           2 "for --method"             -- $C -o "$TMP/x.onnx" --mode palettize --method foo
check "compress bad --granularity"      2 "for --granularity"        -- $C -o "$TMP/x.onnx" --mode palettize --granularity x
check "compress group not dividing"     1 "not a multiple of group_size 7" -- $C -o "$TMP/x.onnx" --mode palettize --group-size 7
check "compress bad --group-size"       2 "for --group-size"         -- $C -o "$TMP/x.onnx" --mode palettize --group-size -1
check "compress bad --lut-dtype"        2 "for --lut-dtype"          -- $C -o "$TMP/x.onnx" --mode palettize --lut-dtype bf16
check "compress bad --linear-mode"      2 "for --linear-mode"        -- $C -o "$TMP/x.onnx" --mode linear --linear-mode x
check "compress unique too many"        1 "fc1.weight"               -- $C -o "$TMP/x.onnx" --mode palettize --method unique --bits 2 --include 'fc1*'
check "compress bad --prune"            2 "for --prune"              -- $C -o "$TMP/x.onnx" --prune x
check "compress sparsity 1"             1 "sparsity"                 -- $C -o "$TMP/x.onnx" --prune magnitude --sparsity 1
check "compress bad --sparsity"         2 "for --sparsity"           -- $C -o "$TMP/x.onnx" --prune magnitude --sparsity abc
check "compress bad --threshold"        2 "for --threshold"          -- $C -o "$TMP/x.onnx" --prune threshold --threshold nan
check "compress n >= m"                 1 "fc1.weight"               -- $C -o "$TMP/x.onnx" --prune n:m --n-m 4:4 --include 'fc1*'
check "compress bad --n-m"              2 "for --n-m"                -- $C -o "$TMP/x.onnx" --prune n:m --n-m 2-4
check "compress bad --block-size"       2 "for --block-size"         -- $C -o "$TMP/x.onnx" --prune block --block-size z
check "compress bad --seed"             2 "for --seed"               -- $C -o "$TMP/x.onnx" --mode palettize --seed q
check "compress bad --op-types"         2 "for --op-types"           -- $C -o "$TMP/x.onnx" --mode palettize --op-types ,
check "compress include matches none"   1 "include glob 'zz\*'"      -- $C -o "$TMP/x.onnx" --mode palettize --include 'zz*'
check "compress bad --exclude glob"     1 "exclude glob"             -- $C -o "$TMP/x.onnx" --mode palettize --exclude '[a'
check "compress bad --min-size"         2 "for --min-size"           -- $NNQ compress $M -o "$TMP/x.onnx" --mode palettize --min-size 0
check "compress bad --threads"          2 "for --threads"            -- $C -o "$TMP/x.onnx" --mode palettize -t 0
check "compress bad --batch-size"       2 "for --batch-size"         -- $C -o "$TMP/x.onnx" --mode palettize -b 0
check "compress bad --samples"          2 "for --samples"            -- $C -o "$TMP/x.onnx" --mode palettize -n 0
check "compress bad --scale"            2 "for --scale"              -- $C -o "$TMP/x.onnx" --mode palettize --scale x
check "compress labels without data"    2 "needs --data"             -- $C -o "$TMP/x.onnx" --mode palettize --labels foo
check "compress missing data file"      1 "error"                    -- $C -o "$TMP/x.onnx" --mode palettize --data "$TMP/nope.npy"
check "compress missing config"         1 "cannot open"              -- $C -o "$TMP/x.onnx" --config "$TMP/nope.yaml"
printf 'global: {mode: palettize, bits: 9}\n' > "$TMP/bad.yaml"
check "compress config bits 9"          1 "bits.*outside"            -- $C -o "$TMP/x.onnx" --config "$TMP/bad.yaml"
printf 'global: {mode: palettize, bitz: 4}\n' > "$TMP/bad2.yaml"
check "compress config unknown key"     1 "unknown key 'bitz'"       -- $C -o "$TMP/x.onnx" --config "$TMP/bad2.yaml"
printf 'global: {mode: palettize, bits: 4}\nop_type: {Conv: null}\nname: {"fc2*": {mode: linear, bits: 8}}\n' > "$TMP/ok.yaml"
check "compress config sections"        0 "fc2.weight +Gemm +linear_symmetric 8b" -- $C -o "$TMP/x.onnx" --config "$TMP/ok.yaml"
check "compress per-block runs"         0 "fc1.weight .*block 32 axis 1" -- $C -o "$TMP/pb.onnx" --mode linear --bits 4 --granularity per-block --op-types Gemm
check "compress per-block opset 21"     0 "ai.onnx 21"               -- $NNQ inspect "$TMP/pb.onnx"
check "compress --linear-dtype uint"    0 "linear 4b uint g1"        -- $C -o "$TMP/x.onnx" --mode linear --bits 4 --linear-mode linear --linear-dtype uint --granularity per-channel
check "compress --max-opset 13 runs"    0 "^total"                   -- $C -o "$TMP/m13.onnx" --mode palettize --bits 4 --max-opset 13
check "compress --max-opset 13 kept"    0 "ai.onnx 13"               -- $NNQ inspect "$TMP/m13.onnx"
check "compress per-block not multiple" 1 "tensor 'conv1.weight' axis 1 has 1 elements, not a multiple of block_size 32" -- $C -o "$TMP/x.onnx" --mode linear --bits 4 --granularity per-block
check "compress per-block bad block"    1 "fc2.weight' axis 1 has 64 elements, not a multiple of block_size 48" -- $C -o "$TMP/x.onnx" --mode linear --bits 4 --granularity per-block --block-size 48 --include 'fc2*'
check "compress per-block max-opset"    1 "needs a blocked DequantizeLinear \\(opset 21\\), but max_opset is below 21" -- $C -o "$TMP/x.onnx" --mode linear --granularity per-block --op-types Gemm --max-opset 13
check "compress per-block palettize"    2 "per-block is for --mode linear" -- $C -o "$TMP/x.onnx" --mode palettize --granularity per-block
check "compress per-block + block prune" 2 "both use --block-size"    -- $C -o "$TMP/x.onnx" --mode linear --granularity per-block --prune block
check "compress bad --linear-dtype"     2 "invalid value 'int4' for --linear-dtype" -- $C -o "$TMP/x.onnx" --mode linear --linear-dtype int4
check "compress bad --max-opset"        2 "invalid value '12' for --max-opset: expected an opset >= 13" -- $C -o "$TMP/x.onnx" --mode palettize --max-opset 12
check "compress bad --max-opset text"   2 "invalid value 'x' for --max-opset" -- $C -o "$TMP/x.onnx" --mode palettize --max-opset x
check "compress per-block bits 9"       1 "linear bits 9 outside"    -- $C -o "$TMP/x.onnx" --mode linear --bits 9 --granularity per-block --op-types Gemm
printf 'global: {mode: linear, bits: 4, granularity: per_block, linear_dtype: uint}\nop_type: {Conv: null}\n' > "$TMP/pb.yaml"
check "compress config per_block"       0 "fc2.weight .*uint block 32" -- $C -o "$TMP/x.onnx" --config "$TMP/pb.yaml"
printf 'global: {mode: linear, linear_dtype: u4}\n' > "$TMP/bad3.yaml"
check "compress config bad linear_dtype" 1 "unknown value 'u4'"      -- $C -o "$TMP/x.onnx" --config "$TMP/bad3.yaml"
check "compress unknown option"         2 "unknown option '--zzz'"   -- $C -o "$TMP/x.onnx" --zzz
check "compress extra argument"         2 "unexpected argument"      -- $C extra -o "$TMP/x.onnx" --mode palettize
rm -f "$TMP/fail.onnx"
$NNQ compress $M -o "$TMP/fail.onnx" --min-size 100 -q --mode palettize --bits 5 >/dev/null 2>&1
check "no output file on failure"       1 ""                         -- test -e "$TMP/fail.onnx"
cp "$M" "$TMP/same.onnx"
check "compress output = input refused" 1 "is the input model"       -- $NNQ compress "$TMP/same.onnx" -o "$TMP/same.onnx" --mode palettize
check "decompress output = input"       1 "is the input model"       -- $NNQ decompress "$TMP/c.onnx" -o "$TMP/c.onnx"
check "decompress missing output"       2 "missing --output"         -- $NNQ decompress "$TMP/c.onnx"
check "decompress unknown option"       2 "unknown option"           -- $NNQ decompress "$TMP/c.onnx" -o "$TMP/d.onnx" --zz
check "decompress missing file"         1 "error"                    -- $NNQ decompress "$TMP/nope.onnx" -o "$TMP/d.onnx"
F=/usr/share/datasets/fashion-mnist
if [ -f "$F/t10k-images-idx3-ubyte.gz" ]; then
check "compress --data --labels"        0 "top-1 compressed"         -- $C -o "$TMP/c.onnx" --mode palettize --bits 4 --data "$F/t10k-images-idx3-ubyte.gz" --labels "$F/t10k-labels-idx1-ubyte.gz" --scale 0.0039215686 --mean 0.2860 --std 0.3530 -n 256
fi
# Pruning alone writes mask + values decode chains that decompress rebuilds.
check "compress prune alone sparse"     0 "model bytes: [0-9]* -> 1[0-9][0-9][0-9][0-9][0-9] " -- $NNQ compress $M --min-size 100 -o "$TMP/p.onnx" --prune magnitude --sparsity 0.7
check "decompress prune alone"          0 "decompressed weights: 4"  -- $NNQ decompress "$TMP/p.onnx" -o "$TMP/pd.onnx"
