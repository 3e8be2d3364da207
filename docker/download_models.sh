#!/usr/bin/env bash
# Download the model files the SDK lists into <models dir>/<folder>/<file>.
#
#   download_models.sh MODELS [MODELS_DIR]                 (MODELS_DIR: $COMFY_DIR/models)
#
# MODELS is `none` (nothing to download), or a comma-separated list of entries, each
#   MODE              fast|pro|lora|both of the default model, ltx-2 (LTX-2 19B): `fast`
#   MODEL:MODE        a model's set-up: `ltx-2.3:fast`, `ltx-2.5:fast`, `ltx-2:pro`
# e.g. `ltx-2:pro,ltx-2.5:fast`. `both` is fast and pro, those a model has (ltx-2.5 has
# only fast); `lora` (ltx-2's effect-LoRA mode, bf16 files) only when named.
# Each entry's files are `ltx2 models --model MODEL --mode MODE --cameras "$CAMERAS"
# --format tsv` (folder, name, URL per line), i.e. the SDK's catalog: nothing is listed here,
# so the image can never download something the builders do not load. A file that several
# entries need is downloaded once. The whole value is checked, and every entry resolved,
# before anything is downloaded. Files already present with the size the server reports are
# skipped, so a second run (or a second worker) costs a few HEAD requests.
#
# Environment:
#   CAMERAS        camera LoRAs to include: all (default), none or one motion (e.g. static);
#                  only LTX-2 19B has them, other models ignore it
#   HF_TOKEN       Hugging Face token for gated files (or HF_TOKEN_FILE: a file holding it,
#                  e.g. a BuildKit secret); sent to huggingface.co only, never printed.
#                  Required for ltx-2.5: its repo, Lightricks/LTX-2.5, is gated
#   DRY_RUN=1      print "URL<TAB>target" per file and download nothing
#   LIST_ONLY=1    print the TSV list itself and stop (needs no token)
#   MODELS_TSV     read the list from this file (written by `ltx2 models --format tsv`, or by
#                  LIST_ONLY=1) instead of running ltx2: the Dockerfile uses it so that the
#                  download layer is cached on the list alone
#   MODELS_VAR     the name of the setting MODELS came from, for error messages (default
#                  MODELS, the build arg; start.sh passes LTX2_DOWNLOAD_MODELS)
#   LTX2           the ltx2 command (default: ltx2 on PATH)
set -euo pipefail

