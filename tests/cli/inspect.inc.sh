# inspect.inc.sh - checks of `nnq inspect`, sourced by test_cli.sh.
ONNX="$SRC/data/onnx"
check "help inspect"                       0 "Usage: nnq inspect"    -- "$NNQ" help inspect
check "inspect --help"                     0 "--json"                -- "$NNQ" inspect --help
check "inspect listed in --help"           0 "^  inspect "           -- "$NNQ" --help
check "inspect without model"              2 "missing MODEL"         -- "$NNQ" inspect
check "inspect unknown option"             2 "unknown option '--zzz'" -- "$NNQ" inspect --zzz "$ONNX/tiny_cnn.onnx"
check "inspect two models"                 2 "unexpected argument"   -- "$NNQ" inspect "$ONNX/tiny_cnn.onnx" "$ONNX/attrs.onnx"
check "inspect symbolic input shape"       0 "^  input +float32 +\[N, 3, 8, 8\]$" -- "$NNQ" inspect "$ONNX/tiny_cnn.onnx"
check "inspect opset"                      0 "^opsets: +ai.onnx 13$" -- "$NNQ" inspect "$ONNX/tiny_cnn.onnx"
check "inspect op histogram"               0 "^  BatchNormalization +1$" -- "$NNQ" inspect "$ONNX/tiny_cnn.onnx"
check "inspect parameters"                 0 "^parameters: +138 \(552 bytes\)$" -- "$NNQ" inspect "$ONNX/tiny_cnn.onnx"
check "inspect custom domain op"           0 "^  com.nnq.test.Everything +1$" -- "$NNQ" inspect "$ONNX/attrs.onnx"
check "inspect external data file"         0 "^  ext_data.bin$"      -- "$NNQ" inspect "$ONNX/ext_data.onnx"
check "inspect --json"                     0 '"inputs": \[\{"name": "input", "dtype": "float32", "shape": \["N", 3, 8, 8\]\}\]' -- "$NNQ" inspect --json "$ONNX/tiny_cnn.onnx"
check "inspect -j external data"           0 '"external_data": \["ext_data.bin"\]' -- "$NNQ" inspect -j "$ONNX/ext_data.onnx"
check "inspect missing file"               1 "cannot open '.*no_such.onnx'" -- "$NNQ" inspect "$ONNX/no_such.onnx"
check "inspect escaping external data"     1 "contains '\.\.'"       -- "$NNQ" inspect "$ONNX/ext_escape.onnx"
check "inspect corrupt model"              1 "error: loading"        -- "$NNQ" inspect "$ONNX/ext_data.bin"
