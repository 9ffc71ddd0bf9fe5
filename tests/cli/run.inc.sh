# run.inc.sh - checks of `nnq run`, sourced by test_cli.sh.
#
# The expected logits of tiny_cnn.onnx on an all-zero [2, 3, 8, 8] input come
# from ONNX Runtime 1.32.0, run once:
#   python3 -c "import numpy as np, onnxruntime as ort; \
#     s = ort.InferenceSession('tests/data/onnx/tiny_cnn.onnx'); \
#     print(s.run(None, {'input': np.zeros((2,3,8,8), np.float32)})[0])"
#   -> [[-12.531992 -8.438604] [-12.531992 -8.438604]]
RUN_MODEL="$SRC/data/onnx/tiny_cnn.onnx"

# npy_zeros FILE DESCR SHAPE BYTES: an all-zero .npy (format 1.0) file.
npy_zeros() {
    hdr="{'descr': '$2', 'fortran_order': False, 'shape': $3, }"
    len=$((${#hdr} + 1))
    pad=$(((64 - (10 + len) % 64) % 64))
    hlen=$((len + pad))
    {
        printf '\223NUMPY\001\000'
        printf "\\$(printf %03o $((hlen % 256)))\\$(printf %03o $((hlen / 256)))"
        printf '%s' "$hdr"
        printf "%${pad}s" ""
        printf '\n'
        head -c "$4" /dev/zero
    } >"$1"
}
npy_zeros "$TMP/zeros.npy" '<f4' '(2, 3, 8, 8)' 1536
npy_zeros "$TMP/zeros64.npy" '<f8' '(2, 3, 8, 8)' 3072
npy_zeros "$TMP/wrong.npy" '<f4' '(2, 3, 4, 4)' 384
npy_zeros "$TMP/ints.npy" '<i4' '(2, 3, 8, 8)' 1536

check "help run"                           0 "Usage: nnq run"        -- "$NNQ" help run
check "run --help"                         0 "--input NAME=FILE.npy" -- "$NNQ" run --help
check "run listed in --help"               0 "^  run "               -- "$NNQ" --help
check "run without model"                  2 "missing MODEL"         -- "$NNQ" run
check "run unknown option"                 2 "unknown option '--zzz'" -- "$NNQ" run --zzz "$RUN_MODEL"
check "run two models"                     2 "unexpected argument"   -- "$NNQ" run "$RUN_MODEL" "$RUN_MODEL"
check "run --threads 0 rejected"           2 "invalid value '0' for --threads" -- "$NNQ" run -t 0 "$RUN_MODEL"
check "run --input missing value"          2 "needs a value"         -- "$NNQ" run "$RUN_MODEL" --input
check "run logits on zeros"                0 "^logits float32 \[2, 2\] min -12.532 max -8.4386[0-9] mean -10.4853$" -- "$NNQ" run "$RUN_MODEL" --input "input=$TMP/zeros.npy"
check "run single input without NAME="     0 "^logits float32 \[2, 2\] min -12.532" -- "$NNQ" run "$RUN_MODEL" -i "$TMP/zeros.npy" -t 2
check "run float64 input converted"        0 "max -8.4386"           -- "$NNQ" run "$RUN_MODEL" -i "$TMP/zeros64.npy"
check "run writes .npz"                    0 ""                      -- "$NNQ" run -q "$RUN_MODEL" -i "$TMP/zeros.npy" -o "$TMP/out.npz"
check "run .npz holds logits"              0 "logits.npy"            -- sh -c "od -c '$TMP/out.npz' | tr -d ' \n' | grep -o 'logits.npy' | head -1"
check "run .npz output as input"           1 "no value for model input 'input'" -- "$NNQ" run "$RUN_MODEL" -i "$TMP/out.npz"
check "run -q prints nothing"              0 "^$"                    -- sh -c "'$NNQ' run -q '$RUN_MODEL' -i '$TMP/zeros.npy' | wc -c | sed 's/^ *0$//'"
check "run unknown input name"             1 "the model has no input 'nope' \(inputs: input\)" -- "$NNQ" run "$RUN_MODEL" -i "nope=$TMP/zeros.npy"
check "run missing input"                  1 "no value for model input 'input'" -- "$NNQ" run "$RUN_MODEL"
check "run wrong input shape"              1 "input 'input' has shape \[2, 3, 4, 4\]" -- "$NNQ" run "$RUN_MODEL" -i "$TMP/wrong.npy"
check "run wrong input type"               1 "input 'input' is int32, the graph wants float32" -- "$NNQ" run "$RUN_MODEL" -i "$TMP/ints.npy"
check "run missing model"                  1 "error: "               -- "$NNQ" run "$TMP/none.onnx" -i "$TMP/zeros.npy"
check "run missing input file"             1 "error: "               -- "$NNQ" run "$RUN_MODEL" -i "$TMP/none.npy"
check "run refuses to overwrite input"     1 "error: "               -- "$NNQ" run "$RUN_MODEL" -i "$TMP/zeros.npy" -o "$TMP/zeros.npy"
