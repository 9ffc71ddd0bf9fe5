# quantize.inc.sh - checks of `nnq quantize`, `calibrate`, `summary` and
# `eval`, sourced by test_cli.sh.  Data: small .npy files made by nnq's own
# tests would need Python; the bundled Fashion-MNIST files are used when
# present (Debian package dataset-fashion-mnist), else those checks skip.
MODEL="$SRC/../examples/fmnist_cnn.onnx"
FM=/usr/share/datasets/fashion-mnist
TRAIN="$FM/train-images-idx3-ubyte.gz"
TEST="$FM/t10k-images-idx3-ubyte.gz"
LABELS="$FM/t10k-labels-idx1-ubyte.gz"
NORM="--scale 0.003921568627 --mean 0.2860 --std 0.3530"

for cmd in quantize calibrate eval summary; do
    check "help $cmd"                      0 "Usage: nnq $cmd"       -- "$NNQ" help $cmd
    check "$cmd --help"                    0 "Usage: nnq $cmd"       -- "$NNQ" $cmd --help
    check "$cmd listed in --help"          0 "^  $cmd "              -- "$NNQ" --help
    check "$cmd unknown option"            2 "unknown option '--zzz'" -- "$NNQ" $cmd --zzz "$MODEL"
    check "$cmd --threads 0"               2 "invalid value '0' for --threads" -- "$NNQ" $cmd -t 0 "$MODEL"
done
check "quantize without model"             2 "missing MODEL"         -- "$NNQ" quantize -o "$TMP/q.onnx"
check "quantize without --output"          2 "missing --output"      -- "$NNQ" quantize "$MODEL"
check "quantize two models"                2 "unexpected argument"   -- "$NNQ" quantize "$MODEL" "$MODEL" -o "$TMP/q.onnx"
check "quantize --data and --calib-table"  2 "not both"              -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --data x --calib-table y
check "quantize --batch-size 0"            2 "invalid value '0' for --batch-size" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" -b 0
check "quantize --samples x"               2 "invalid value 'x' for --samples" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" -n x
check "quantize --scale 0"                 2 "invalid value '0' for --scale" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --scale 0
check "quantize --mean nan"                2 "invalid value 'nan' for --mean" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --mean nan
check "quantize --std -1"                  2 "invalid value '-1' for --std" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --std -1
check "quantize --exclude empty"           2 "empty pattern"         -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --exclude ''
check "quantize --config missing value"    2 "needs a value"         -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --config
check "quantize unknown preset"            1 "no-such-preset"        -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --config no-such-preset
check "quantize bad --exclude glob"        1 "exclude pattern '\[ab'" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx" --config int8-weight-only -x '[ab'
check "quantize missing model"             1 "error: .*no_such.onnx" -- "$NNQ" quantize "$TMP/no_such.onnx" -o "$TMP/q.onnx"
check "quantize int8 without data fails"   1 "no calibration statistics" -- "$NNQ" quantize "$MODEL" -o "$TMP/q.onnx"
check "  ... and writes no file"           1 ""                      -- test -e "$TMP/q.onnx"
check "quantize onto its input refused"    1 "error: "               -- "$NNQ" quantize "$MODEL" -o "$MODEL" --config int8-weight-only
check "quantize weight-only, no data"      0 "4 weight and 0 activation sites" -- "$NNQ" quantize "$MODEL" -o "$TMP/w8.onnx" --config int8-weight-only
check "quantize int4 block fallback warns" 0 "warning: site '/conv1/Conv.weight_quantizer' kept float" -- "$NNQ" quantize "$MODEL" -o "$TMP/w4.onnx" --config int4-weight-only-b32
printf 'quant_cfg:\n  "*wieght_quantizer": {num_bits: 8}\n' >"$TMP/typo.yaml"
check "config matching nothing warns"      0 "nearest: '/conv1/Conv.weight_quantizer'" -- "$NNQ" summary "$MODEL" --config "$TMP/typo.yaml"
check "summary int8"                       0 "^/fc1/Gemm.weight_quantizer +yes +int8 +axis 0 +max" -- "$NNQ" summary "$MODEL" --config int8
check "summary int8: model input by max"   0 "^/conv1/Conv.input_quantizer +yes +int8 +per-tensor +max" -- "$NNQ" summary "$MODEL" --config int8
check "summary int8: other inputs entropy"  0 "^/conv2/Conv.input_quantizer +yes +int8 +per-tensor +entropy" -- "$NNQ" summary "$MODEL" --config int8
check "summary --json"                     0 '"sites_enabled": 8'    -- "$NNQ" summary "$MODEL" --json
printf 'global:\n  weight_quantizer: {format: nvfp4}\n' >"$TMP/nvfp4.yaml"
check "summary unsupported format"         1 "no ONNX QDQ form"      -- "$NNQ" summary "$MODEL" --config "$TMP/nvfp4.yaml"
RESIDUAL="$SRC/data/onnx/residual_add.onnx"
ATTENTION="$SRC/data/onnx/attention_matmul.onnx"
check "summary --quantize-add: skip input" 0 "^add.input_quantizer +yes +int8 +per-tensor +max" -- "$NNQ" summary "$RESIDUAL" --config int8 --quantize-add
check "summary --quantize-add: 7 sites"    0 "^7 quantizer sites, 5 enabled" -- "$NNQ" summary "$RESIDUAL" --config int8 --quantize-add
check "summary without --quantize-add"     0 "^6 quantizer sites, 4 enabled" -- "$NNQ" summary "$RESIDUAL" --config int8
check "summary MatMul of activations"      0 "^scores.input1_quantizer +yes +int8 +per-tensor +entropy" -- "$NNQ" summary "$ATTENTION" --config int8
check "  ... and no weight site"           1 ""                      -- sh -c "\"\$0\" summary \"\$1\" --config int8 | grep -q '^scores.weight_quantizer'" "$NNQ" "$ATTENTION"
check "eval without --data"                2 "missing --data"        -- "$NNQ" eval "$MODEL" "$MODEL"
check "eval one model"                     2 "missing QUANTIZED"     -- "$NNQ" eval "$MODEL" --data x
check "calibrate without --data"           2 "missing --data"        -- "$NNQ" calibrate "$MODEL" -o "$TMP/t"

