#!/usr/bin/env bash
# Worker entrypoint: ComfyUI in the background, then the RunPod handler in front of it.
#
#   start.sh [handler args...]      e.g. start.sh --rp_serve_api --rp_api_host 0.0.0.0
#
# Exits non-zero when ComfyUI dies or does not answer GET /system_stats within
# COMFY_READY_TIMEOUT seconds, and when ComfyUI dies while the handler runs: a worker
# without ComfyUI would only fail jobs, so it stops and RunPod starts a fresh one.
# Otherwise it exits with the handler's status.
#
# The wait for a starting ComfyUI is this script's, not the handler's: the handler starts
# only once ComfyUI answers, so LTX2_READY_TIMEOUT is left unset (unless given) and each job
# fails fast, as generate() does (a refused connection: one line after 1 s; a ComfyUI that
# accepts but does not answer yet: 30 s).
#
# Environment (default):
#   COMFY_DIR (/comfyui)          ComfyUI's folder (main.py)
#   COMFY_PORT (8188)             ComfyUI listens on 127.0.0.1 only: the handler is its client
#   COMFY_READY_TIMEOUT (300)     seconds to wait for ComfyUI to answer
#   COMFY_EXTRA_MODEL_PATHS ($COMFY_DIR/extra_model_paths.yaml)
#   COMFY_ARGS                    extra ComfyUI flags, split on spaces ("--reserve-vram 2")
#   COMFY_URL                     for the handler; set to http://127.0.0.1:$COMFY_PORT if unset
#   PYTHON (python)               the interpreter of ComfyUI and of the handler
#   LTX2_HANDLER (/src/runpod_handler.py)
#   LTX2_DOWNLOAD_MODELS (none)   download the missing model files first: a comma-separated
#                                 list of MODE (fast|pro|lora|both, LTX-2 19B) or MODEL:MODE
#                                 (ltx-2.3:fast, ltx-2.5:fast, ...); see download_models.sh.
#                                 ltx-2.5 needs HF_TOKEN (a gated repo). Into
#   LTX2_MODELS_DIR               (default /runpod-volume/models when a network volume is
#                                 mounted, else $COMFY_DIR/models)
#   LTX2_DOWNLOAD_CAMERAS (all)   camera LoRAs of that download: all, none or one motion
set -euo pipefail

log() { printf 'start.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
COMFY_DIR=${COMFY_DIR:-/comfyui}
COMFY_PORT=${COMFY_PORT:-8188}
COMFY_READY_TIMEOUT=${COMFY_READY_TIMEOUT:-300}
PYTHON=${PYTHON:-python}
extra_paths=${COMFY_EXTRA_MODEL_PATHS:-$COMFY_DIR/extra_model_paths.yaml}
handler=${LTX2_HANDLER:-/src/runpod_handler.py}
ready_url="http://127.0.0.1:${COMFY_PORT}/system_stats"
export COMFY_URL=${COMFY_URL:-http://127.0.0.1:${COMFY_PORT}}

[[ $COMFY_PORT =~ ^[0-9]+$ ]] || die "COMFY_PORT must be a port number, not '$COMFY_PORT'"
[[ $COMFY_READY_TIMEOUT =~ ^[0-9]+$ ]] \
  || die "COMFY_READY_TIMEOUT must be whole seconds, not '$COMFY_READY_TIMEOUT'"

# Whatever happens next, do not leave a child behind (PID 1 has no init to reap it).
children=()
# shellcheck disable=SC2329  # called by the EXIT trap below
stop_children() {
  local pid
  for pid in "${children[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
}
trap stop_children EXIT
trap 'log "stopping on a signal"; exit 143' TERM INT

download=${LTX2_DOWNLOAD_MODELS:-none}
if [[ $download != none ]]; then
  models_dir=${LTX2_MODELS_DIR:-}
  if [[ -z $models_dir ]]; then
    models_dir=$COMFY_DIR/models
    [[ -d /runpod-volume ]] && models_dir=/runpod-volume/models
  fi
  CAMERAS=${LTX2_DOWNLOAD_CAMERAS:-all} MODELS_VAR=LTX2_DOWNLOAD_MODELS \
    "$here/download_models.sh" "$download" "$models_dir"
fi

comfy_args=()
read -r -a comfy_args <<<"${COMFY_ARGS:-}"
# ComfyUI also loads $COMFY_DIR/extra_model_paths.yaml by itself; naming it again is
# harmless (paths are de-duplicated) and keeps a COMFY_EXTRA_MODEL_PATHS override working.
log "starting ComfyUI on 127.0.0.1:$COMFY_PORT"
"$PYTHON" -u "$COMFY_DIR/main.py" --listen 127.0.0.1 --port "$COMFY_PORT" \
  --extra-model-paths-config "$extra_paths" "${comfy_args[@]}" &
comfy_pid=$!
children+=("$comfy_pid")

started=$SECONDS
deadline=$((SECONDS + COMFY_READY_TIMEOUT))
until curl --silent --fail --output /dev/null --max-time 2 "$ready_url"; do
  if ! kill -0 "$comfy_pid" 2>/dev/null; then
    status=0
    wait "$comfy_pid" || status=$?
    die "ComfyUI exited (status $status) before answering $ready_url"
  fi
  if ((SECONDS >= deadline)); then
    die "ComfyUI did not answer $ready_url within $COMFY_READY_TIMEOUT s"
  fi
  sleep 1
done
log "ComfyUI answered after $((SECONDS - started)) s; starting the handler"

"$PYTHON" -u "$handler" "$@" &
handler_pid=$!
children+=("$handler_pid")

# Whichever ends first ends the worker.
status=0
wait -n "$comfy_pid" "$handler_pid" || status=$?
if ! kill -0 "$comfy_pid" 2>/dev/null; then
  die "ComfyUI exited (status $status) while the handler was running"
fi
log "the handler exited with status $status"
exit "$status"