log() { printf 'download_models: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The models `ltx2 models --model` knows (ltx2sdk/vocabulary.py MODEL_IDS; the tests keep the
# two in step), so that a typo is refused here, with the accepted forms, even where the SDK is
# not installed (the Dockerfile's download stage reads MODELS_TSV).
# (ltx-2.5-api is hosted: it has no files, and downloads nothing)
model_ids=(ltx-2 ltx-2.3 ltx-2.5 ltx-2.5-api)
default_model=ltx-2
# Models whose files come from a gated Hugging Face repo: no download without a token.
declare -A gated_repo=([ltx-2.5]=Lightricks/LTX-2.5)

var=${MODELS_VAR:-MODELS}
forms="none, or a comma-separated list of MODE or MODEL:MODE with MODE fast|pro|lora|both and\
 MODEL $(IFS='|'; printf '%s' "${model_ids[*]}") (a bare MODE is $default_model's),\
 e.g. 'fast', 'ltx-2.3:fast' or 'ltx-2:pro,ltx-2.5:fast'"
usage="usage: download_models.sh MODELS [MODELS_DIR]; MODELS: $forms"
(($# >= 1)) || die "$usage"
spec=$1
models_dir=${2:-${COMFY_DIR:-/comfyui}/models}

trim() {
  local s=$1
  s=${s#"${s%%[![:space:]]*}"}
  printf '%s' "${s%"${s##*[![:space:]]}"}"
}

spec=$(trim "$spec")
if [[ $spec == none ]]; then
  log "$var=none: nothing to download (models come from a network volume)"
  exit 0
fi

# ---- check the whole value first: (model, mode) per entry -----------------------------------
bad() { die "$var='$spec': $1; accepted: $forms"; }
[[ -n $spec ]] || bad "empty"
[[ $spec != ,* && $spec != *, ]] || bad "an empty entry"
entries=()
# (-d '': a newline inside the value stays in its entry, to be refused, not cut off quietly)
IFS=, read -r -d '' -a raw_entries <<<"$spec" || true
for raw in "${raw_entries[@]}"; do
  entry=$(trim "$raw")
  [[ -n $entry ]] || bad "an empty entry"
  if [[ $entry == *:* ]]; then
    model=${entry%%:*} mode=${entry#*:}
  else
    model=$default_model mode=$entry
  fi
  [[ $entry != none && $mode != none ]] || bad "'none' cannot be combined with other entries"
  known=0
  for m in "${model_ids[@]}"; do [[ $model == "$m" ]] && known=1; done
  ((known)) || bad "unknown model '$model' in '$entry'"
  case $mode in
    fast | pro | lora | both) ;;
    *) bad "unknown mode '$mode' in '$entry'" ;;
  esac
  entries+=("$model:$mode")
done

# ---- the file list: the union of every entry's, each file once ------------------------------
if [[ -n ${MODELS_TSV:-} ]]; then
  list=$(<"$MODELS_TSV")
  [[ -n $list ]] || die "the model list $MODELS_TSV for $var='$spec' is empty"
else
  declare -A seen=()
  list=""
  for entry in "${entries[@]}"; do
    model=${entry%%:*} mode=${entry#*:}
    # Captured first, so that a failing ltx2 stops the script (a pipe would hide its status).
    rc=0
    part=$("${LTX2:-ltx2}" models --model "$model" --mode "$mode" \
      --cameras "${CAMERAS:-all}" --format tsv) || rc=$?
    ((rc == 0)) || die "$var: 'ltx2 models --model $model --mode $mode --cameras\
 ${CAMERAS:-all}' failed (exit $rc)"
    [[ -n $part ]] || die "$var: '$entry' lists no files: $model has no '$mode' mode"
    while IFS=$'\t' read -r folder name url; do
      [[ -n $folder ]] || continue
      key="$folder/$name"
      if [[ -n ${seen[$key]:-} ]]; then
        [[ ${seen[$key]} == "$url" ]] || die "$key has two URLs: ${seen[$key]} and $url"
        continue
      fi
      seen[$key]=$url
      list+="$folder"$'\t'"$name"$'\t'"$url"$'\n'
    done <<<"$part"
  done
  list=${list%$'\n'}
fi

if [[ ${LIST_ONLY:-0} == 1 ]]; then
  printf '%s\n' "$list"
  exit 0
fi

token=${HF_TOKEN:-}
if [[ -z $token && -n ${HF_TOKEN_FILE:-} && -r ${HF_TOKEN_FILE} ]]; then
  token=$(<"$HF_TOKEN_FILE")
fi
token=$(trim "$token")
# A gated repo answers 401 without a token: say so before the first byte, not after the
# ungated files of the same list have been downloaded (a dry run refuses as the real one would).
if [[ -z $token ]]; then
  for entry in "${entries[@]}"; do
    repo=${gated_repo[${entry%%:*}]:-}
    [[ -z $repo ]] || die "$var: '$entry' needs a Hugging Face token: its files come from\
 $repo, a gated repo. Accept its licence on https://huggingface.co/$repo, then set HF_TOKEN\
 (docker build: --secret id=hf_token,env=HF_TOKEN; never a build arg)"
  done
fi

# curl with the token for huggingface.co URLs. The header goes through a config "file" on a
# pipe so it never shows in `ps`; curl drops custom auth headers when a redirect leaves the
# host (HF redirects large files to its CDN with a signed URL).
hf_curl() {
  local url=${*: -1}
  if [[ -n $token && $url == https://huggingface.co/* ]]; then
    curl --config <(printf 'header = "Authorization: Bearer %s"\n' "$token") "$@"
  else
    curl "$@"
  fi
}

# The size of the file at URL, empty if unknown: Hugging Face's X-Linked-Size (sent with the
# redirect to its CDN, whose signed URLs may refuse HEAD), else the Content-Length of a 200.
# Asked once first: a host that cannot be reached (curl exit 6 or 7) is its exit status, not
# retried (curl's --retry takes a DNS failure for a blip); other failures are retried.
remote_size() {
  local headers rc=0
  headers=$(hf_curl --silent --location --head --max-time 60 "$1") || rc=$?
  case $rc in
    0) ;;
    6 | 7) return "$rc" ;;
    *) headers=$(hf_curl --silent --location --head --retry 3 --max-time 60 "$1") || true ;;
  esac
  printf '%s\n' "$headers" | tr -d '\r' | awk '
    toupper($1) ~ /^HTTP\// { code = $2 }
    tolower($1) == "x-linked-size:" { linked = $2 }
    tolower($1) == "content-length:" && code == 200 { len = $2 }
    END { print (linked != "" ? linked : len) }'
}

file_size() { stat -c %s "$1"; }

# Stop on a host that cannot be reached: curl exit 6 (its name does not resolve) or 7 (the
# connection is refused). Waiting would not change either: one line, at once.
unreachable() {
  local rc=$1 url=$2 rest host
  rest=${url#*://}
  host=${rest%%/*}
  if [[ $rc == 6 ]]; then
    die "cannot download $url: the host name $host does not resolve (check the network," \
      "its DNS, and the URL)"
  fi
  die "cannot download $url: connection refused by $host (check the URL and that the" \
    "server is up)"
}

# Download URL into PART, resuming what is there. Network errors are retried (resuming);
# HTTP errors (curl exit 22: 401/403 for a gated file, 404) are not, nor is a host that
# cannot be reached at all (6: its name does not resolve; 7: the connection is refused):
# waiting would not change either, so they fail at once.
download() {
  local url=$1 part=$2 attempt rc
  for attempt in 1 2 3 4 5; do
    rc=0
    hf_curl --fail --location --silent --show-error --retry 3 --continue-at - \
      --output "$part" "$url" || rc=$?
    case $rc in
      0) return 0 ;;
      22) die "HTTP error for $url (401/403: a gated file, set HF_TOKEN; 404: no such file)" ;;
      6 | 7) unreachable "$rc" "$url" ;;
      33) log "the server cannot resume; starting $part over"; rm -f "$part" ;;
      *) log "attempt $attempt failed (curl exit $rc); retrying in ${RETRY_DELAY:-10} s"
         sleep "${RETRY_DELAY:-10}" ;;
    esac
  done
  die "download failed after $attempt attempts: $url"
}

fetch() {
  local url=$1 target=$2 part="$2.part" expected size rc
  rc=0
  expected=$(remote_size "$url") || rc=$?
  case $rc in 6 | 7) unreachable "$rc" "$url" ;; esac
  [[ $expected =~ ^[0-9]+$ ]] || expected=""
  if [[ -f $target ]]; then
    size=$(file_size "$target")
    if [[ -z $expected ]]; then
      log "keep $target ($size bytes; the server did not report a size to compare)"
      return 0
    fi
    if [[ $size == "$expected" ]]; then
      log "ok   $target"
      return 0
    fi
    log "size of $target is $size, expected $expected: downloading it again"
    rm -f "$target"
  fi
  mkdir -p "$(dirname "$target")"
  # A .part left by an interrupted run is resumed only when it can be checked: it must be
  # smaller than the known size (a complete one only needs renaming; asking for zero more
  # bytes would fail with HTTP 416).
  if [[ -f $part ]] && { [[ -z $expected ]] || (($(file_size "$part") > expected)); }; then
    rm -f "$part"
  fi
  if ! [[ -f $part && $(file_size "$part") == "$expected" ]]; then
    log "get  $url -> $target${expected:+ ($expected bytes)}"
    download "$url" "$part"
  fi
  size=$(file_size "$part")
  if [[ -n $expected && $size != "$expected" ]]; then
    die "$url: got $size bytes, expected $expected (left in $part; run again to resume)"
  fi
  mv -f "$part" "$target"
  log "done $target"
}

count=0
if [[ ${DRY_RUN:-0} != 1 ]]; then
  mkdir -p "$models_dir" || die "cannot create $models_dir"
  [[ -w $models_dir ]] || die "$models_dir is not writable by $(id -un) (uid $(id -u))"
  # Workers sharing a network volume take turns: the second one waits, then finds the
  # files in place. Best effort: without flock (or on a file system without locks) go on.
  if command -v flock >/dev/null; then
    exec 9>"$models_dir/.download.lock"
    flock 9 || log "could not lock $models_dir; continuing without a lock"
  fi
fi
while IFS=$'\t' read -r folder name url <&3; do
  [[ -n $folder ]] || continue
  # Names come from the SDK's catalog; still refuse anything that could leave models_dir.
  for piece in "$folder" "$name"; do
    [[ $piece != */* && $piece != .* ]] || die "refusing suspicious path '$folder/$name'"
  done
  [[ -n $url ]] || die "no URL for $folder/$name"
  count=$((count + 1))
  target="$models_dir/$folder/$name"
  if [[ ${DRY_RUN:-0} == 1 ]]; then
    printf '%s\t%s\n' "$url" "$target"
  else
    fetch "$url" "$target"
  fi
done 3<<<"$list"
if [[ ${DRY_RUN:-0} == 1 ]]; then
  log "$count file(s) for $var='$spec' (dry run: nothing downloaded)"
else
  log "$count file(s) for $var='$spec' in $models_dir"
fi