if [ -r "$TRAIN" ] && [ -r "$TEST" ]; then
    check "quantize int8 on IDX"           0 "4 weight and 4 activation sites" -- "$NNQ" quantize "$MODEL" -o "$TMP/q8.onnx" -q --data "$TRAIN" -n 128 $NORM
    check "quantize IDX without --scale"   1 "is uint8, the model wants float32" -- "$NNQ" quantize "$MODEL" -o "$TMP/bad.onnx" -q --data "$TRAIN" -n 8
    check "  ... and writes no file"       1 ""                      -- test -e "$TMP/bad.onnx"
    check "quantize wrong --input-name"    1 "model's input 'input' is not in the data" -- "$NNQ" quantize "$MODEL" -o "$TMP/bad.onnx" -q --data "$TRAIN" -n 8 $NORM --input-name pixels
    check "quantize labels as data"        1 "shape"                 -- "$NNQ" quantize "$MODEL" -o "$TMP/bad.onnx" -q --data "$LABELS" -n 8 $NORM
    check "calibrate writes a table"       0 "wrote calibration table" -- "$NNQ" calibrate "$MODEL" -o "$TMP/table" -q --data "$TRAIN" -n 128 $NORM
    check "quantize from the table"        0 "4 activation sites"    -- "$NNQ" quantize "$MODEL" -o "$TMP/q8t.onnx" -q --calib-table "$TMP/table"
    check "  ... same bytes as with data"  0 ""                      -- cmp "$TMP/q8.onnx" "$TMP/q8t.onnx"
    check "summary with the table"         0 "^/conv2/Conv.input_quantizer +yes +int8 +per-tensor +entropy +[0-9.]+" -- "$NNQ" summary "$MODEL" --calib-table "$TMP/table"
    check "table re-scored by int8-max"    1 "holds histogram statistics" -- "$NNQ" quantize "$MODEL" -o "$TMP/bad.onnx" -q --config int8-max --calib-table "$TMP/table"
    check "eval int8"                      0 "^top-1 quantized: +[0-9.]+ %" -- "$NNQ" eval "$MODEL" "$TMP/q8.onnx" -q --data "$TEST" --labels "$LABELS" -n 200 $NORM
    check "eval --json"                    0 '"sites": \[\{"name": "/[a-z0-9]+/[A-Za-z]+\.input_quantizer", "sqnr_db": ' -- "$NNQ" eval "$MODEL" "$TMP/q8.onnx" -q -j --data "$TEST" --labels "$LABELS" -n 100 $NORM
    check "eval lists weight sites"        0 "^  /conv1/Conv.weight_quantizer +weight +[0-9.]+ +0.0000$" -- "$NNQ" eval "$MODEL" "$TMP/q8.onnx" -q --data "$TEST" -n 50 $NORM
    check "eval --json weight sites"       0 '"name": "/fc1/Gemm.weight_quantizer", "sqnr_db": [0-9.]+, "clip_fraction": 0.00000000, "count": 100352, "kind": "weight", "matched": true' -- "$NNQ" eval "$MODEL" "$TMP/q8.onnx" -q -j --data "$TEST" -n 50 $NORM
    check "eval agreement with itself"     0 "^top-1 agreement: +100.00 %" -- "$NNQ" eval "$MODEL" "$MODEL" -q --data "$TEST" -n 50 $NORM
else
    echo "skip quantize checks on Fashion-MNIST ($FM missing)"
fi
